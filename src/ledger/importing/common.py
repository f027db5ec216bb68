"""What the row checks of both file kinds share: memoised look-ups, the import's
context, and the checks that concern a whole unit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ledger.application import Actor, Ledger
from ledger.catalogue.policyset import PolicySet
from ledger.clocks import today
from ledger.domain.errors import InvalidValue, LedgerError
from ledger.domain.identifiers import parse_uscc
from ledger.domain.period import Period
from ledger.domain.years import check_day, check_period
from ledger.importing.csvfile import UnitRecords
from ledger.importing.outcome import UnitOutcome, unit_rejected


class Lookups:
    """Per-import memo of values that repeat on many rows (periods, dates), each held to
    the ledger's years."""

    def __init__(self) -> None:
        self.periods: dict[str, Period] = {}
        self.dates: dict[str, date] = {}
        #: the day of the import (China Standard Time): nobody in the file is born after it
        self.today = today()

    def period(self, text: str) -> Period:
        found = self.periods.get(text)
        if found is None:
            found = check_period(Period.parse(text.strip()), "period")
            if len(self.periods) < 10_000:
                self.periods[text] = found
        return found

    def date(self, text: str, name: str) -> date:
        found = self.dates.get(text)
        if found is None:
            try:
                found = date.fromisoformat(text.strip())
            except ValueError:
                raise InvalidValue(f"{name} {text!r} is not a date (YYYY-MM-DD)") from None
            check_day(found, name)
            if len(self.dates) < 10_000:
                self.dates[text] = found
        return found


@dataclass(slots=True)
class Context:
    """What every unit of one import shares: the ledger, the actor, the rules in force."""

    ledger: Ledger
    actor: Actor
    policies: PolicySet
    fund_months: dict[str, int | None] = field(default_factory=dict)

    def months(self, region: str) -> int | None:
        if region not in self.fund_months:
            self.fund_months[region] = self.ledger.region(region).fund_months
        return self.fund_months[region]


def check_unit(group: UnitRecords) -> str | UnitOutcome:
    """The unit's USCC, or its rejection: a bad USCC fails every line, and so do rows
    of a unit that already appeared further up."""
    if group.first_seen_on:
        return unit_rejected(
            group,
            f"unit {group.uscc} appears again after its rows from line {group.first_seen_on}: "
            "the rows of one unit must be contiguous",
        )
    try:
        return parse_uscc(group.uscc)
    except LedgerError as exc:
        return unit_rejected(group, exc.message)
