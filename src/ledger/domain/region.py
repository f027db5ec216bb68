"""The pooling region (统筹地区) and the write-side indexes the application keeps.

The indexes are event-sourced logs, not aggregates: a city's 300,000 units are
appended one small event each and read back in order when a policy is enacted,
without folding a giant aggregate.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, DomainEvent
from eventsourcing.utils import register_topic

_NS = uuid5(NAMESPACE_URL, "https://ledger.invalid/ids")


def region_id(code: str) -> UUID:
    return uuid5(_NS, f"region:{code}")


def unit_id(uscc: str) -> UUID:
    return uuid5(_NS, f"unit:{uscc}")


def policy_id(document_id: str) -> UUID:
    return uuid5(_NS, f"policy:{document_id}")


def command_id(idempotency_key: str) -> UUID:
    return uuid5(_NS, f"command:{idempotency_key}")


def region_units_log_id(code: str) -> UUID:
    return uuid5(_NS, f"region-units:{code}")


REGIONS_LOG_ID = uuid5(_NS, "regions")
POLICIES_LOG_ID = uuid5(_NS, "policies")


class Region(Aggregate):
    TOPIC = "ledger.region"

    class Event(Aggregate.Event):
        actor: str
        reason: str
        request_id: str

    class Created(Event, Aggregate.Created):
        TOPIC = "ledger.region.created"

    class Registered(Created):
        TOPIC = "ledger.region.registered"
        code: str
        name: str
        parent: str

    class FundMonthsDeclared(Event):
        """累计结存可支付月数: gates the 2022 deferral (more than 6)."""

        TOPIC = "ledger.region.fund-months-declared"
        months: int
        as_of: date

        def apply(self, aggregate: Any) -> None:
            aggregate.fund_months = self.months
            aggregate.fund_months_as_of = self.as_of

    def __init__(
        self, *, code: str, name: str, parent: str, actor: str, reason: str, request_id: str
    ) -> None:
        self.code = code
        self.name = name
        self.parent = parent
        self.fund_months: int | None = None
        self.fund_months_as_of: date | None = None


class UnitIndexed(DomainEvent):
    """A unit registered in a region: one entry of the region's unit log."""

    TOPIC: ClassVar[str] = "ledger.index.unit"
    unit_id: UUID
    uscc: str


class RegionIndexed(DomainEvent):
    TOPIC: ClassVar[str] = "ledger.index.region"
    code: str


class PolicyIndexed(DomainEvent):
    TOPIC: ClassVar[str] = "ledger.index.policy"
    document_id: str


# Log events are not aggregate events, so their explicit topics are registered here.
for _event in (UnitIndexed, RegionIndexed, PolicyIndexed):
    register_topic(_event.TOPIC, _event)
