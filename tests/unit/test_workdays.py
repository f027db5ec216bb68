"""Working days for review deadlines, with holidays and swapped working days (调休)."""

from __future__ import annotations

import doctest
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.domain import workdays as workdays_module
from ledger.domain.errors import InvalidValue
from ledger.domain.workdays import WorkingCalendar

NATIONAL_DAY_2022 = WorkingCalendar(
    holidays=frozenset(date(2022, 10, day) for day in range(1, 8)),
    extra_workdays=frozenset({date(2022, 10, 8), date(2022, 10, 9)}),
)

window_dates = st.dates(min_value=date(2022, 1, 1), max_value=date(2022, 12, 31))


@st.composite
def calendars(draw: st.DrawFn) -> WorkingCalendar:
    holidays = draw(st.frozensets(window_dates, max_size=60))
    weekend_days = window_dates.filter(lambda d: d.weekday() >= 5 and d not in holidays)
    extra_workdays = draw(st.frozensets(weekend_days, max_size=20))
    return WorkingCalendar(holidays=holidays, extra_workdays=extra_workdays)


def test_docstring_examples_hold() -> None:
    result = doctest.testmod(workdays_module)

    assert result.attempted > 0
    assert result.failed == 0


def test_plain_calendar_works_monday_to_friday() -> None:
    calendar = WorkingCalendar()

    week = [calendar.is_working_day(date(2022, 8, day)) for day in range(1, 8)]

    assert week == [True, True, True, True, True, False, False]


def test_three_working_days_after_friday_end_on_wednesday() -> None:
    calendar = WorkingCalendar()

    deadline = calendar.add_working_days(date(2022, 8, 5), 3)

    assert deadline == date(2022, 8, 10)


def test_national_day_week_is_skipped_and_swapped_weekend_counts() -> None:
    # Friday 30 September 2022; 1-7 October are holidays; Saturday 8 and Sunday 9
    # October are worked (调休), so they are working days 1 and 2, Monday 10 is day 3.
    submitted = date(2022, 9, 30)

    deadline = NATIONAL_DAY_2022.add_working_days(submitted, 3)

    assert deadline == date(2022, 10, 10)


def test_holiday_on_a_weekday_is_not_a_working_day() -> None:
    national_day_monday = date(2022, 10, 3)

    working = NATIONAL_DAY_2022.is_working_day(national_day_monday)

    assert working is False


def test_swapped_saturday_is_a_working_day() -> None:
    swapped_saturday = date(2022, 10, 8)

    working = NATIONAL_DAY_2022.is_working_day(swapped_saturday)

    assert working is True


def test_adding_no_working_days_gives_the_start_even_on_a_holiday() -> None:
    holiday = date(2022, 10, 1)

    same = NATIONAL_DAY_2022.add_working_days(holiday, 0)

    assert same == holiday


def test_negative_working_days_are_refused() -> None:
    with pytest.raises(InvalidValue, match="cannot add -1 working days"):
        WorkingCalendar().add_working_days(date(2022, 10, 1), -1)


def test_working_days_between_counts_after_the_first_date_up_to_the_second() -> None:
    submitted = date(2022, 9, 30)

    days = NATIONAL_DAY_2022.working_days_between(submitted, date(2022, 10, 10))

    assert days == 3
    assert NATIONAL_DAY_2022.working_days_between(submitted, submitted) == 0
    assert NATIONAL_DAY_2022.working_days_between(submitted, date(2022, 10, 7)) == 0


def test_working_days_between_is_negative_backwards() -> None:
    days = NATIONAL_DAY_2022.working_days_between(date(2022, 10, 10), date(2022, 9, 30))

    assert days == -3


def test_a_day_both_holiday_and_extra_workday_is_refused() -> None:
    day = date(2022, 10, 8)

    with pytest.raises(InvalidValue, match="2022-10-08 both as holiday and as extra workday"):
        WorkingCalendar(holidays=frozenset({day}), extra_workdays=frozenset({day}))


def test_a_weekday_as_extra_workday_is_refused() -> None:
    monday = date(2022, 10, 10)

    with pytest.raises(InvalidValue, match="2022-10-10 are weekdays"):
        WorkingCalendar(extra_workdays=frozenset({monday}))


@given(calendars(), window_dates, st.integers(1, 40))
def test_deadline_is_always_a_working_day(calendar: WorkingCalendar, start: date, n: int) -> None:
    deadline = calendar.add_working_days(start, n)

    assert calendar.is_working_day(deadline)
    assert deadline > start


@given(calendars(), window_dates, st.integers(0, 40))
def test_more_working_days_end_strictly_later(
    calendar: WorkingCalendar, start: date, n: int
) -> None:
    deadline = calendar.add_working_days(start, n)

    later = calendar.add_working_days(start, n + 1)

    assert later > deadline
    days_between = (later - deadline).days
    skipped = [deadline + timedelta(days=k) for k in range(1, days_between)]
    assert not any(calendar.is_working_day(d) for d in skipped)


@given(calendars(), window_dates, st.integers(0, 40))
def test_counting_back_gives_the_days_added(calendar: WorkingCalendar, start: date, n: int) -> None:
    deadline = calendar.add_working_days(start, n)

    counted = calendar.working_days_between(start, deadline)

    assert counted == n
