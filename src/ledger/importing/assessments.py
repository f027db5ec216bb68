"""Assessment rows (核定明细): ``uscc,period,resident_id,base[,assessed_on]``, one per person.

A unit's rows are checked together; any bad row rejects the unit's whole batch,
every bad row is named. A period already assessed with the same persons and
bases is left as it is (a re-import changes nothing); with different lines it is
refused: the assessment must be revoked first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from ledger.domain.errors import InvalidValue, LedgerError
from ledger.domain.identifiers import mask_resident_id, parse_resident_id
from ledger.domain.money import ZERO, money
from ledger.domain.period import Period
from ledger.domain.region import unit_id
from ledger.domain.unit import Unit
from ledger.importing.common import Context, Lookups, check_unit
from ledger.importing.csvfile import UnitRecords
from ledger.importing.outcome import Rejection, Status, UnitOutcome, rejected, unit_rejected

REQUIRED = ("uscc", "period", "resident_id", "base")
OPTIONAL = ("assessed_on",)

# The common form of a base, "4350.00": Decimal of such a string is already exact to
# the fen, which is what money() would return. Every other form goes through money()
# itself, so what is accepted and the refusal messages stay the ledger's own.
# Eleven integer digits at most: MAX_AMOUNT's; longer ones go through money(), which
# refuses them with the ledger's message.
_PLAIN_FEN = re.compile(r"[0-9]{1,11}\.[0-9]{2}")


def parse_base(text: str) -> Decimal:
    amount = Decimal(text) if _PLAIN_FEN.fullmatch(text) else money(text.strip(), field="base")
    if amount <= ZERO:
        raise InvalidValue(f"contribution base {text.strip()} must be positive", field="base")
    return amount


@dataclass(slots=True)
class PeriodLines:
    first_line: int
    assessed_on: date
    lines: list[tuple[str, Decimal]] = field(default_factory=list)
    #: resident ID -> line, to name the first occurrence of a duplicate
    seen: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class AssessmentPlan:
    """A unit's valid rows, by period, ready to be applied to the loaded unit."""

    group: UnitRecords
    uscc: str
    periods: dict[Period, PeriodLines]
    #: the unit's aggregate id (a name-based UUID: hashed once, not per look-up)
    unit_id: UUID = field(init=False)

    def __post_init__(self) -> None:
        self.unit_id = unit_id(self.uscc)

    def ids(self) -> list[Any]:
        """The aggregates to load for this plan."""
        return [self.unit_id]


def parse(
    group: UnitRecords, columns: dict[str, int], width: int, default_on: date, lookups: Lookups
) -> AssessmentPlan | UnitOutcome:
    """Checks every row of a unit; the plan, or the unit's rejection naming each bad row."""
    uscc = check_unit(group)
    if isinstance(uscc, UnitOutcome):
        return uscc
    i_period, i_rid, i_base = columns["period"], columns["resident_id"], columns["base"]
    i_on = columns.get("assessed_on", -1)
    periods: dict[Period, PeriodLines] = {}
    bad: list[Rejection] = []
    # The loop below runs once per person-line (millions per import): the usual case of
    # one period per unit is served by ``current`` without hashing the period again.
    current: PeriodLines | None = None
    current_period: Period | None = None
    last_period_text: str | None = None  # no text yet: the first line looks its period up
    last_period = Period(2000, 1)
    for line, fields, problem in group.records():
        if problem:
            bad.append(Rejection(line, uscc, problem))
            continue
        if len(fields) != width:
            bad.append(Rejection(line, uscc, f"has {len(fields)} fields, the header {width}"))
            continue
        try:
            # A unit's lines nearly always name one period: looked up once per text.
            period_text = fields[i_period]
            if period_text != last_period_text:
                last_period = lookups.period(period_text)
                last_period_text = period_text
            period = last_period
            rid = parse_resident_id(fields[i_rid], born_by=lookups.today)
            base = parse_base(fields[i_base])
            on = default_on
            if i_on >= 0 and fields[i_on].strip():
                on = lookups.date(fields[i_on], "assessed_on")
        except LedgerError as exc:
            bad.append(Rejection(line, uscc, exc.message))
            continue
        if period is not current_period:
            current_period = period
            current = periods.get(period)
            if current is None:
                current = periods[period] = PeriodLines(line, on)
        assert current is not None
        if current.assessed_on != on:
            bad.append(
                Rejection(
                    line,
                    uscc,
                    f"assessed_on {on} differs from {current.assessed_on} on line "
                    f"{current.first_line} for the same period {period}",
                )
            )
            continue
        first = current.seen.setdefault(rid, line)
        if first != line:
            bad.append(
                Rejection(
                    line,
                    uscc,
                    f"person {mask_resident_id(rid)} appears twice for {period} "
                    f"(first on line {first})",
                )
            )
            continue
        current.lines.append((rid, base))
    if bad:
        return UnitOutcome(Status.rejected, group.count, bad)
    return AssessmentPlan(group, uscc, periods)


def apply(plan: AssessmentPlan, loaded: dict[Any, Any], ctx: Context) -> UnitOutcome:
    """Records each new period on the loaded unit; unchanged periods are left alone."""
    group = plan.group
    unit: Unit | None = loaded.get(plan.unit_id)
    if unit is None:
        return unit_rejected(group, f"unit {plan.uscc} is not registered")
    written = False
    raised = lowered = 0
    for period in sorted(plan.periods):
        given = plan.periods[period]
        existing = unit.assessments.get(period)
        if existing is not None:
            difference = _difference(existing.lines, given.lines)
            if difference:
                return rejected(
                    group,
                    given.first_line,
                    f"unit {plan.uscc} is already assessed for {period} with different lines "
                    f"({difference}); revoke first",
                )
            continue
        try:
            ctx.ledger.record_assessment(
                unit,
                period,
                given.lines,
                given.assessed_on,
                ctx.actor,
                policies=ctx.policies,
                fund_months=ctx.months(unit.region),
            )
        except LedgerError as exc:
            return rejected(group, given.first_line, f"{period}: {exc.message}")
        written = True
        for row in unit.assessments[period].rows:
            if len(row) > 5:  # the declared base, where the limits held it
                if Decimal(row[5]) < Decimal(row[1]):
                    raised += 1
                else:
                    lowered += 1
    if not written:
        return UnitOutcome(Status.unchanged, group.count)
    return UnitOutcome(Status.written, group.count, saved=[unit], raised=raised, lowered=lowered)


def _difference(recorded: dict[str, Any], given: list[tuple[str, Decimal]]) -> str:
    """How the file's lines differ from the recorded ones ("" when they are the same)."""
    for rid, base in given:
        line = recorded.get(rid)
        if line is None:
            return f"{mask_resident_id(rid)} is not in the recorded assessment"
        if line.declared_base != base:
            masked, recorded_base = mask_resident_id(rid), line.declared_base
            return f"{masked} has base {recorded_base} recorded, {base} in the file"
    if len(recorded) != len(given):
        return f"{len(recorded)} persons recorded, {len(given)} in the file"
    return ""
