"""The mutable state a Unit folds its events into.

Plain dataclasses so the decision rules can read them without knowing about
event sourcing. Amounts are Decimal yuan to the fen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ledger.domain.money import ZERO
from ledger.domain.period import Period, PeriodRange
from ledger.domain.terms import DeferralKind, Part, Trigger


@dataclass(frozen=True, slots=True)
class Line:
    """One person's assessed contribution for a period: the base assessed (the declared
    base held within the period's floor and ceiling) and the three parts (any fixed
    amount per person included)."""

    resident_id: str
    base: Decimal
    unit_medical: Decimal
    unit_maternity: Decimal
    individual: Decimal
    #: the base the unit declared, where the limits changed it (None: assessed as declared)
    declared: Decimal | None = None

    def part(self, part: Part) -> Decimal:
        if part is Part.unit_medical:
            return self.unit_medical
        if part is Part.unit_maternity:
            return self.unit_maternity
        return self.individual

    @property
    def declared_base(self) -> Decimal:
        return self.base if self.declared is None else self.declared

    def as_row(self) -> list[str]:
        """The JSON-native form stored in PeriodAssessed (cheap to encode in bulk): five
        strings, and a sixth, the declared base, only where the limits changed it."""
        row = [
            self.resident_id,
            str(self.base),
            str(self.unit_medical),
            str(self.unit_maternity),
            str(self.individual),
        ]
        if self.declared is not None:
            row.append(str(self.declared))
        return row

    @classmethod
    def from_row(cls, row: list[str]) -> Line:
        rid, base, um, mat, ind = row[:5]
        declared = Decimal(row[5]) if len(row) > 5 else None
        return cls(rid, Decimal(base), Decimal(um), Decimal(mat), Decimal(ind), declared)


@dataclass(slots=True)
class Member:
    resident_id: str
    base: Decimal
    joined_on: date
    left_on: date | None = None
    left_by: Trigger | None = None
    #: (from period, base), oldest first: a base applies from its period until the next
    bases: list[tuple[Period, Decimal]] = field(default_factory=list)

    def insured_in(self, period: Period) -> bool:
        """A member at the month's end is assessed for the month (the ledger's convention:
        joiners count from the month they join, leavers stop with the month they leave)."""
        return self.joined_on <= period.last_day and (
            self.left_on is None or self.left_on > period.last_day
        )

    def base_for(self, period: Period) -> Decimal:
        applicable = [base for since, base in self.bases if since <= period]
        return applicable[-1] if applicable else self.base


@dataclass(slots=True)
class Item:
    """What the unit owes for one period and part: an assessment item."""

    period: Period
    part: Part
    assessed: Decimal
    due_date: date
    reduced: Decimal = ZERO
    paid: Decimal = ZERO
    credit_applied: Decimal = ZERO
    refunded: Decimal = ZERO
    carried_forward: Decimal = ZERO
    #: set while the item is deferred: the repayment deadline
    deferred_until: date | None = None
    late_fee_from: date | None = None
    deferral_policy: str = ""
    #: principal called due before the deadline, and not yet paid
    called_due_open: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        return self.assessed - self.reduced

    @property
    def settled(self) -> Decimal:
        return self.paid + self.credit_applied - self.refunded - self.carried_forward

    @property
    def outstanding(self) -> Decimal:
        return self.net - self.settled

    @property
    def deferred_open(self) -> Decimal:
        """Principal still deferred: outstanding, not yet called due."""
        if self.deferred_until is None:
            return ZERO
        return max(ZERO, self.outstanding - self.called_due_open)


@dataclass(slots=True)
class Assessment:
    period: Period
    #: the stored rows of PeriodAssessed; parsed into ``lines`` only when a rule asks,
    #: because every load of a unit folds every month it was ever assessed for
    rows: list[list[str]]
    due_date: date
    assessed_on: date
    rates: str
    #: the fixed amount per person each part includes (none: empty)
    fixed: dict[Part, Decimal] = field(default_factory=dict)
    #: ``lines``, once asked for: derived from ``rows``, so no part of what a month is
    _lines: dict[str, Line] | None = field(default=None, compare=False, repr=False)

    @property
    def lines(self) -> dict[str, Line]:
        """Each person's line of the month, by resident ID."""
        if self._lines is None:
            self._lines = {row[0]: Line.from_row(row) for row in self.rows}
        return self._lines


@dataclass(slots=True)
class Deferral:
    kind: DeferralKind
    periods: PeriodRange
    deadline: date
    late_fee_from: date
    parts: tuple[Part, ...]
    document: str
    policy: str
    triggers: tuple[Trigger, ...]
    ended: bool = False
    #: the business date of the grant (what an amendment re-decides against)
    decided_on: date | None = None


@dataclass(slots=True)
class Commitment:
    #: the deferral months the unit chose (None where the rule does not let it choose)
    periods: PeriodRange | None
    filed_on: date
    review_by: date
    document: str
    reviewed_on: date | None = None
    accepted: bool | None = None
    found_false_on: date | None = None


@dataclass(slots=True)
class Application:
    periods: PeriodRange
    applied_on: date
    document: str
    decided: bool = False


@dataclass(slots=True)
class Reductions:
    """Per person and share reductions of one period, as decided.

    ``policy``, ``rows`` and ``totals`` keep the decision as recorded, so that an
    amendment or a revocation reverses exactly what was decided (no re-computation,
    no rounding drift).
    """

    document: str
    by_person: dict[tuple[str, Part], Decimal] = field(default_factory=dict)
    policy: str = ""
    fraction: Decimal = ZERO
    #: [resident_id, part, amount] and [period, part, amount], as in ReductionApplied
    rows: list[list[str]] = field(default_factory=list)
    totals: list[list[str]] = field(default_factory=list)
