"""Use cases of pooling regions: registration, and the fund's payable months (which
decide the 2022 deferral for the region's units)."""

from __future__ import annotations

from datetime import date
from typing import cast

from eventsourcing.application import AggregateNotFoundError, EventSourcedLog

from ledger.domain.errors import Conflict, InvalidValue
from ledger.domain.region import (
    REGIONS_LOG_ID,
    Region,
    RegionIndexed,
    region_id,
)
from ledger.domain.unit import Unit
from ledger.measures import automatic_deferral
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
