"""A unit's amounts over time (the desk's chart): each point is the balance as of its day."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from ledger.clocks import ReadClocks
from ledger.domain.latefee import DailyRates
from ledger.projections.balance_view import unit_balance_view
from ledger.projections.history import sample_days, unit_history
from ledger.projections.items import find_unit
from tests.unit.projections import seeds
from tests.unit.projections.conftest import WUHAI_SME


def history(events: list[Any], until: date) -> list[Any]:
    store = seeds.store_of(events)
    unit = find_unit(store, WUHAI_SME, None)
    return unit_history(
        store.movements([unit.unit_id], known_at=None), until, DailyRates.flat(Decimal("0.0005"))
    )


def test_the_last_point_is_the_balance_as_of_the_day_asked(wuhai_events: list[Any]) -> None:
    points = history(wuhai_events, date(2023, 8, 1))

    view = unit_balance_view(
        seeds.store_of(wuhai_events),
        WUHAI_SME,
        clocks=ReadClocks(date(2023, 8, 1)),
        policies=seeds.POLICIES,
    )
    last = points[-1]
    assert last.on == date(2023, 8, 1)
    assert last.late_fee == view.late_fee == Decimal("328.65")
    assert last.owed + last.deferred == view.outstanding


def test_the_deferred_unit_part_shows_until_the_repayment(wuhai_events: list[Any]) -> None:
    points = {p.on: p for p in history(wuhai_events, date(2023, 8, 1))}

    # 3 x 7,000.00 still deferred at the end of June 2023; repaid on 2023-07-31
    assert points[date(2023, 6, 30)].deferred == Decimal("21000.00")
    assert points[date(2023, 6, 30)].late_fee == Decimal("3.15")
    assert points[date(2023, 7, 31)].deferred == Decimal("0.00")


def test_the_chart_starts_from_nothing_the_month_before_the_first_movement(
    wuhai_events: list[Any],
) -> None:
    first = history(wuhai_events, date(2023, 8, 1))[0]

    assert (first.owed, first.deferred, first.paid, first.late_fee) == (Decimal("0.00"),) * 4


def test_a_long_history_is_drawn_every_few_months() -> None:
    days = sample_days(date(2000, 1, 15), date(2023, 8, 1), most=120)

    assert len(days) <= 121
    assert days[-1] == date(2023, 8, 1)
    assert days == sorted(days)
