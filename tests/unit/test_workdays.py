"""Working days for review deadlines, with holidays and swapped working days (调休), for the
years a calendar covers (the packaged years' data: tests/unit/test_holiday_calendars.py)."""

from __future__ import annotations

import doctest
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.domain import workdays as workdays_module
from ledger.domain.errors import InvalidValue, RuleViolation
from ledger.domain.workdays import WorkingCalendar

YEAR_2022 = frozenset({2022})
NATIONAL_DAY_2022 = WorkingCalendar(
    holidays=frozenset(date(2022, 10, day) for day in range(1, 8)),
    extra_workdays=frozenset({date(2022, 10, 8), date(2022, 10, 9)}),
    years=YEAR_2022,
)

window_dates = st.dates(min_value=date(2022, 1, 1), max_value=date(2022, 12, 31))


@st.composite
def calendars(draw: st.DrawFn) -> WorkingCalendar:
    holidays = draw(st.frozensets(window_dates, max_size=60))
    weekend_days = window_dates.filter(lambda d: d.weekday() >= 5 and d not in holidays)
    extra_workdays = draw(st.frozensets(weekend_days, max_size=20))
    # 2023 too, so that deadlines late in 2022 may run into January
    return WorkingCalendar(
        holidays=holidays, extra_workdays=extra_workdays, years=frozenset({2022, 2023})
    )


def test_docstring_examples_hold() -> None:
    result = doctest.testmod(workdays_module)

    assert result.attempted > 0
    assert result.failed == 0


def test_a_year_without_holidays_works_monday_to_friday() -> None:
    calendar = WorkingCalendar(years=YEAR_2022)

    week = [calendar.is_working_day(date(2022, 8, day)) for day in range(1, 8)]

    assert week == [True, True, True, True, True, False, False]


def test_three_working_days_after_friday_end_on_wednesday() -> None:
    calendar = WorkingCalendar(years=YEAR_2022)

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
        WorkingCalendar(years=YEAR_2022).add_working_days(date(2022, 10, 1), -1)


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
        WorkingCalendar(holidays=frozenset({day}), extra_workdays=frozenset({day}), years=YEAR_2022)


def test_a_weekday_as_extra_workday_is_refused() -> None:
    monday = date(2022, 10, 10)

    with pytest.raises(InvalidValue, match="2022-10-10 are weekdays"):
        WorkingCalendar(extra_workdays=frozenset({monday}), years=YEAR_2022)


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


# ------------------------------------------------------------------ years covered


@dataclass(frozen=True)
class Notice:
    """One year's arrangement as plain sets (the catalogue's WorkingCalendarData is another)."""

    year: int
    holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()


NEW_YEAR_2023 = Notice(2023, frozenset({date(2023, 1, 1), date(2023, 1, 2)}))


def test_a_deadline_across_new_year_into_an_uncovered_year_is_refused_naming_it() -> None:
    # Thursday 29 December 2022 + 3: Friday 30 is day 1, then the calendar needs 2023.
    with pytest.raises(RuleViolation, match="no working-day calendar for 2023 is enacted") as e:
        NATIONAL_DAY_2022.add_working_days(date(2022, 12, 29), 3)

    assert e.value.rule == "working_calendar"
    assert "the State Council's notice for that year is needed" in e.value.message


def test_a_day_of_an_uncovered_year_is_neither_working_nor_not() -> None:
    with pytest.raises(RuleViolation, match="no working-day calendar for 2021"):
        NATIONAL_DAY_2022.is_working_day(date(2021, 6, 1))


def test_counting_working_days_through_an_uncovered_year_is_refused() -> None:
    with pytest.raises(RuleViolation, match="no working-day calendar for 2023"):
        NATIONAL_DAY_2022.working_days_between(date(2022, 12, 1), date(2023, 1, 10))


def test_a_deadline_that_stays_inside_the_covered_year_is_given() -> None:
    # Wednesday 28 December 2022 + 2: Thursday 29, Friday 30.
    deadline = NATIONAL_DAY_2022.add_working_days(date(2022, 12, 28), 2)

    assert deadline == date(2022, 12, 30)


def test_a_calendar_of_no_year_refuses_every_day() -> None:
    with pytest.raises(RuleViolation, match="no working-day calendar for 2022"):
        WorkingCalendar().is_working_day(date(2022, 8, 1))


def test_merged_years_carry_a_deadline_over_new_year() -> None:
    national_day = Notice(
        2022,
        holidays=frozenset(date(2022, 10, day) for day in range(1, 8)),
        extra_workdays=frozenset({date(2022, 10, 8), date(2022, 10, 9)}),
    )
    calendar = WorkingCalendar.of_years([national_day, NEW_YEAR_2023])

    # Friday 30 December 2022 + 1: Saturday 31, Sunday 1 and Monday 2 (a holiday) are off.
    deadline = calendar.add_working_days(date(2022, 12, 30), 1)

    assert deadline == date(2023, 1, 3)
    assert calendar.years == frozenset({2022, 2023})
    assert calendar.add_working_days(date(2022, 9, 30), 3) == date(2022, 10, 10)


def test_the_same_year_given_twice_alike_is_merged_once() -> None:
    calendar = WorkingCalendar.of_years([NEW_YEAR_2023, NEW_YEAR_2023])

    assert calendar.holidays == NEW_YEAR_2023.holidays
    assert calendar.years == frozenset({2023})


def test_two_different_arrangements_for_one_year_are_refused() -> None:
    other = Notice(2023, frozenset({date(2023, 1, 2)}))

    with pytest.raises(InvalidValue, match="two different working-day calendars for 2023"):
        WorkingCalendar.of_years([NEW_YEAR_2023, other])


def test_a_year_listing_a_day_of_another_year_is_refused() -> None:
    stray = Notice(2023, frozenset({date(2022, 12, 31)}))

    with pytest.raises(InvalidValue, match="calendar for 2023 lists 2022-12-31, outside that"):
        WorkingCalendar.of_years([stray])


def test_a_holiday_outside_the_years_covered_is_refused() -> None:
    with pytest.raises(InvalidValue, match="2023-01-02 outside the years it covers"):
        WorkingCalendar(holidays=frozenset({date(2023, 1, 2)}), years=YEAR_2022)
