"""Use cases of pooling regions and policies: registration, fund months, enactment
(with the retroactive decisions an enactment makes)."""

from __future__ import annotations

from datetime import date
from typing import cast

from eventsourcing.application import AggregateNotFoundError, EventSourcedLog

from ledger import decisions as decide
from ledger.catalogue.model import CatalogueFile
from ledger.catalogue.policyset import PolicySet
from ledger.domain.errors import Conflict, InvalidValue
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
                decide.consider_automatic_deferral(unit, policies, months, ctx)
                if unit.pending_events:
                    saved.append(unit)
            return saved

        payload = {"region": code, "months": months, "as_of": as_of}
        return self._run("declare_fund_months", key, payload, actor, work)

    # ----------------------------------------------------------- policies

    def enact_policy(self, file: CatalogueFile, actor: Actor, key: str | None = None) -> Result:
        """Records a policy document's content; decides retroactively on affected units."""
        content = file.content()
        doc = file.document

        def work() -> Saved:
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
                policy.trigger_event(
                    Policy.Amended,
                    version=doc.version,
                    enacted_on=doc.enacted_on,
                    content=content,
                    **actor.meta(),
                )
            log = EventSourcedLog(self.events, POLICIES_LOG_ID, PolicyIndexed)
            saved: Saved = [policy, log.trigger_event(document_id=doc.id)]
            saved.extend(self._decide_on_enactment(file, actor))
            return saved

        return self._run("enact_policy", key, {"document": doc.id, "content": content}, actor, work)

    def _decide_on_enactment(self, file: CatalogueFile, actor: Actor) -> list[Unit]:
        """Retroactivity: periods assessed before the enactment are decided now."""
        current = self.policies()
        policies = PolicySet(
            [*(f for f in current.files.values() if f.document.id != file.document.id), file]
        )
        touched: list[Unit] = []
        ctx = self._ctx(
            actor,
            file.document.enacted_on,
            f"PolicyEnacted {file.document.number} v{file.document.version}",
        )
        for region in self.regions():
            if not any(region.code.startswith(p) for p in file.document.regions):
                continue
            for uid in self.unit_ids_in(region.code):
                unit = cast(Unit, self.repository.get(uid))
                if unit.deregistered_on is not None:
                    continue
                if file.reduction is not None:
                    for period in sorted(unit.assessments):
                        decide.apply_reduction(unit, period, policies, ctx)
                    decide.apply_credit(unit, ctx)
                if file.automatic_deferral is not None:
                    decide.consider_automatic_deferral(unit, policies, region.fund_months, ctx)
                if unit.pending_events:
                    touched.append(unit)
        self._policy_cache = None
        return touched
