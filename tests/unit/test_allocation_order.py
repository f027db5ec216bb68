"""The order a payment settles items in (DOMAIN.md: oldest period first, then the
individual part before the unit's), as ``in_allocation_order`` sorts them by plain
numbers: the same order as the periods' own and ``ALLOCATION_ORDER``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import cast

from hypothesis import given
from hypothesis import strategies as st

from ledger.domain.itemrows import encode_amounts
from ledger.domain.period import Period
from ledger.domain.state import Item
from ledger.domain.terms import ALLOCATION_ORDER, Part
from ledger.domain.unit import Unit
from ledger.measures.allocation import allocate_payment, in_allocation_order

periods = st.builds(Period, st.integers(1995, 2060), st.integers(1, 12))


@given(st.lists(st.tuples(periods, st.sampled_from(list(Part))), max_size=60))
def test_items_are_settled_oldest_period_first_then_in_the_parts_order(
    keys: list[tuple[Period, Part]],
) -> None:
    items = [Item(p, part, Decimal("1.00"), date(2022, 1, 15)) for p, part in keys]

    ordered = in_allocation_order(items)

    assert [(i.period, i.part) for i in ordered] == sorted(
        keys, key=lambda k: (k[0], ALLOCATION_ORDER.index(k[1]))
    )


def test_a_december_is_settled_before_the_next_january() -> None:
    december = Item(Period(2022, 12), Part.unit_medical, Decimal("1.00"), date(2023, 1, 15))
    january = Item(Period(2023, 1), Part.individual, Decimal("1.00"), date(2023, 2, 15))

    assert in_allocation_order([january, december]) == [december, january]


def _every_item_visited(items: list[Item], amount: Decimal) -> tuple[list[list[str]], Decimal]:
    """The allocation as first written: every item visited in every pass."""
    allocations: dict[tuple[Period, Part], Decimal] = {}
    left = amount
    undeferred = in_allocation_order(i for i in items if i.deferred_until is None)
    deferred = in_allocation_order(i for i in items if i.deferred_until is not None)
    passes: list[tuple[list[Item], Callable[[Item], Decimal]]] = [
        (undeferred, lambda i: i.outstanding),
        (deferred, lambda i: min(i.called_due_open, i.outstanding)),
        (deferred, lambda i: i.outstanding),
    ]
    for ordered, room in passes:
        for item in ordered:
            key = (item.period, item.part)
            take = min(left, room(item) - allocations.get(key, Decimal("0.00")))
            if take > 0:
                allocations[key] = allocations.get(key, Decimal("0.00")) + take
                left -= take
    return encode_amounts(allocations), left


cents = st.integers(0, 50_000).map(lambda n: Decimal(n).scaleb(-2))


@st.composite
def owed_items(draw: st.DrawFn) -> Item:
    assessed = draw(cents)
    item = Item(draw(periods), draw(st.sampled_from(list(Part))), assessed, date(2022, 1, 15))
    item.paid = draw(st.sampled_from([Decimal("0.00"), assessed, min(assessed, draw(cents))]))
    if draw(st.booleans()):
        item.deferred_until = date(2023, 6, 30)
        item.called_due_open = min(draw(cents), item.outstanding)
    return item


@given(st.lists(owed_items(), max_size=40), cents.filter(lambda c: c > 0))
def test_a_payment_settles_as_if_every_item_were_visited_settled_ones_and_all(
    items: list[Item], amount: Decimal
) -> None:
    by_key = {(i.period, i.part): i for i in items}
    unit = cast(Unit, SimpleNamespace(items=by_key))

    rows, left = allocate_payment(unit, amount, None)

    expected, expected_left = _every_item_visited(list(by_key.values()), amount)
    assert rows == expected
    assert left == expected_left
