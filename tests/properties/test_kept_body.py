"""The lean read's body (``reports.kept_body``) against the route's, the reference.

Random histories of a unit's movements (``test_balance_ready``'s), kept and priced as
of days from the one the last movement took effect: the body rendered with its settled
items' lines made once is, byte for byte, ``compact_json`` of the balance document of
``kept_view``, whichever days were asked before and whichever state was kept before.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.domain.period import Period
from ledger.domain.terms import Part
from ledger.projections.balance_ready import ReadyBalance, decode, encode, ready_balance
from ledger.projections.balance_view import kept_view
from ledger.projections.journal import Kind, Movement, UnitRegistered
from ledger.reports.formats import compact_json
from ledger.reports.kept_body import KeptBodies
from ledger.reports.unit_reads import balance_document, balance_totals
from tests.properties.test_balance_ready import UNIT, histories
from tests.unit.projections.seeds import POLICIES, uscc

#: a name whose text holds the key the items are put after, quotes and all
NAME = '乌海 "items":[] ,"items":[] 商贸'


def _unit(name: str = NAME) -> UnitRegistered:
    return UnitRegistered(
        UNIT,
        datetime(2021, 12, 1, tzinfo=UTC),
        uscc("91150302MA0Q1WH00"),
        name,
        "enterprise",
        "150300",
        "150300001",
        "0001",
        date(2010, 1, 1),
    )


def _reference(unit: UnitRegistered, ready: ReadyBalance, as_of: date) -> bytes:
    view = kept_view(unit, ready, as_of, POLICIES)
    return compact_json(balance_document(view, balance_totals(view)))


def _kept(history: list[Movement]) -> ReadyBalance:
    kept = decode(encode(ready_balance(history)))
    assert kept is not None
    return kept


@settings(max_examples=300, deadline=None)
@given(
    history=histories(),
    days=st.lists(st.integers(min_value=0, max_value=900), min_size=1, max_size=4),
)
def test_a_kept_balance_renders_as_the_routes_body_on_every_day_asked(
    history: list[Movement], days: list[int]
) -> None:
    unit, kept, bodies = _unit(), _kept(history), KeptBodies()
    for later in days:
        as_of = kept.valid_from + timedelta(days=later)
        assert bodies.body(unit, kept, as_of, POLICIES) == _reference(unit, kept, as_of)


@settings(max_examples=200, deadline=None)
@given(history=histories(), cut=st.integers(min_value=1, max_value=20))
def test_a_unit_kept_again_through_a_later_movement_is_rendered_afresh(
    history: list[Movement], cut: int
) -> None:
    unit, bodies = _unit(), KeptBodies()
    before = _kept([m for m in history if m.version <= cut])
    after = _kept(history)
    as_of = max(before.valid_from, after.valid_from) + timedelta(days=30)
    assert bodies.body(unit, before, as_of, POLICIES) == _reference(unit, before, as_of)
    assert bodies.body(unit, after, as_of, POLICIES) == _reference(unit, after, as_of)


def test_a_settled_line_is_rendered_once_for_every_day_and_the_lines_kept_are_bounded() -> None:
    on = date(2022, 1, 10)
    item = (Period.parse("2022-01"), Part.unit_medical, Decimal("2881.54"))
    history = [
        Movement(UNIT, 1, datetime(2022, 1, 10, tzinfo=UTC), on, Kind.assessed, *item, on),
        Movement(UNIT, 2, datetime(2022, 3, 1, tzinfo=UTC), date(2022, 3, 1), Kind.paid, *item),
    ]
    kept, bodies = _kept(history), KeptBodies(budget=1)
    first = bodies.body(_unit(), kept, date(2022, 3, 1), POLICIES)
    parts = bodies._rendered[UNIT]
    assert parts.fragments[0] is not None  # settled: its late fee priced to the day paid
    # 2,881.54 x 0.05% x 50 days (2022-01-11 through 2022-03-01, the day paid)
    assert b'"late_fee":"72.04"' in parts.fragments[0]
    later = bodies.body(_unit(), kept, date(2023, 3, 1), POLICIES)
    assert later == first.replace(b'"as_of":"2022-03-01"', b'"as_of":"2023-03-01"')
    assert bodies._rendered[UNIT] is parts
    other = replace(_unit(), unit_id=UUID(int=8))
    bodies.body(other, kept, date(2022, 3, 1), POLICIES)
    assert list(bodies._rendered) == [other.unit_id]
