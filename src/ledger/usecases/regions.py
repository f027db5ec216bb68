"""Use cases of pooling regions and policies: registration, fund months, enactment
(with the retroactive decisions an enactment makes), amendment and revocation (with
the compensating decisions they make, see ``ledger.compensations``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import cast

from eventsourcing.application import AggregateNotFoundError, EventSourcedLog

from ledger.catalogue.model import CatalogueFile
from ledger.catalogue.policyset import PolicySet
from ledger.domain.errors import Conflict, InvalidValue, NotFound
from ledger.domain.policy import Policy
from ledger.domain.region import (
    POLICIES_LOG_ID,
    REGIONS_LOG_ID,
    PolicyIndexed,
    Region,
    RegionIndexed,
    policy_id,
    region_id,
)
from ledger.domain.unit import Unit
from ledger.measures import automatic_deferral, enactment
from ledger.measures.context import Change, first_period_from
from ledger.usecases.base import Actor, LedgerBase, Result, Saved


class RegionCases(LedgerBase):
    # ------------------------------------------------------------ regions

    def register_region(
        self, code: str, name: str, parent: str, actor: Actor, key: str | None = None
    ) -> Result:
        code, parent = code.strip(), parent.strip()
        if not (code.isdigit() and len(code) == 6):
            raise InvalidValue(
                f"region code {code!r} must be a 6-digit administrative division code",
                field="code",
            )
        if parent and not (parent.isdigit() and len(parent) == 6):
            raise InvalidValue(f"parent region code {parent!r} must have 6 digits", field="parent")

        def work() -> Saved:
            try:
                self.repository.get(region_id(code))
            except AggregateNotFoundError:
                pass
            else:
                raise Conflict(f"region {code} is already registered", field="code")
            region = Region._create(
                Region.Registered,
                id=region_id(code),
                code=code,
                name=name,
                parent=parent,
                **actor.meta(),
            )
            log = EventSourcedLog(self.events, REGIONS_LOG_ID, RegionIndexed)
            return [region, log.trigger_event(code=code)]

        payload = {"region": code, "name": name, "parent": parent}
        return self._run("register_region", key, payload, actor, work)

    def declare_fund_months(
        self, code: str, months: int, as_of: date, actor: Actor, key: str | None = None
    ) -> Result:
        """Records the fund's payable months and decides the 2022 deferral for its units."""
        if months < 0:
            raise InvalidValue(f"fund months {months} cannot be negative", field="months")

        def work() -> Saved:
            region = self.region(code)
            region.trigger_event(
                Region.FundMonthsDeclared, months=months, as_of=as_of, **actor.meta()
            )
            saved: Saved = [region]
            ctx = self._ctx(actor, as_of, f"FundMonthsDeclared {code} {months}")
            policies = self.policies()
            for uid in self.unit_ids_in(code):
                unit = cast(Unit, self.repository.get(uid))
                automatic_deferral.consider(unit, policies, months, ctx)
                if unit.pending_events:
                    saved.append(unit)
            return saved

        payload = {"region": code, "months": months, "as_of": as_of}
        return self._run("declare_fund_months", key, payload, actor, work)

    # ----------------------------------------------------------- policies

    def enact_policy(self, file: CatalogueFile, actor: Actor, key: str | None = None) -> Result:
        """Records a policy document's content; decides retroactively on affected units.

        A higher version is an amendment: the decisions of the version it replaces are
        compensated (reversed and decided anew where the new version decides otherwise).
        The same version and content again records nothing; a lower version is refused.
        """
        content = file.content()
        doc = file.document

        def work() -> Saved:
            replaced: CatalogueFile | None = None
            try:
                policy = cast(Policy, self.repository.get(policy_id(doc.id)))
            except AggregateNotFoundError:
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
                if policy.is_same(doc.version, content):
                    return []
                policy.check_not_revoked()
                replaced = CatalogueFile.model_validate(policy.content)
                policy.trigger_event(
                    Policy.Amended,
                    version=doc.version,
                    enacted_on=doc.enacted_on,
                    content=content,
                    **actor.meta(),
                )
            log = EventSourcedLog(self.events, POLICIES_LOG_ID, PolicyIndexed)
            saved: Saved = [policy, log.trigger_event(document_id=doc.id)]
            if replaced is None:
                saved.extend(self._decide_on_enactment(file, actor))
            else:
                saved.extend(self._compensate_amendment(replaced, file, actor))
            return saved

        return self._run("enact_policy", key, {"document": doc.id, "content": content}, actor, work)

    def revoke_policy(
        self, document_id: str, revoked_on: date, actor: Actor, key: str | None = None
    ) -> Result:
        """Ends a document from a date: the decisions it made for periods starting on or
        after ``revoked_on`` are reversed; earlier periods keep theirs. Revoking again on
        the same date records nothing."""
        try:
            first_period_from(revoked_on)
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
            saved.extend(self._compensate_revocation(file, revoked_on, actor))
            return saved

        payload = {"document": document_id, "revoked_on": revoked_on}
        return self._run("revoke_policy", key, payload, actor, work)

    def _decide_on_enactment(self, file: CatalogueFile, actor: Actor) -> list[Unit]:
        """Retroactivity: periods assessed before the enactment are decided now."""
        policies = self._policies_with(file.document.id, file)
        ctx = self._ctx(
            actor,
            file.document.enacted_on,
            f"PolicyEnacted {file.document.number} v{file.document.version}",
        )

        def decide_on(unit: Unit, fund_months: int | None) -> None:
            enactment.decide_on_enactment(unit, file, policies, fund_months, ctx)

        return self._for_units(file.document.regions, decide_on)

    def _compensate_amendment(
        self, replaced: CatalogueFile, file: CatalogueFile, actor: Actor
    ) -> list[Unit]:
        """Reversals of what the replaced version decided, and the amended decisions."""
        doc, old = file.document, replaced.document
        policies = self._policies_with(doc.id, file)
        change = Change(doc.id, f"{doc.number} v{doc.version}")
        ctx = self._ctx(
            actor, doc.enacted_on, f"PolicyAmended {doc.number} v{old.version} -> v{doc.version}"
        )

        def compensate(unit: Unit, fund_months: int | None) -> None:
            enactment.compensate_amendment(unit, replaced, file, policies, fund_months, change, ctx)

        return self._for_units((*old.regions, *doc.regions), compensate)

    def _compensate_revocation(
        self, file: CatalogueFile, revoked_on: date, actor: Actor
    ) -> list[Unit]:
        doc = file.document
        change = Change(
            doc.id,
            f"{doc.number} v{doc.version} revoked from {revoked_on}",
            since=first_period_from(revoked_on),
        )
        ctx = self._ctx(actor, revoked_on, f"PolicyRevoked {doc.number} v{doc.version}")

        def compensate(unit: Unit, fund_months: int | None) -> None:
            enactment.compensate_revocation(unit, file, fund_months, change, ctx)

        return self._for_units(doc.regions, compensate)

    def _policies_with(self, document_id: str, file: CatalogueFile | None) -> PolicySet:
        """The enacted policies with one document replaced by ``file`` (None: without it)."""
        current = self.policies()
        others = [f for f in current.files.values() if f.document.id != document_id]
        return PolicySet([*others, file] if file is not None else others)

    def _for_units(
        self, prefixes: tuple[str, ...], act: Callable[[Unit, int | None], None]
    ) -> list[Unit]:
        """Runs ``act`` on every unit (not deregistered) of the regions the prefixes
        name; returns the units it recorded decisions on."""
        touched: list[Unit] = []
        for region in self.regions():
            if not any(region.code.startswith(p) for p in prefixes):
                continue
            for uid in self.unit_ids_in(region.code):
                unit = cast(Unit, self.repository.get(uid))
                if unit.deregistered_on is not None:
                    continue
                act(unit, region.fund_months)
                if unit.pending_events:
                    touched.append(unit)
        self._policy_cache = None
        return touched
