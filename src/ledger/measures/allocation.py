"""Which items a payment settles (征收回传), and credit offset against later months.

The tax bureau names the items it collected; without that, individual part before unit
part, undeferred before deferred, oldest period first (DOMAIN.md). Credit held (a plain
overpayment, or 待转基金 carried forward by a reduction) offsets the unpaid, undeferred
items of the months after it (赤医保发〔2020〕3号 附件二 三: 冲减下个月的缴费).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal

from ledger.domain.errors import RuleViolation
from ledger.domain.money import ZERO
from ledger.domain.period import Period
from ledger.domain.state import Item
from ledger.domain.terms import ALLOCATION_ORDER, Part
from ledger.domain.unit import Unit
from ledger.measures.context import Context, decide, rows

_ORDER = {part: n for n, part in enumerate(ALLOCATION_ORDER)}


def in_allocation_order(items: Iterable[Item]) -> list[Item]:
    # (year, month) as plain ints, the order of Period: a Period compares in Python,
    # and these sorts were a payment's largest single cost (issue 11.2)
    return sorted(items, key=lambda i: (i.period.year, i.period.month, _ORDER[i.part]))


def apply_credit(unit: Unit, ctx: Context) -> None:
    """Offset credit held against unpaid, undeferred items of later months, oldest first;
    it is never used on older arrears."""
    if unit.credit <= ZERO:
        return
    left = unit.credit
    applied: dict[tuple[Period, Part], Decimal] = {}
    after = unit.credit_after
    candidates = (
        i
        for i in unit.items.values()
        if i.deferred_until is None and (after is None or i.period > after)
    )
    for item in in_allocation_order(candidates):
        if left <= ZERO:
            break
        take = min(left, item.outstanding)
        if take > ZERO:
            applied[(item.period, item.part)] = take
            left -= take
    if applied:
        # Cites the policy that carried the credit forward (none for a plain overpayment).
        decide(unit, Unit.CreditApplied, unit.credit_policy, ctx, items=rows(applied))


def allocate_payment(
    unit: Unit, amount: Decimal, requested: list[tuple[Period, Part, Decimal]] | None
) -> tuple[list[list[str]], Decimal]:
    """Which items a payment settles, and what is left over as credit."""
    if requested:
        return _as_named(unit, amount, requested)
    allocations: dict[tuple[Period, Part], Decimal] = {}
    left = amount
    # An item with nothing outstanding takes nothing in any pass: left out before the
    # sorts (most of a unit's history is settled), and the passes stop once the payment
    # is spent; what is allocated, and in what order, is as if every item were visited.
    owing = [i for i in unit.items.values() if i.outstanding > ZERO]
    undeferred = in_allocation_order(i for i in owing if i.deferred_until is None)
    deferred = in_allocation_order(i for i in owing if i.deferred_until is not None)
    # Due now first, then principal called due early, then what is still deferred.
    passes: list[tuple[list[Item], Callable[[Item], Decimal]]] = [
        (undeferred, lambda i: i.outstanding),
        (deferred, lambda i: min(i.called_due_open, i.outstanding)),
        (deferred, lambda i: i.outstanding),
    ]
    for items, room in passes:
        for item in items:
            if left <= ZERO:
                return rows(allocations), left
            key = (item.period, item.part)
            take = min(left, room(item) - allocations.get(key, ZERO))
            if take > ZERO:
                allocations[key] = allocations.get(key, ZERO) + take
                left -= take
    return rows(allocations), left


def _as_named(
    unit: Unit, amount: Decimal, requested: list[tuple[Period, Part, Decimal]]
) -> tuple[list[list[str]], Decimal]:
    allocations: dict[tuple[Period, Part], Decimal] = {}
    for period, part, share in requested:
        item = unit.items.get((period, part))
        if item is None:
            raise RuleViolation(
                f"unit {unit.uscc} has no assessment item {period} {part.value}",
                rule="payment allocation",
            )
        if share <= ZERO:
            raise RuleViolation(
                f"the share of {period} {part.value} is {share}: it must be positive",
                rule="payment allocation",
            )
        # An item named twice is paid the sum of its shares: check the sum.
        share += allocations.get((period, part), ZERO)
        if share > item.outstanding:
            raise RuleViolation(
                f"payment of {share} for {period} {part.value} exceeds the "
                f"outstanding {item.outstanding}",
                rule="payment allocation",
            )
        allocations[(period, part)] = share
    allocated = sum(allocations.values(), ZERO)
    if allocated > amount:
        raise RuleViolation(
            f"items add up to {allocated}, more than the payment of {amount}",
            rule="payment allocation",
        )
    return rows(allocations), amount - allocated
