"""The unit balance view: every item (period and part) of a unit, with its late fee.

Per item: assessed, reduced, deferred, called due, paid, refunded, credit applied and
carried forward, outstanding, overdue, the due date (the assessment's; while deferred,
the deadline; once called due, the day it was called) and the late fee as of the day
asked: the catalogue's daily rate (0.05%) on each overdue slice from the day after its
due date through the day of payment (or through ``as_of`` while unpaid), nothing while
deferred, rounded half-up to the fen per item; the unit's total is the sum of the items'.
The arithmetic is :func:`ledger.projections.balance_fold.unit_balance`; this module names the
unit, applies both clocks and shapes the result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from ledger.catalogue.policyset import PolicySet
from ledger.clocks import ReadClocks
from ledger.domain.money import ZERO
from ledger.domain.period import Period
from ledger.domain.terms import Part
from ledger.projections.balance_fold import (
    ItemBalance,
    UnitBalance,
    close_items,
    in_business_order,
    to_close,
)
from ledger.projections.balance_ready import ReadyBalance, extend, ready_balance
from ledger.projections.items import balances, called_due_on, daily_rates, find_unit
from ledger.projections.journal import UnitRegistered
from ledger.projections.store import ViewStore


@dataclass(frozen=True, slots=True)
class ItemLine:
    period: Period
    part: Part
    #: the normal due date of the assessment
    due_date: date
    assessed: Decimal
    reduced: Decimal
    paid: Decimal
    credit_applied: Decimal
    refunded: Decimal
    carried_forward: Decimal
    #: principal still deferred, due at ``deadline``
    deferred: Decimal
    deadline: date | None
    #: deferred principal called due early and still unpaid, due at ``called_due_on``
    called_due: Decimal
    called_due_on: date | None
    outstanding: Decimal
    #: principal past its due day, unpaid
    overdue: Decimal
    late_fee: Decimal

    @property
    def due_now(self) -> date:
        """The day by which what is left of the item must be paid: the day it was called
        due, else the deferral's deadline (passed or not), else the assessment's due date."""
        if self.called_due and self.called_due_on is not None:
            return self.called_due_on
        if self.deadline is not None:
            return self.deadline
        return self.due_date


@dataclass(frozen=True, slots=True)
class UnitBalanceView:
    uscc: str
    name: str
    region: str
    agency: str
    as_of: date
    known_at: datetime | None
    daily_rate: Decimal
    #: the late-fee rule applied (document, version, paragraph)
    late_fee_rule: str
    items: list[ItemLine]
    #: credit held (待转基金, or a payment's excess) not yet applied
    credit_held: Decimal

    def total(self, field: str) -> Decimal:
        """The sum of one amount over the items (``late_fee``: the unit's late fee)."""
        return sum((getattr(i, field) for i in self.items), ZERO)

    @property
    def outstanding(self) -> Decimal:
        return self.total("outstanding")

    @property
    def late_fee(self) -> Decimal:
        return self.total("late_fee")


#: the amounts a balance totals, in the order a table shows them
AMOUNTS = (
    "assessed",
    "reduced",
    "paid",
    "credit_applied",
    "refunded",
    "carried_forward",
    "deferred",
    "called_due",
    "outstanding",
    "overdue",
    "late_fee",
)


def kept_balance(store: ViewStore, unit_id: UUID, as_of: date) -> ReadyBalance | None:
    """The unit's balance folded through every movement the views hold, if it answers
    for ``as_of`` (on or after the day the last movement took effect): as kept; or kept
    and carried on through the movements recorded since (a payment); or folded from all
    of them. What was folded or carried on is kept for the next reads.

    None for an earlier day, before anything is carried on, folded or written: the read
    folds the movements up to ``as_of`` instead. (A state carried on or folded again
    only takes effect later than the one kept: the days old movements take effect on do
    not change with the movements recorded after them.)"""
    kept, last = store.kept_balance(unit_id)
    if kept is not None and as_of < kept.valid_from:
        return None
    if kept is not None and kept.through == last:
        return kept
    ready = None
    if kept is not None and kept.through < last:
        ready = extend(kept, store.movements_after(unit_id, kept.through))
        if ready is not None and as_of < ready.valid_from:
            return None
    if ready is None:
        movements = store.movements([unit_id])
        dated = in_business_order(movements)
        if dated and as_of < dated[-1][0]:
            return None
        ready = ready_balance(movements)
    store.keep_ready_balance(unit_id, ready)
    return ready


def kept_view(
    unit: UnitRegistered, ready: ReadyBalance, as_of: date, policies: PolicySet
) -> UnitBalanceView:
    """A unit's items as of ``as_of`` (on or after ``ready.valid_from``), from everything
    recorded, priced from the balance kept (``kept_balance``), which stays as it was."""
    assert as_of >= ready.valid_from
    rates = daily_rates(policies, unit.region)
    balance = close_items([to_close(i) for i in ready.items], ready.credit, as_of, rates)
    return _shaped(unit, ReadClocks(as_of, None), policies, balance, kept_called_on(ready))


def kept_called_on(ready: ReadyBalance) -> Callable[[Period, Part], date | None]:
    """The day an item's deferred principal was last called due, as the balance kept
    holds it (``item_line``'s ``called_on``)."""
    kept = ready.called_due_on

    def called_on(period: Period, part: Part) -> date | None:
        return kept.get((period, part))

    return called_on


def unit_balance_view(
    store: ViewStore,
    uscc: str,
    *,
    clocks: ReadClocks,
    policies: PolicySet,
) -> UnitBalanceView:
    """A unit's items as of ``as_of``, from what was recorded by ``known_at``."""
    as_of, known_at = clocks.as_of, clocks.known_at
    unit = find_unit(store, uscc, known_at)
    ready = kept_balance(store, unit.unit_id, as_of) if known_at is None else None
    if ready is not None:
        return kept_view(unit, ready, as_of, policies)
    # a past known_at, or an as-of day before the unit's last movement: the fold
    balance, moves = balances(store, [unit], clocks, policies)[unit.unit_id]

    def called_on(period: Period, part: Part) -> date | None:
        return called_due_on(moves, period, part, as_of)

    return _shaped(unit, clocks, policies, balance, called_on)


def _shaped(
    unit: UnitRegistered,
    clocks: ReadClocks,
    policies: PolicySet,
    balance: UnitBalance,
    called_on: Callable[[Period, Part], date | None],
) -> UnitBalanceView:
    lines = [item_line(i, called_on) for i in balance.items]
    return shaped(unit, clocks, policies, lines, balance.credit_held)


def item_line(item: ItemBalance, called_on: Callable[[Period, Part], date | None]) -> ItemLine:
    """The line of a closed item (``close_items``); ``called_on`` names the day its
    deferred principal was called due, asked only of an item with some called due."""
    return ItemLine(
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
        deadline=item.deadline,
        called_due=item.called_due,
        called_due_on=called_on(item.period, item.part) if item.called_due else None,
        outstanding=item.outstanding,
        overdue=item.overdue,
        late_fee=item.late_fee,
    )


def shaped(
    unit: UnitRegistered,
    clocks: ReadClocks,
    policies: PolicySet,
    lines: list[ItemLine],
    credit_held: Decimal,
) -> UnitBalanceView:
    """The unit's view of ``lines``, with the late-fee rule in force on the as-of day."""
    cited = policies.late_fee(unit.region, clocks.as_of)
    return UnitBalanceView(
        uscc=unit.uscc,
        name=unit.name,
        region=unit.region,
        agency=unit.agency,
        as_of=clocks.as_of,
        known_at=clocks.known_at,
        daily_rate=cited.rule.daily_rate,
        late_fee_rule=cited.citation,
        items=lines,
        credit_held=credit_held,
    )
