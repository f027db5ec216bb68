"""Contribution periods (费款所属期) and ranges of them."""

from __future__ import annotations

import doctest
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.domain import period as period_module
from ledger.domain.errors import InvalidValue
from ledger.domain.period import Period, PeriodRange

# Kept 50 years inside the valid 1900..2200 so that moving by up to 600 months stays valid.
periods = st.builds(Period, st.integers(1950, 2150), st.integers(1, 12))
month_steps = st.integers(-600, 600)


def test_docstring_examples_hold() -> None:
    result = doctest.testmod(period_module)

    assert result.attempted > 0
    assert result.failed == 0


def test_period_parses_and_prints_year_dash_month() -> None:
    parsed = Period.parse("2020-02")

    assert parsed == Period(2020, 2)
    assert str(parsed) == "2020-02"


def test_period_parses_the_exchange_file_form() -> None:
    parsed = Period.parse("202002")

    assert parsed == Period(2020, 2)


@pytest.mark.parametrize(
    "text",
    [
        "2022-7",
        "22-07",
        "2022/07",
        " 2022-07",
        "2022-07-01",
        "2022-13",
        "2022-00",
        "２０２２-07",
        "",
    ],
)
def test_period_text_in_any_other_form_is_refused(text: str) -> None:
    with pytest.raises(InvalidValue):
        Period.parse(text)


@pytest.mark.parametrize(("year", "month"), [(2022, 0), (2022, 13), (1899, 12), (2201, 1)])
def test_period_outside_the_calendar_is_refused(year: int, month: int) -> None:
    with pytest.raises(InvalidValue, match="is outside"):
        Period(year, month)


def test_period_of_a_date_is_its_month() -> None:
    period = Period.of(date(2022, 7, 31))

    assert period == Period(2022, 7)


@pytest.mark.parametrize(
    ("period", "last"),
    [
        (Period(2020, 2), date(2020, 2, 29)),
        (Period(2100, 2), date(2100, 2, 28)),
        (Period(2000, 2), date(2000, 2, 29)),
        (Period(2022, 12), date(2022, 12, 31)),
    ],
)
def test_last_day_follows_the_calendar(period: Period, last: date) -> None:
    result = period.last_day

    assert result == last
    assert period.first_day == last.replace(day=1)


def test_adding_months_crosses_the_year() -> None:
    later = Period(2022, 12) + 1

    assert later == Period(2023, 1)
    assert 1 + Period(2022, 12) == later


def test_subtracting_months_crosses_the_year() -> None:
    earlier = Period(2023, 1) - 1

    assert earlier == Period(2022, 12)


def test_next_and_previous_are_one_month_away() -> None:
    period = Period(2022, 7)

    assert period.next() == Period(2022, 8)
    assert period.previous() == Period(2022, 6)


def test_months_until_counts_forward_and_backward() -> None:
    july = Period(2022, 7)

    assert july.months_until(Period(2023, 6)) == 11
    assert july.months_until(Period(2022, 5)) == -2


@pytest.mark.parametrize("other", [True, 1.0, "1", Period(2022, 1)])
def test_periods_only_move_by_whole_months(other: object) -> None:
    with pytest.raises(TypeError):
        Period(2022, 7) + other  # type: ignore[operator]


def test_periods_order_chronologically() -> None:
    unsorted = [Period(2023, 1), Period(2022, 12), Period(2022, 2)]

    ordered = sorted(unsorted)

    assert ordered == [Period(2022, 2), Period(2022, 12), Period(2023, 1)]


def test_range_parses_and_prints_both_ends() -> None:
    deferral = PeriodRange.parse("2022-07..2022-09")

    assert deferral == PeriodRange(Period(2022, 7), Period(2022, 9))
    assert str(deferral) == "2022-07..2022-09"


def test_single_month_range_parses_from_one_period() -> None:
    one_month = PeriodRange.parse("2022-07")

    assert one_month == PeriodRange.single(Period(2022, 7))
    assert len(one_month) == 1


@pytest.mark.parametrize("text", ["2022-07..", "..2022-09", "2022-07...2022-09", "2022-07-2022-09"])
def test_range_text_in_any_other_form_is_refused(text: str) -> None:
    with pytest.raises(InvalidValue, match="period range"):
        PeriodRange.parse(text)


def test_range_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(InvalidValue, match=r"2022-09\.\.2022-07 ends before it starts"):
        PeriodRange.parse("2022-09..2022-07")


def test_range_holds_its_months_and_no_others() -> None:
    deferral = PeriodRange.parse("2022-07..2022-09")

    assert list(deferral) == [Period(2022, 7), Period(2022, 8), Period(2022, 9)]
    assert len(deferral) == 3
    assert Period(2022, 7) in deferral
    assert Period(2022, 9) in deferral
    assert Period(2022, 6) not in deferral
    assert Period(2022, 10) not in deferral
    assert "2022-08" not in deferral


def test_deferral_window_shifts_a_month_when_july_is_already_paid() -> None:
    window = PeriodRange.parse("2022-07..2022-09")

    shifted = window.shift(1)

    assert shifted == PeriodRange.parse("2022-08..2022-10")


@pytest.mark.parametrize(
    ("other", "expected"),
    [
        ("2022-09..2022-12", True),
        ("2022-01..2022-07", True),
        ("2022-10", False),
        ("2022-06", False),
    ],
)
def test_ranges_overlap_when_they_share_a_month(other: str, expected: bool) -> None:
    window = PeriodRange.parse("2022-07..2022-09")

    overlap = window.overlaps(PeriodRange.parse(other))

    assert overlap is expected
    assert PeriodRange.parse(other).overlaps(window) is expected


@given(periods)
def test_period_text_round_trips(period: Period) -> None:
    text = str(period)

    assert Period.parse(text) == period
    assert Period.parse(text.replace("-", "")) == period


@given(periods, month_steps)
def test_adding_then_subtracting_months_returns_the_period(period: Period, n: int) -> None:
    moved = period + n

    assert moved - n == period
    assert period.months_until(moved) == n
    assert moved.months_until(period) == -n
    assert (moved > period) == (n > 0)


@given(periods, st.integers(0, 120))
def test_range_length_matches_its_months(start: Period, extra: int) -> None:
    span = PeriodRange(start, start + extra)

    months = list(span)

    assert len(span) == len(months) == extra + 1
    assert months == sorted(set(months))
    assert all(month in span for month in months)
    assert PeriodRange.parse(str(span)) == span
