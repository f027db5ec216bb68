"""The order a payment settles items in (DOMAIN.md: oldest period first, then the
individual part before the unit's), as ``in_allocation_order`` sorts them by plain
numbers: the same order as the periods' own and ``ALLOCATION_ORDER``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from ledger.domain.period import Period
from ledger.domain.state import Item
from ledger.domain.terms import ALLOCATION_ORDER, Part
from ledger.measures.allocation import in_allocation_order

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
