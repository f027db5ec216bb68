"""Use cases of the policy catalogue: enactment (with the retroactive decisions an
enactment makes), amendment and revocation (with the compensating decisions they make,
see ``ledger.measures``), and the dry run that shows what enacting would change.

A document is refused when it rules on the same kind, region and period as an enacted
one without naming it in ``supersedes`` (``ledger.catalogue.claims``): both are named.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, EventSourcedLog

from ledger.catalogue.claims import claims_of
from ledger.catalogue.model import CatalogueFile, Document
from ledger.catalogue.policyset import PolicySet, check_compatible
from ledger.domain.errors import InvalidValue, NotFound
from ledger.domain.period import Period
from ledger.domain.policy import Policy
from ledger.domain.region import POLICIES_LOG_ID, PolicyIndexed, policy_id
from ledger.domain.unit import Unit
from ledger.measures import enactment
from ledger.measures.context import Change
from ledger.usecases.base import Actor, LedgerBase, Result, Saved

#: loads a unit for an enactment's decisions (the store's, or a dry run's in memory)
Loader = Callable[[UUID], Unit]

#: rules whose values are fixed into an assessment when it is recorded
_ASSESSMENT_KINDS = ("rates", "due_dates", "base_limits", "fixed_amounts")


@dataclass
class UnitEffect:
    """What enacting a document would record on one unit: its decision events."""

    uscc: str
    name: str
    region: str
    events: list[Unit.Event] = field(default_factory=list)


@dataclass
class DocumentPreview:
    """A document's dry run: ``status`` new, amendment or unchanged; the units it would
    record decisions on; what it rules on; and assessments already recorded in periods
    whose rates, due dates, base limits or fixed amounts it now rules on (they keep the
    values they were assessed with: revoke and assess them again to apply the new ones)."""

    document: Document
    status: str
    units_examined: int = 0
    units: list[UnitEffect] = field(default_factory=list)
    rules_on: list[str] = field(default_factory=list)
    assessed_before: dict[str, int] = field(default_factory=dict)

    def as_dict(self, event_detail: Callable[[Unit.Event], dict[str, Any]]) -> dict[str, Any]:
        doc = self.document
        return {
            "document": doc.id,
            "number": doc.number,
            "version": doc.version,
            "status": self.status,
            "units_examined": self.units_examined,
            "rules_on": self.rules_on,
            "assessed_before": self.assessed_before,
            "units": [
                {
                    "uscc": u.uscc,
                    "name": u.name,
                    "region": u.region,
                    "decisions": [event_detail(e) for e in u.events],
                }
                for u in self.units
            ],
        }


class PolicyCases(LedgerBase):
    def enact_policy(self, file: CatalogueFile, actor: Actor, key: str | None = None) -> Result:
        """Records a policy document's content; decides retroactively on affected units.

        A higher version is an amendment: the decisions of the version it replaces are
        compensated (reversed and decided anew where the new version decides otherwise).
        The same version and content again records nothing; a lower version is refused.
        """
        content = file.content()
        doc = file.document

        def work() -> Saved:
            status, policy, replaced = self._enacting(file)
            if status == "unchanged":
                return []
            if policy is None:
                policy = Policy._create(
                    Policy.Enacted,
                    id=policy_id(doc.id),
                    document_id=doc.id,
                    number=doc.number,
                    version=doc.version,
                    enacted_on=doc.enacted_on,
                    content=content,
                    **actor.meta(),
                )
            else:
                policy.trigger_event(
                    Policy.Amended,
                    version=doc.version,
                    enacted_on=doc.enacted_on,
                    content=content,
                    **actor.meta(),
                )
            log = EventSourcedLog(self.events, POLICIES_LOG_ID, PolicyIndexed)
            saved: Saved = [policy, log.trigger_event(document_id=doc.id)]
            saved.extend(self._effects(file, replaced, self.policies(), actor, self._load))
            self.ports.policies.forget()
            return saved

        return self._run("enact_policy", key, {"document": doc.id, "content": content}, actor, work)

    def check_enactable(self, files: Sequence[CatalogueFile]) -> None:
        """Refuses a batch of documents that could not all be enacted (a version not newer
        than the one enacted, a revoked document, two documents ruling on the same kind,
        region and period), before any of it is: a batch is enacted whole or not at all
        as far as the catalogue's own rules go."""
        merged = self.policies()
        for file in files:
            self._enacting(file)
            merged = merged.with_file(file)
        check_compatible(
            list(merged.files.values()), {f.document.id for f in files}, merged.revoked
        )

    def check_policies(self, files: Sequence[CatalogueFile], actor: Actor) -> list[DocumentPreview]:
        """The dry run of enacting ``files`` in order: each checked against what is enacted
        (and the files before it), and what it would decide on every unit of its regions,
        over the recorded facts. Nothing is written; a refusal is what enacting would
        refuse (an overlap with an enacted document, a version not newer)."""
        base = self.policies()
        in_memory: dict[UUID, Unit] = {}
        since: dict[UUID, int] = {}

        def load(uid: UUID) -> Unit:
            if uid not in in_memory:
                in_memory[uid] = self._load(uid)
            since[uid] = len(in_memory[uid].pending_events)
            return in_memory[uid]

        previews = []
        for file in files:
            status, _, replaced = self._enacting(file)
            preview = DocumentPreview(file.document, status)
            previews.append(preview)
            if status == "unchanged":
                continue
            for unit in self._effects(file, replaced, base, actor, load):
                events = [cast(Unit.Event, e) for e in unit.pending_events[since[unit.id] :]]
                preview.units.append(UnitEffect(unit.uscc, unit.name, unit.region, events))
            preview.rules_on = _rules_on(file)
            preview.units_examined, preview.assessed_before = self._assessed_before(file, load)
            base = base.with_file(file)
        return previews

    def revoke_policy(
        self, document_id: str, revoked_on: date, actor: Actor, key: str | None = None
    ) -> Result:
        """Ends a document from a date: the decisions it made for periods starting on or
        after ``revoked_on`` are reversed; earlier periods keep theirs. Revoking again on
        the same date records nothing."""
        try:
            Period.first_from(revoked_on)
        except InvalidValue as exc:
            raise InvalidValue(
                f"revoked_on {revoked_on}: {exc.message}", field="revoked_on"
            ) from None

        def work() -> Saved:
            try:
                policy = cast(Policy, self.repository.get(policy_id(document_id)))
            except AggregateNotFoundError:
                raise NotFound(
                    f"no policy document {document_id!r} is enacted", field="document_id"
                ) from None
            if policy.revoked_on == revoked_on:
                return []
            policy.check_revocable(revoked_on)
            file = CatalogueFile.model_validate(policy.content)
            policy.trigger_event(Policy.Revoked, revoked_on=revoked_on, **actor.meta())
            log = EventSourcedLog(self.events, POLICIES_LOG_ID, PolicyIndexed)
            saved: Saved = [policy, log.trigger_event(document_id=document_id)]
            saved.extend(self._revocation_effects(file, revoked_on, actor))
            self.ports.policies.forget()
            return saved

        payload = {"document": document_id, "revoked_on": revoked_on}
        return self._run("revoke_policy", key, payload, actor, work)

    # ------------------------------------------------------------ machinery

    def _enacting(self, file: CatalogueFile) -> tuple[str, Policy | None, CatalogueFile | None]:
        """What enacting ``file`` would be: "new" (no policy yet), "unchanged" (the same
        version and content are enacted) or "amendment" (with the policy and the content
        it replaces). A lower version, or a revoked document, is refused."""
        doc = file.document
        try:
            policy = cast(Policy, self.repository.get(policy_id(doc.id)))
        except AggregateNotFoundError:
            return "new", None, None
        if policy.is_same(doc.version, file.content()):
            return "unchanged", policy, None
        policy.check_not_revoked()
        return "amendment", policy, CatalogueFile.model_validate(policy.content)

    def _load(self, uid: UUID) -> Unit:
        return cast(Unit, self.repository.get(uid))

    def _effects(
        self,
        file: CatalogueFile,
        replaced: CatalogueFile | None,
        base: PolicySet,
        actor: Actor,
        load: Loader,
    ) -> list[Unit]:
        """What enacting ``file`` over the documents of ``base`` decides on every unit of
        its regions: retroactive decisions for a new document, compensations for an
        amendment. Refused when it overlaps a document of ``base`` it does not supersede."""
        doc = file.document
        policies = base.with_file(file)
        check_compatible(list(policies.files.values()), {doc.id}, policies.revoked)
        if replaced is None:
            ctx = self._ctx(actor, doc.enacted_on, f"PolicyEnacted {doc.number} v{doc.version}")

            def decide_on(unit: Unit, fund_months: int | None) -> None:
                enactment.decide_on_enactment(unit, file, policies, fund_months, ctx)

            return self._for_units(doc.regions, decide_on, load)
        old = replaced.document
        change = Change(doc.id, f"{doc.number} v{doc.version}")
        ctx = self._ctx(
            actor, doc.enacted_on, f"PolicyAmended {doc.number} v{old.version} -> v{doc.version}"
        )

        def compensate(unit: Unit, fund_months: int | None) -> None:
            enactment.compensate_amendment(unit, replaced, file, policies, fund_months, change, ctx)

        return self._for_units((*old.regions, *doc.regions), compensate, load)

    def _revocation_effects(
        self, file: CatalogueFile, revoked_on: date, actor: Actor
    ) -> list[Unit]:
        doc = file.document
        change = Change(
            doc.id,
            f"{doc.number} v{doc.version} revoked from {revoked_on}",
            since=Period.first_from(revoked_on),
        )
        ctx = self._ctx(actor, revoked_on, f"PolicyRevoked {doc.number} v{doc.version}")

        def compensate(unit: Unit, fund_months: int | None) -> None:
            enactment.compensate_revocation(unit, file, fund_months, change, ctx)

        return self._for_units(doc.regions, compensate, self._load)

    def _for_units(
        self,
        prefixes: tuple[str, ...],
        act: Callable[[Unit, int | None], None],
        load: Loader,
    ) -> list[Unit]:
        """Runs ``act`` on every unit (not deregistered) of the regions the prefixes
        name; returns the units it recorded decisions on."""
        touched: list[Unit] = []
        for region in self.regions():
            if not any(region.code.startswith(p) for p in prefixes):
                continue
            for uid in self.unit_ids_in(region.code):
                unit = load(uid)
                if unit.deregistered_on is not None:
                    continue
                before = len(unit.pending_events)
                act(unit, region.fund_months)
                if len(unit.pending_events) > before:
                    touched.append(unit)
        return touched

    def _assessed_before(self, file: CatalogueFile, load: Loader) -> tuple[int, dict[str, int]]:
        """Units examined in the document's regions, and per period the units already
        assessed in a period whose assessment values the document now rules on."""
        claims = [
            c
            for kind, of_kind in claims_of([file]).items()
            for c in of_kind
            if kind.split(".")[0] in _ASSESSMENT_KINDS
        ]
        examined = 0
        counts: dict[str, int] = {}
        prefixes = {c.region for c in claims} or set(file.document.regions)
        for region in self.regions():
            if not any(region.code.startswith(p) for p in prefixes):
                continue
            for uid in self.unit_ids_in(region.code):
                examined += 1
                if not claims:
                    continue
                unit = load(uid)
                for period in unit.assessments:
                    if any(
                        region.code.startswith(c.region)
                        and c.start <= period.first_day
                        and (c.end is None or period.first_day <= c.end)
                        for c in claims
                    ):
                        counts[str(period)] = counts.get(str(period), 0) + 1
        return examined, dict(sorted(counts.items()))


def _rules_on(file: CatalogueFile) -> list[str]:
    """What the document rules on, one line a claim: kind, region, periods or days."""
    lines = []
    for kind, claims in claims_of([file]).items():
        for c in claims:
            where = c.region or "national"
            if c.end is None:
                span = f"from {_period_or_day(c.start)}"
            else:
                span = f"{_period_or_day(c.start)}..{_period_or_day(c.end, last=True)}"
            lines.append(f"{kind} {where} {span}")
    return lines


def _period_or_day(day: date, *, last: bool = False) -> str:
    """A month where the day is its first (or, for an end, its last) day."""
    period = Period.of(day)
    edge = period.last_day if last else period.first_day
    return str(period) if day == edge else day.isoformat()
