"""Balances and late fees of a unit's items, as of a date: pure computations over movements.

Each item is a small schedule of principal slices, each with the last day it may be
paid without late fee: the assessment's due date; while deferred, the deadline (the
unpaid principal moves there, so no fee accrues during the deferral, even one decided
after the normal due date); called due, the day of the trigger (or the original due
date for a false commitment). Money settles the earliest-due slice first. A slice's
late fee is principal x rate x days overdue for each part of it, counted to the day
it was paid or to the as-of day (Social Insurance Law art. 86; days after the due date
through payment, 税收征收管理法实施细则 art. 75), summed per item and rounded once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from ledger.domain.latefee import DailyRates
from ledger.domain.money import ZERO, round_fen
from ledger.domain.period import Period
from ledger.domain.terms import Part
from ledger.projections.journal import Kind, Movement


@dataclass(slots=True)
class _Slice:
    due: date
    unpaid: Decimal
    deferred: bool = False
    called: bool = False
    #: owed again because an amendment or revocation reversed a decision
    compensation: bool = False


@dataclass(slots=True)
class ItemBalance:
    """One assessment item (period and part) as of a date."""

    period: Period
    part: Part
    due_date: date
    assessed: Decimal = ZERO
    reduced: Decimal = ZERO
    paid: Decimal = ZERO
    credit_applied: Decimal = ZERO
    refunded: Decimal = ZERO
    carried_forward: Decimal = ZERO
    #: principal still deferred (not yet due)
    deferred: Decimal = ZERO
    #: principal called due before the deadline, unpaid
    called_due: Decimal = ZERO
    #: principal past its due day, unpaid
    overdue: Decimal = ZERO
    deadline: date | None = None
    late_fee: Decimal = ZERO
    _slices: list[_Slice] = field(default_factory=list)
    #: principal settled by a payment or applied credit: (amount, its slice's due day,
    #: the day paid), in the order settled; the fee on each is priced when the item is
    #: closed, so the folded state holds no rate and serves any as-of date after it
    _settled: list[tuple[Decimal, date, date]] = field(default_factory=list)

    @property
    def outstanding(self) -> Decimal:
        return (
            self.assessed
            - self.reduced
            - self.paid
            - self.credit_applied
            + self.refunded
            + self.carried_forward
        )


def to_close(item: ItemBalance) -> ItemBalance:
    """A copy of a folded item for ``close_items``, which adds to its counters: the item
    stays as folded (a kept balance is priced by many reads). Its slices and settlements
    are shared: closing only reads them."""
    return ItemBalance(
        period=item.period,
        part=item.part,
        due_date=item.due_date,
        assessed=item.assessed,
        reduced=item.reduced,
        paid=item.paid,
        credit_applied=item.credit_applied,
        refunded=item.refunded,
        carried_forward=item.carried_forward,
        deferred=item.deferred,
        called_due=item.called_due,
        overdue=item.overdue,
        deadline=item.deadline,
        late_fee=item.late_fee,
        _slices=item._slices,
        _settled=item._settled,
    )


@dataclass(slots=True)
class UnitBalance:
    items: list[ItemBalance]
    credit_held: Decimal

    @property
    def outstanding(self) -> Decimal:
        return sum((i.outstanding for i in self.items), ZERO)

    @property
    def late_fee(self) -> Decimal:
        return sum((i.late_fee for i in self.items), ZERO)


def known_at(movements: Iterable[Movement], instant: datetime | None) -> list[Movement]:
    """Only what the ledger had recorded by ``instant`` (the second clock)."""
    return [m for m in movements if instant is None or m.recorded_at <= instant]


def unit_balance(movements: Iterable[Movement], as_of: date, rates: DailyRates) -> UnitBalance:
    """Every item's balance and late fee as of ``as_of`` (movements dated after are ignored).

    Movements are applied in business-date order, ties in recorded order (a movement
    dated before its item's assessment takes effect on the assessment's date).
    """
    items, credit = fold_items(movements, as_of)
    return close_items(items, credit, as_of, rates)


def close_items(
    items: Iterable[ItemBalance], credit: Decimal, as_of: date, rates: DailyRates
) -> UnitBalance:
    """The balance as of ``as_of`` of items folded up to it: each item's unpaid slices
    split into deferred, called due and overdue, and its late fee priced."""
    ordered = sorted(items, key=item_order)
    for item in ordered:
        _close(item, as_of, rates)
    return UnitBalance(ordered, credit)


def item_order(item: ItemBalance) -> tuple[Period, Part]:
    """The order a balance lists its items in: by period, then part."""
    return (item.period, item.part)


def fold_items(movements: Iterable[Movement], as_of: date) -> tuple[list[ItemBalance], Decimal]:
    """The items and the credit after every movement taking effect by ``as_of`` (all of
    them for ``date.max``), not yet closed: what ``close_items`` prices as of a day."""
    items: dict[tuple[Period, Part], ItemBalance] = {}
    credit = fold_into(items, ZERO, in_business_order(movements), as_of)
    return list(items.values()), credit


def fold_into(
    items: dict[tuple[Period, Part], ItemBalance],
    credit: Decimal,
    dated: Iterable[tuple[date, Movement]],
    as_of: date,
) -> Decimal:
    """Applies movements in business order (``in_business_order``) to the items by key
    (period, part) and returns the credit: the fold's one loop, which a state folded
    earlier can also be carried on with (``balance_ready.extend``)."""
    for on, m in dated:
        if on > as_of:
            continue
        if m.kind is Kind.credit_received:
            credit += m.amount
            continue
        assert m.period is not None
        assert m.part is not None
        key = (m.period, m.part)
        if m.kind is Kind.revoked:
            items.pop(key, None)
            continue
        if m.kind is Kind.assessed:
            assert m.due is not None
            items[key] = ItemBalance(
                m.period, m.part, m.due, assessed=m.amount, _slices=[_Slice(m.due, m.amount)]
            )
            continue
        item = items.get(key)
        if item is None:  # a movement of a revoked assessment
            continue
        credit += _apply(item, m)
    return credit


def in_business_order(movements: Iterable[Movement]) -> list[tuple[date, Movement]]:
    """Movements with the date they take effect, in that order (ties: recorded order).

    A movement takes effect on its business date, but never before the assessment of
    its item: a payment dated before the assessment it settles (collected early, the
    assessment recorded with a later date) or a decision dated before the period was
    assessed applies once the item exists, instead of being lost.
    """
    return dated_after(movements, {})


def dated_after(
    movements: Iterable[Movement], assessed_on: dict[tuple[Period, Part], date]
) -> list[tuple[date, Movement]]:
    """``in_business_order`` for movements recorded after others, given the day of each
    item's assessment latest by version among those (updated in place with theirs)."""
    dated: list[tuple[date, Movement]] = []
    for m in sorted(movements, key=lambda m: m.version):
        on = m.on
        if m.period is not None and m.part is not None:
            key = (m.period, m.part)
            if m.kind is Kind.assessed:
                assessed_on[key] = m.on
            elif key in assessed_on:
                on = max(on, assessed_on[key])
        dated.append((on, m))
    dated.sort(key=lambda pair: (pair[0], pair[1].version))
    return dated


def _apply(item: ItemBalance, m: Movement) -> Decimal:
    """Applies one movement to an item; returns its effect on the unit's credit.

    A negative amount is a compensating decision reversing an earlier one (see
    ``journal.Kind``): the counters net out and the principal owed is reconciled.
    """
    if m.amount < ZERO and m.kind in _REVERSIBLE:
        setattr(item, m.kind.value, getattr(item, m.kind.value) + m.amount)
        _reconcile(item, m.on)
        return _REVERSIBLE[m.kind] * m.amount
    match m.kind:
        case Kind.reduced:
            item.reduced += m.amount
            # retroactive: owed less, no fee on it; what a reversal made owed again goes first
            _take(item, m.amount, None, compensation_first=True)
        case Kind.paid:
            item.paid += m.amount
            _take(item, m.amount, m.on)
        case Kind.credit_applied:
            item.credit_applied += m.amount
            _take(item, m.amount, m.on)
            return -m.amount
        case Kind.refunded:
            item.refunded += m.amount
        case Kind.carried_forward:
            item.carried_forward += m.amount
            return m.amount
        case Kind.deferred:
            assert m.due is not None
            item.deadline = m.due
            unpaid = sum((s.unpaid for s in item._slices), ZERO)
            for s in item._slices:
                s.unpaid = ZERO
            item._slices.append(_Slice(m.due, unpaid, deferred=True))
        case Kind.undeferred:
            # A deferral withdrawn: what it still held is due again, from the day of the
            # withdrawal (or the item's own due date, if later), never retroactively.
            item.deadline = None
            unpaid = sum((s.unpaid for s in item._slices if s.deferred), ZERO)
            for s in item._slices:
                if s.deferred:
                    s.unpaid = ZERO
            due = max(m.on, item.due_date)
            item._slices.append(_Slice(due, unpaid, compensation=True))
        case Kind.called_due:
            due = m.due or item.due_date
            left = m.amount
            for s in item._slices:
                if s.deferred and left > ZERO:
                    moved = min(left, s.unpaid)
                    s.unpaid -= moved
                    left -= moved
            item._slices.append(_Slice(due, m.amount - left, called=True))
    return ZERO


#: the kinds a compensating decision reverses, and the sign of their effect on credit
_REVERSIBLE = {
    Kind.reduced: 0,
    Kind.refunded: 0,
    Kind.carried_forward: 1,
    Kind.credit_applied: -1,
}


def _reconcile(item: ItemBalance, on: date) -> None:
    """After a reversal, the unpaid slices sum to what is owed again: principal owed
    again is due from the reversal's day (or the item's due date, if later), so no late
    fee runs for the time before the amendment; principal owed less is taken off."""
    owed = max(ZERO, item.outstanding)
    unpaid = sum((s.unpaid for s in item._slices), ZERO)
    if owed > unpaid:
        item._slices.append(_Slice(max(on, item.due_date), owed - unpaid, compensation=True))
    elif owed < unpaid:
        _take(item, unpaid - owed, None, compensation_first=True)


def _take(
    item: ItemBalance,
    amount: Decimal,
    paid_on: date | None,
    *,
    compensation_first: bool = False,
) -> None:
    """Settles slices earliest-due first (what a reversal made owed again first, when
    asked); a payment accrues the late fee of what it settles (priced on closing)."""
    left = amount
    order = sorted(item._slices, key=lambda s: (not (compensation_first and s.compensation), s.due))
    for s in order:
        if left <= ZERO:
            break
        take = min(left, s.unpaid)
        if take <= ZERO:
            continue
        s.unpaid -= take
        left -= take
        if paid_on is not None:
            item._settled.append((take, s.due, paid_on))


def settled(item: ItemBalance) -> bool:
    """Nothing of the folded item is unpaid: closed as of any day, it is the same item
    (no slice is deferred, called due or overdue, and its late fee is priced on what
    was paid, through the days it was paid)."""
    return all(s.unpaid <= ZERO for s in item._slices)


def _close(item: ItemBalance, as_of: date, rates: DailyRates) -> None:
    fee: Decimal = ZERO
    for take, due, paid_on in item._settled:
        fee += take * rates.factor(due, paid_on)
    for s in item._slices:
        if s.unpaid <= ZERO:
            continue
        fee += s.unpaid * rates.factor(s.due, as_of)
        if s.deferred and s.due >= as_of:
            item.deferred += s.unpaid
        elif s.called:
            item.called_due += s.unpaid
        if s.due < as_of:
            item.overdue += s.unpaid
    item.late_fee = round_fen(fee)
