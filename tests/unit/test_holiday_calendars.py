"""Every year's working days in the packaged catalogue (holidays-YYYY.toml, one State Council
notice each), cross-checked against the chinesecalendar package, and the validation that
refuses a calendar file naming its field."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar  # type: ignore[import-untyped]
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.catalogue.loader import (
    default_catalogue_dir,
    load_default_catalogue,
    parse_catalogue_file,
)
from ledger.catalogue.model import CatalogueFile, WorkingCalendarData
from ledger.catalogue.policyset import PolicySet
from ledger.domain.errors import CatalogueError, RuleViolation

FIRST_YEAR = 2020
CALENDAR_FILES = [f for f in load_default_catalogue() if f.working_calendar is not None]
CALENDAR = PolicySet(CALENDAR_FILES).calendar("")
LAST_YEAR = max(CALENDAR.years)


def _calendar_of(f: CatalogueFile) -> WorkingCalendarData:
    assert f.working_calendar is not None
    return f.working_calendar


def _days_of(year: int) -> list[date]:
    first, last = date(year, 1, 1), date(year, 12, 31)
    return [first + timedelta(days=k) for k in range((last - first).days + 1)]


# ---------------------------------------------------------------- the packaged years


def test_the_catalogue_covers_every_year_from_2020_through_the_latest_notice() -> None:
    years = sorted(_calendar_of(f).year for f in CALENDAR_FILES)

    assert years == list(range(FIRST_YEAR, LAST_YEAR + 1))
    assert LAST_YEAR >= 2026
    assert CALENDAR.years == frozenset(years)


@pytest.mark.parametrize("f", CALENDAR_FILES, ids=lambda f: f.document.id)
def test_each_year_is_its_own_state_council_notice(f: CatalogueFile) -> None:
    year = _calendar_of(f).year
    doc = f.document

    assert doc.id == f"holidays-{year}"
    assert doc.title == f"国务院办公厅关于{year}年部分节假日安排的通知"
    assert doc.issuer == "国务院办公厅"
    assert doc.regions == ("",)
    # published late in the year before, numbered in the year it was issued
    assert doc.issued_on.year == year - 1
    assert doc.enacted_on == doc.issued_on
    assert doc.number.startswith(f"国办发明电〔{year - 1}〕")
    assert _calendar_of(f).source.startswith(doc.number)


@given(st.dates(min_value=date(FIRST_YEAR, 1, 1), max_value=date(LAST_YEAR, 12, 31)))
def test_a_date_is_a_working_day_exactly_as_chinesecalendar_says(day: date) -> None:
    assert CALENDAR.is_working_day(day) == chinese_calendar.is_workday(day)


@pytest.mark.parametrize("year", range(FIRST_YEAR, LAST_YEAR + 1))
def test_every_day_of_the_year_agrees_with_chinesecalendar(year: int) -> None:
    # A year chinesecalendar does not know yet needs a table transcribed from its notice.
    disagree = [
        d for d in _days_of(year) if CALENDAR.is_working_day(d) != chinese_calendar.is_workday(d)
    ]

    assert disagree == []


def test_a_deadline_past_the_latest_notice_is_refused_naming_the_year() -> None:
    last_working_day = max(d for d in _days_of(LAST_YEAR) if CALENDAR.is_working_day(d))

    with pytest.raises(RuleViolation, match=f"no working-day calendar for {LAST_YEAR + 1}"):
        CALENDAR.add_working_days(last_working_day, 1)


def test_three_working_days_from_friday_before_the_2023_spring_festival_end_on_monday_30() -> None:
    # 国办发明电〔2022〕16号 二: 21-27 January off, Saturday 28 and Sunday 29 worked.
    deadline = CALENDAR.add_working_days(date(2023, 1, 20), 3)

    assert deadline == date(2023, 1, 30)


def test_three_working_days_from_30_september_2022_end_on_10_october() -> None:
    # 国办发明电〔2021〕11号 七: 1-7 October off, Saturday 8 and Sunday 9 worked.
    deadline = CALENDAR.add_working_days(date(2022, 9, 30), 3)

    assert deadline == date(2022, 10, 10)


def test_the_2020_spring_festival_runs_to_2_february_as_extended() -> None:
    # 国办发明电〔2020〕1号 一: the Saturday swapped by 〔2019〕16号 二 is a holiday after all.
    february = [CALENDAR.is_working_day(date(2020, 2, day)) for day in (1, 2, 3)]

    assert february == [False, False, True]


# ---------------------------------------------------------------- refused files

#: the packaged 2023 file up to its calendar's year: each test writes its own lists
HEADER = (default_catalogue_dir() / "holidays-2023.toml").read_text(encoding="utf-8")
HEADER = HEADER[: HEADER.index("year = 2023")]


def _refusal(body: str) -> str:
    with pytest.raises(CatalogueError) as refused:
        parse_catalogue_file(HEADER + body, "holidays-2023.toml")
    return refused.value.message


def test_a_holiday_listed_twice_is_refused_naming_file_and_field() -> None:
    message = _refusal("year = 2023\nholidays = [2023-01-23, 2023-01-24, 2023-01-23]\n")

    assert message == "holidays-2023.toml: working_calendar.holidays: 2023-01-23 is listed twice"


def test_a_day_both_holiday_and_worked_is_refused_naming_the_extra_workdays() -> None:
    message = _refusal("year = 2023\nholidays = [2023-01-28]\nextra_workdays = [2023-01-28]\n")

    assert message == (
        "holidays-2023.toml: working_calendar.extra_workdays: "
        "2023-01-28 is listed twice: in holidays and in extra_workdays"
    )


def test_an_extra_workday_listed_twice_is_refused() -> None:
    message = _refusal("year = 2023\nextra_workdays = [2023-01-28, 2023-01-28]\n")

    assert message.endswith("working_calendar.extra_workdays: 2023-01-28 is listed twice")


def test_a_date_outside_the_files_year_is_refused() -> None:
    # 国办发明电〔2022〕16号 一 starts on 2022-12-31: that day belongs to 2022's calendar.
    message = _refusal("year = 2023\nholidays = [2022-12-31, 2023-01-01, 2023-01-02]\n")

    assert message == (
        "holidays-2023.toml: working_calendar.holidays: "
        "2022-12-31 is not in 2023, the year of this calendar"
    )


def test_an_extra_workday_on_a_weekday_is_refused() -> None:
    message = _refusal("year = 2023\nextra_workdays = [2023-01-30]\n")

    assert message == (
        "holidays-2023.toml: working_calendar.extra_workdays: "
        "2023-01-30 is a Monday: an extra workday is a weekend day worked (调休)"
    )


def test_a_calendar_without_its_year_is_refused() -> None:
    message = _refusal("holidays = [2023-01-23]\n")

    assert message.startswith("holidays-2023.toml: working_calendar.year: Field required")
