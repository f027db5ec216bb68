"""What the replay compares: a unit's figures and its monthly flows, from view rows.

Both sides of a comparison are computed by the same pure functions over the rows that
``ledger.projections.journal.rows_of`` makes of events (the recorded events for the
baseline, the re-derived ones for the reform), so a difference can only come from the
decisions, never from two ways of counting. Everything is as of a business date: only
movements dated on or before it count (late fees run to it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal

from ledger.domain.latefee import DailyRates
from ledger.domain.money import ZERO
from ledger.domain.period import Period
from ledger.domain.terms import Part
from ledger.projections.balance_fold import in_business_order, unit_balance
from ledger.projections.journal import Kind, Movement


@dataclass(frozen=True, slots=True)
class Figures:
    """Amounts of one unit (or summed over units), as of a date.

    ``deferred`` and ``called_due`` are flows: principal placed under a deferral, and
    deferred principal a trigger made due, by the as-of date. The others are the unit
    balance's totals as of that date (``credit_held``: 待转基金 or a payment's excess).
    """

    assessed: Decimal = ZERO
    reduced: Decimal = ZERO
    refunded: Decimal = ZERO
    carried_forward: Decimal = ZERO
    credit_held: Decimal = ZERO
    deferred: Decimal = ZERO
    called_due: Decimal = ZERO
    late_fee: Decimal = ZERO
    outstanding: Decimal = ZERO

    def __add__(self, other: Figures) -> Figures:
        return Figures(*(getattr(self, n) + getattr(other, n) for n in MEASURES))

    def __sub__(self, other: Figures) -> Figures:
        return Figures(*(getattr(self, n) - getattr(other, n) for n in MEASURES))

    def __bool__(self) -> bool:
        return any(getattr(self, n) for n in MEASURES)

    def values(self) -> list[Decimal]:
        return [getattr(self, n) for n in MEASURES]


MEASURES: tuple[str, ...] = tuple(f.name for f in fields(Figures))


@dataclass(frozen=True, slots=True)
class Flow:
    """The fund's month: money collected (payments, 征收回传), refunds owed (money out),
    and contributions falling due in the month (when the principal must be paid: the due
    date, a deferral's deadline, or the day a trigger called it due)."""

    collected: Decimal = ZERO
    refunded: Decimal = ZERO
    due: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        """Cash flow of the fund: collected less refunded."""
        return self.collected - self.refunded

    def __add__(self, other: Flow) -> Flow:
        return Flow(
            self.collected + other.collected, self.refunded + other.refunded, self.due + other.due
        )


@dataclass(frozen=True, slots=True)
class UnitResult:
    figures: Figures
    months: dict[Period, Flow]


@dataclass(slots=True)
class _Placed:
    """Where an item's principal falls due (month -> amount), and what is still unpaid."""

    normal: Period
    unpaid: Decimal
    at: dict[Period, Decimal]
    deferred_month: Period | None = None
    deferred: Decimal = ZERO


def movements_of(rows: Iterable[object]) -> list[Movement]:
    return [r for r in rows if isinstance(r, Movement)]


def unit_result(movements: list[Movement], as_of: date, rates: DailyRates) -> UnitResult:
    """A unit's figures and monthly flows as of ``as_of`` (pure)."""
    balance = unit_balance(movements, as_of, rates)
    deferred, called, due = _schedule(movements, as_of)
    totals = {
        name: sum((getattr(i, name) for i in balance.items), ZERO)
        for name in ("assessed", "reduced", "refunded", "carried_forward", "late_fee")
    }
    figures = Figures(
        credit_held=balance.credit_held,
        deferred=deferred,
        called_due=called,
        outstanding=balance.outstanding,
        **totals,
    )
    # Sums per month first, one Flow per month after (a Flow per movement was a tenth of
    # a replay's time).
    collected: dict[Period, Decimal] = defaultdict(lambda: ZERO)
    refunded: dict[Period, Decimal] = defaultdict(lambda: ZERO)
    for m in movements:
        if m.on > as_of:
            continue
        if m.kind is Kind.paid or m.kind is Kind.credit_received:
            collected[Period.of(m.on)] += m.amount
        elif m.kind is Kind.refunded:
            refunded[Period.of(m.on)] += m.amount
    months: dict[Period, Flow] = {}
    for month in collected.keys() | refunded.keys() | {k for k, v in due.items() if v}:
        flow = Flow(
            collected=collected.get(month, ZERO),
            refunded=refunded.get(month, ZERO),
            due=ZERO + due.get(month, ZERO),
        )
        if flow != Flow():
            months[month] = flow
    return UnitResult(figures, months)


def _schedule(
    movements: list[Movement], as_of: date
) -> tuple[Decimal, Decimal, Mapping[Period, Decimal]]:
    """Principal deferred, principal called due, and the month each amount falls due in.

    A deferral moves an item's unpaid principal from its normal due month to the month
    of the deadline; a trigger moves what it calls due from there to the month it was
    called (or, for a false commitment, back to the original due month). A reduction
    lowers what is owed where the unpaid principal sits; payments change nothing here:
    they settle what is due, they do not move it.
    """
    items: dict[tuple[Period, Part], _Placed] = {}
    deferred: Decimal = ZERO
    called: Decimal = ZERO
    for on, m in in_business_order(movements):
        if on > as_of or m.period is None or m.part is None:
            continue
        key = (m.period, m.part)
        if m.kind is Kind.assessed:
            assert m.due is not None
            normal = Period.of(m.due)
            items[key] = _Placed(normal, m.amount, {normal: m.amount})
            continue
        if m.kind is Kind.revoked:
            items.pop(key, None)
            continue
        item = items.get(key)
        if item is None:
            continue
        match m.kind:
            case Kind.reduced:
                item.unpaid -= m.amount
                from_deferred = min(m.amount, item.deferred)
                if item.deferred_month is not None and from_deferred > ZERO:
                    _move(item, item.deferred_month, None, from_deferred)
                    item.deferred -= from_deferred
                _move(item, item.normal, None, m.amount - from_deferred)
            case Kind.paid | Kind.credit_applied:
                item.unpaid -= m.amount
            case Kind.refunded | Kind.carried_forward:
                item.unpaid += m.amount
            case Kind.deferred:
                assert m.due is not None
                amount = max(item.unpaid - item.deferred, ZERO)
                item.deferred_month = Period.of(m.due)
                _move(item, item.normal, item.deferred_month, amount)
                item.deferred += amount
                deferred += amount
            case Kind.called_due:
                target = Period.of(m.due) if m.due is not None else item.normal
                source = item.deferred_month or item.normal
                _move(item, source, target, m.amount)
                item.deferred -= m.amount
                called += m.amount
            case _:
                pass
    due: dict[Period, Decimal] = defaultdict(lambda: ZERO)
    for item in items.values():
        for month, amount in item.at.items():
            due[month] += amount
    return deferred, called, due


def _move(item: _Placed, source: Period, target: Period | None, amount: Decimal) -> None:
    if amount <= ZERO:
        return
    item.at[source] = item.at.get(source, ZERO) - amount
    if target is not None:
        item.at[target] = item.at.get(target, ZERO) + amount
