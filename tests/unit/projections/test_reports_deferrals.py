"""The 2022 deferral reports: the 缓缴清单, the monthly statistics, the reminders."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from ledger.clocks import ReadClocks
from ledger.domain.period import Period
from ledger.projections.deferrals import (
    DeferralListRow,
    MonthlyStatistics,
    Reminder,
    StatisticsLine,
    deferral_list,
    monthly_statistics,
    reminders,
)
from ledger.projections.store import MemoryViewStore
from tests.unit.projections import seeds


def listed(
    store: MemoryViewStore,
    month: str,
    as_of: date,
    known_at: datetime | None = None,
    region: str | None = None,
) -> list[DeferralListRow]:
    return deferral_list(
        store,
        month=Period.parse(month),
        clocks=ReadClocks(as_of, known_at),
        policies=seeds.POLICIES,
        region=region,
    )


# ------------------------------------------------------------------ the list


def test_a_resignation_takes_the_person_and_their_part_off_the_current_period(
    wuhai_events: list[Any],
) -> None:
    (row,) = listed(seeds.store_of(wuhai_events), "2022-09", date(2022, 11, 1))

    # 6,000.00 x 7% = 420.00 called due on 2022-10-20 and paid: 7,000.00 for 20 persons
    assert (row.persons, row.amount) == (20, Decimal("7000.00"))


def test_past_the_deadline_nothing_is_deferred_any_more(wuhai_events: list[Any]) -> None:
    (row,) = listed(seeds.store_of(wuhai_events), "2022-09", date(2023, 7, 1))

    # unpaid after 2023-06-30 it is arrears (late fee from 07-01), not a deferral
    assert (row.persons, row.amount) == (0, Decimal("0.00"))


def test_a_month_outside_the_window_lists_nobody(wuhai_events: list[Any]) -> None:
    assert listed(seeds.store_of(wuhai_events), "2022-10", date(2022, 11, 1)) == []


def test_a_shifted_window_and_a_unit_not_yet_assessed_are_listed() -> None:
    store = seeds.store_for(seeds.inner_mongolia_ledger)

    august = {row.uscc: row for row in listed(store, "2022-08", date(2022, 9, 1))}
    july = {row.uscc for row in listed(store, "2022-07", date(2022, 9, 1))}

    shifted = august[seeds.WUHAI_SHIFTED]
    # paid its July: window 2022-08..10; August 5,000.00 x 7% = 350.00 deferred
    assert (str(shifted.period_from), str(shifted.period_to)) == ("2022-08", "2022-10")
    assert (shifted.persons, shifted.amount) == (1, Decimal("350.00"))
    idle = august[seeds.WUHAI_IDLE]
    assert (idle.persons, idle.amount) == (0, Decimal("0.00"))
    # the large unit was refused: never listed; July is outside the shifted window
    assert seeds.HONGSHAN_LARGE not in august
    assert july == {seeds.WUHAI_A, seeds.WUHAI_IDLE, seeds.HONGSHAN_B}


def test_a_written_commitments_deferral_is_on_the_list_with_its_chosen_months() -> None:
    store = seeds.store_for(seeds.jinan_ledger)

    (row,) = listed(store, "2022-09", date(2022, 10, 31))

    # 2 x 8,000.00 x (8% + 1%) = 1,440.00; months chosen 2022-08..10; Jinan deadline
    assert (row.persons, row.amount, str(row.period_from), str(row.period_to)) == (
        2,
        Decimal("1440.00"),
        "2022-08",
        "2022-10",
    )
    assert (row.deadline, row.deferral_type) == (date(2022, 12, 31), "66")


def test_a_2020_deferral_on_application_is_not_on_the_list() -> None:
    store = seeds.store_for(seeds.lincang_ledger)

    assert listed(store, "2020-05", date(2020, 7, 20)) == []


def test_before_the_grant_was_recorded_the_unit_is_not_listed() -> None:
    store = seeds.store_for(seeds.jinan_ledger)
    granted_at = min(
        e.recorded_at for e in store.audit(types=["DeferralGranted"], originator_id=None)
    )

    before = listed(
        store, "2022-09", date(2022, 10, 31), known_at=granted_at - timedelta(microseconds=1)
    )
    after = listed(store, "2022-09", date(2022, 10, 31), known_at=granted_at)

    assert (before, [r.uscc for r in after]) == ([], [seeds.JINAN_UNIT])


def test_the_region_filter_takes_the_code_prefix() -> None:
    store = seeds.store_for(seeds.inner_mongolia_ledger)

    rows = listed(store, "2022-08", date(2022, 9, 1), region="150400")

    assert [r.uscc for r in rows] == [seeds.HONGSHAN_B]


# ----------------------------------------------------------------- statistics


def statistics(as_of: date, region: str | None = None) -> MonthlyStatistics:
    return monthly_statistics(
        seeds.store_for(seeds.inner_mongolia_ledger),
        month=Period(2022, 8),
        clocks=ReadClocks(as_of),
        policies=seeds.POLICIES,
        region=region,
    )


def test_statistics_sum_per_agency_and_upward_from_county_to_province() -> None:
    stats = statistics(date(2022, 9, 1))

    # Wuhai agency 150301: WUHAI_A 2 persons 700.00 + WUHAI_SHIFTED 1 person 350.00 (the
    # idle unit is listed but defers nothing: not a deferring unit); Hongshan (a county
    # of Chifeng) agency 150421: 1 person, 280.00. Province: 3 units, 4 persons, 1,330.00.
    assert [(s.level, s.code, s.units, s.persons, s.amount) for s in stats.lines] == [
        ("province", "150000", 3, 4, Decimal("1330.00")),
        ("prefecture", "150300", 2, 3, Decimal("1050.00")),
        ("agency", "150301", 2, 3, Decimal("1050.00")),
        ("prefecture", "150400", 1, 1, Decimal("280.00")),
        ("county", "150402", 1, 1, Decimal("280.00")),
        ("agency", "150421", 1, 1, Decimal("280.00")),
        ("total", "", 3, 4, Decimal("1330.00")),
    ]


def test_statistics_of_one_prefecture() -> None:
    stats = statistics(date(2022, 9, 1), region="150300")

    assert [(s.level, s.code, s.amount) for s in stats.lines] == [
        ("province", "150000", Decimal("1050.00")),
        ("prefecture", "150300", Decimal("1050.00")),
        ("agency", "150301", Decimal("1050.00")),
        ("total", "", Decimal("1050.00")),
    ]


def test_statistics_before_the_assessments_count_no_deferring_unit() -> None:
    stats = statistics(date(2022, 8, 1))

    # the units are listed (granted 2022-07-29) but August is not assessed until 08-05
    assert stats.lines[-1] == StatisticsLine("total", "", "", 0, 0, Decimal("0.00"))


# ------------------------------------------------------------------ reminders


def remind(store: MemoryViewStore, as_of: date, days: int) -> list[Reminder]:
    return reminders(store, within_days=days, clocks=ReadClocks(as_of), policies=seeds.POLICIES)


def test_a_reminder_a_month_before_the_deadline_names_the_amount(
    wuhai_events: list[Any],
) -> None:
    store = seeds.store_of(wuhai_events)

    (reminder,) = remind(store, date(2023, 6, 1), 30)

    # 3 x 7,000.00 still deferred, due 2023-06-30: 29 days left
    assert (reminder.kind, reminder.due_on, reminder.days_left, reminder.amount) == (
        "deferred",
        date(2023, 6, 30),
        29,
        Decimal("21000.00"),
    )
    assert [str(p) for p in reminder.periods] == ["2022-07", "2022-08", "2022-09"]
    assert remind(store, date(2023, 6, 1), 28) == []


def test_a_part_called_due_today_is_reminded_of(wuhai_events: list[Any]) -> None:
    store = seeds.store_of(wuhai_events)

    (reminder,) = remind(store, date(2022, 10, 20), 0)

    # the resigned person's 420.00 x 3 months, due the day of the resignation
    assert (reminder.kind, reminder.amount, reminder.days_left) == (
        "called_due",
        Decimal("1260.00"),
        0,
    )


def test_the_2020_deferral_is_reminded_of_until_it_is_repaid() -> None:
    store = seeds.store_for(seeds.lincang_ledger)

    (before,) = remind(store, date(2020, 11, 1), 30)
    after = remind(store, date(2020, 11, 21), 30)

    # May and June, 1,000.00 each, deadline 2020-11-30; repaid on 11-20
    assert (before.amount, before.due_on, before.days_left) == (
        Decimal("2000.00"),
        date(2020, 11, 30),
        29,
    )
    assert after == []


def test_the_window_includes_its_last_day() -> None:
    store = seeds.store_for(seeds.jinan_ledger)

    (reminder,) = remind(store, date(2022, 12, 1), 30)

    # Aug..Oct at 1,440.00, due 2022-12-31 (operator example), exactly 30 days ahead
    assert (reminder.amount, reminder.days_left) == (Decimal("4320.00"), 30)
