"""The unit balance view: items, late fees as of any date, both clocks."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from ledger.clocks import ReadClocks
from ledger.domain.errors import NotFound
from ledger.domain.period import Period
from ledger.domain.terms import Part
from ledger.projections.balance_view import ItemLine, UnitBalanceView, unit_balance_view
from ledger.projections.store import MemoryViewStore
from ledger.reports import plain
from ledger.reports.unit_reads import item_document
from tests.unit.projections import seeds
from tests.unit.projections.conftest import WUHAI_SME


def line(view: UnitBalanceView, period: str, part: Part) -> ItemLine:
    (found,) = [i for i in view.items if i.period == Period.parse(period) and i.part == part]
    return found


def wuhai(events: list[Any], as_of: date, known_at: datetime | None = None) -> UnitBalanceView:
    store = seeds.store_of(events)
    return unit_balance_view(
        store, WUHAI_SME, clocks=ReadClocks(as_of, known_at), policies=seeds.POLICIES
    )


def test_21000_deferred_repaid_a_month_after_the_deadline_carries_325_50(
    wuhai_events: list[Any],
) -> None:
    view = wuhai(wuhai_events, date(2023, 8, 1))

    # 2022-07..09 unit parts: 7,000.00 each still deferred at the 2023-06-30 deadline,
    # paid 2023-07-31: 7,000.00 x 0.0005 x 31 days = 108.50 each, 325.50 for 21,000.00.
    # Each month also carries the resigned person's 420.00 called due on 2022-10-20 and
    # paid on 10-25: 420.00 x 0.0005 x 5 = 1.05. Per item 109.55; total 328.65.
    fees = [line(view, p, Part.unit_medical).late_fee for p in ("2022-07", "2022-08", "2022-09")]
    assert fees == [Decimal("109.55")] * 3
    assert view.late_fee == Decimal("328.65")
    assert view.outstanding == Decimal("0.00")
    assert view.daily_rate == Decimal("0.0005")
    assert view.late_fee_rule.startswith("中华人民共和国社会保险法 第八十六条 v1")


def test_while_deferred_the_item_is_due_at_the_deadline_and_accrues_nothing(
    wuhai_events: list[Any],
) -> None:
    view = wuhai(wuhai_events, date(2023, 6, 30))

    july = line(view, "2022-07", Part.unit_medical)
    # 7,420.00 assessed (106,000.00 x 7%), 420.00 called due and paid: 7,000.00 deferred
    assert (july.assessed, july.paid, july.deferred, july.overdue) == (
        Decimal("7420.00"),
        Decimal("420.00"),
        Decimal("7000.00"),
        Decimal("0.00"),
    )
    assert (july.due_date, july.deadline, july.due_now) == (
        date(2022, 8, 15),
        date(2023, 6, 30),
        date(2023, 6, 30),
    )
    assert july.late_fee == Decimal("1.05")  # the called-due 420.00, 5 days


def test_a_called_due_part_shows_the_day_it_was_called(wuhai_events: list[Any]) -> None:
    view = wuhai(wuhai_events, date(2022, 10, 21))

    july = line(view, "2022-07", Part.unit_medical)
    # 6,000.00 x 7% = 420.00 called due on the resignation day, unpaid one day later:
    # 420.00 x 0.0005 x 1 = 0.21
    assert (july.called_due, july.called_due_on, july.due_now) == (
        Decimal("420.00"),
        date(2022, 10, 20),
        date(2022, 10, 20),
    )
    assert (july.overdue, july.late_fee) == (Decimal("420.00"), Decimal("0.21"))


def test_the_individual_part_paid_in_time_owes_nothing(wuhai_events: list[Any]) -> None:
    view = wuhai(wuhai_events, date(2023, 8, 1))

    individual = line(view, "2022-08", Part.individual)
    # 106,000.00 x 2% = 2,120.00, due 2022-09-15, paid 2022-09-10
    assert (individual.assessed, individual.paid, individual.late_fee) == (
        Decimal("2120.00"),
        Decimal("2120.00"),
        Decimal("0.00"),
    )


def test_known_at_before_the_repayment_shows_it_unpaid(wuhai_events: list[Any]) -> None:
    before = seeds.just_before_last_event(seeds.store_of(wuhai_events))

    view = wuhai(wuhai_events, date(2023, 8, 1), known_at=before)

    # 21,000.00 unpaid on 2023-08-01: 32 days (07-01..08-01) x 0.0005 = 336.00, + 3.15
    assert view.outstanding == Decimal("21000.00")
    assert view.late_fee == Decimal("339.15")


def test_a_reduction_refunded_leaves_nothing_owed_and_no_fee() -> None:
    store = seeds.store_for(seeds.lincang_ledger)

    view = unit_balance_view(
        store, seeds.LINCANG_UNIT, clocks=ReadClocks(date(2020, 12, 1)), policies=seeds.POLICIES
    )

    feb = line(view, "2020-02", Part.unit_medical)
    # 10,000.00 x 8% = 800.00 paid 2020-03-05; halved on 03-14: 400.00 reduced, refunded
    assert (feb.assessed, feb.reduced, feb.paid, feb.refunded, feb.outstanding) == (
        Decimal("800.00"),
        Decimal("400.00"),
        Decimal("800.00"),
        Decimal("400.00"),
        Decimal("0.00"),
    )
    # May and June deferred whole to 2020-11-30 and repaid on 11-20: in time, no fee
    assert view.late_fee == Decimal("0.00")


def test_a_2020_deferral_unpaid_after_its_deadline_accrues_from_the_next_day() -> None:
    store = seeds.store_for(seeds.lincang_ledger)
    before = seeds.just_before_last_event(store)

    view = unit_balance_view(
        store,
        seeds.LINCANG_UNIT,
        clocks=ReadClocks(date(2020, 12, 15), before),
        policies=seeds.POLICIES,
    )

    # May and June, 1,000.00 each, deadline 2020-11-30: 2,000.00 x 0.0005 x 15 days = 15.00
    assert (view.outstanding, view.late_fee) == (Decimal("2000.00"), Decimal("15.00"))
    assert line(view, "2020-05", Part.individual).overdue == Decimal("200.00")


def test_credit_carried_forward_is_held_until_the_next_month_uses_it() -> None:
    store = seeds.store_for(seeds.chifeng_ledger)

    held = unit_balance_view(
        store, seeds.CHIFENG_UNIT, clocks=ReadClocks(date(2020, 3, 31)), policies=seeds.POLICIES
    )
    used = unit_balance_view(
        store, seeds.CHIFENG_UNIT, clocks=ReadClocks(date(2020, 4, 30)), policies=seeds.POLICIES
    )

    # February's 6% share (900.00) halved on 2020-03-13: 450.00 held (待转基金)
    assert held.credit_held == Decimal("450.00")
    assert line(held, "2020-02", Part.unit_medical).carried_forward == Decimal("450.00")
    # March: the 450.00 offsets the individual part (300.00) first, then 150.00 of medical
    assert used.credit_held == Decimal("0.00")
    assert line(used, "2020-03", Part.individual).credit_applied == Decimal("300.00")
    assert line(used, "2020-03", Part.unit_medical).credit_applied == Decimal("150.00")
    # the 1% maternity share is whole: 150.00 assessed, nothing reduced
    assert line(used, "2020-03", Part.unit_maternity).reduced == Decimal("0.00")


def test_as_of_before_the_first_assessment_shows_no_items() -> None:
    store = seeds.store_for(seeds.chifeng_ledger)

    view = unit_balance_view(
        store, seeds.CHIFENG_UNIT, clocks=ReadClocks(date(2020, 3, 1)), policies=seeds.POLICIES
    )

    assert (view.items, view.late_fee) == ([], Decimal("0.00"))


def test_an_unknown_unit_or_one_not_yet_registered_is_not_found() -> None:
    store = seeds.store_for(seeds.chifeng_ledger)
    epoch = datetime(2000, 1, 1, tzinfo=UTC)

    with pytest.raises(NotFound, match="no unit registered"):
        unit_balance_view(
            MemoryViewStore(),
            seeds.CHIFENG_UNIT,
            clocks=ReadClocks(date(2020, 6, 1)),
            policies=seeds.POLICIES,
        )
    with pytest.raises(NotFound, match="as known at 2000-01-01"):
        unit_balance_view(
            store,
            seeds.CHIFENG_UNIT,
            clocks=ReadClocks(date(2020, 6, 1), epoch),
            policies=seeds.POLICIES,
        )


def test_a_payment_dated_before_its_assessment_still_settles_it() -> None:
    view = unit_balance_view(
        seeds.store_for(seeds.early_payer_ledger),
        seeds.EARLY_PAYER,
        clocks=ReadClocks(date(2020, 6, 1)),
        policies=seeds.POLICIES,
    )

    # the 500.00 takes effect when the item exists (02-20): nothing owed, no late fee
    assert (view.outstanding, view.late_fee) == (Decimal("0.00"), Decimal("0.00"))
    assert line(view, "2020-01", Part.unit_medical).paid == Decimal("400.00")


def test_a_balance_item_reads_in_json_as_the_generic_rendering_makes_it(
    wuhai_events: list[Any],
) -> None:
    view = wuhai(wuhai_events, date(2022, 10, 21))  # a day after a resignation called some due
    days_met = {
        name for i in view.items for name in ("deadline", "called_due_on") if getattr(i, name)
    }

    fast = [item_document(i) for i in view.items]
    generic = [
        plain({**{f.name: getattr(i, f.name) for f in fields(i)}, "due_now": i.due_now})
        for i in view.items
    ]

    assert days_met == {"deadline", "called_due_on"}  # every kind of field is met
    assert fast == generic
    assert [list(d) for d in fast] == [list(d) for d in generic]
