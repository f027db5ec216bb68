"""Insured persons of a unit. Resident IDs travel in bodies, never in URLs (logs, proxies)."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from ledger.api import examples
from ledger.api.schemas.types import Command, Day, EventKind, Money, PeriodField, ResidentId


class PersonJoining(Command):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.JOINING]})

    resident_id: ResidentId
    base: Money = Field(description="缴费基数, yuan a month")
    joined_on: Day


class BaseChange(Command):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.BASE_CHANGE]})

    resident_id: ResidentId
    base: Money
    since: PeriodField = Field(description="the first period the new base applies to")


class Departure(Command):
    """离职, 退休 or 关系转移: the person's deferred unit part is called due."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.DEPARTURE]})

    resident_id: ResidentId
    trigger: Literal["resignation", "retirement", "transfer"]
    left_on: Day
    destination: str = Field(default="", max_length=200, description="where a transfer goes")


class PersonQuery(Command):
    """A read about a person: sent as a body so the resident ID stays out of URLs."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"resident_id": examples.CHIFENG_PERSON}]}
    )

    resident_id: ResidentId
    as_of: Day | None = Field(default=None, description="default today (CST)")
    known_at: str | None = Field(
        default=None,
        max_length=40,
        description="only events recorded by this instant (ISO date-time, or a date: "
        "the end of that day, CST)",
    )


class PersonTrailQuery(PersonQuery):
    kinds: list[EventKind] = Field(
        default_factory=list, max_length=50, description="event types, e.g. PersonLeft"
    )
