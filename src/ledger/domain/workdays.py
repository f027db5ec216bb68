"""Working days, for deadlines such as "reviewed within 3 working days" (Jinan, 2022).

China moves working days around public holidays (调休): some weekdays are holidays
and some weekend days are working days. Each year's arrangement is published by the
State Council in a notice late in the year before, so a calendar is data for the
years it covers, supplied by the caller; nothing here knows any year's dates. A day
of a year the calendar does not cover is refused, never counted Monday to Friday:
a deadline computed without the notice would be wrong around every holiday.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from ledger.domain.errors import InvalidValue, RuleViolation

__all__ = ["CalendarYear", "WorkingCalendar"]

_ONE_DAY = timedelta(days=1)
_SATURDAY = 5


class CalendarYear(Protocol):
    """One year's arrangement, as the State Council's notice for that year gives it
    (the catalogue's ``WorkingCalendarData`` is one)."""

    @property
    def year(self) -> int: ...

    @property
    def holidays(self) -> Collection[date]: ...

    @property
    def extra_workdays(self) -> Collection[date]: ...


@dataclass(frozen=True)
class WorkingCalendar:
    """Monday to Friday, less ``holidays``, plus ``extra_workdays`` (weekend days worked,
    调休), for the ``years`` it covers.

    >>> october = WorkingCalendar(
    ...     holidays=frozenset(date(2022, 10, day) for day in range(1, 8)),
    ...     extra_workdays=frozenset({date(2022, 10, 8), date(2022, 10, 9)}),
    ...     years=frozenset({2022}),
    ... )
    >>> october.add_working_days(date(2022, 9, 30), 3)
    datetime.date(2022, 10, 10)
    """

    holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()
    years: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        uncovered = {d for d in self.holidays | self.extra_workdays if d.year not in self.years}
        if uncovered:
            raise InvalidValue(
                f"working calendar lists {_dates(uncovered)} outside the years it covers "
                f"({_years(self.years)})",
                field="years",
            )
        both = self.holidays & self.extra_workdays
        if both:
            raise InvalidValue(
                f"working calendar lists {_dates(both)} both as holiday and as extra workday",
                field="extra_workdays",
            )
        # A weekday in extra_workdays changes nothing, so it is a mistake in the data:
        # most likely the wrong year or a swapped month and day.
        weekdays = {d for d in self.extra_workdays if d.weekday() < _SATURDAY}
        if weekdays:
            raise InvalidValue(
                f"extra workdays must be weekend days; {_dates(weekdays)} are weekdays",
                field="extra_workdays",
            )

    @classmethod
    def of_years(cls, years: Iterable[CalendarYear]) -> WorkingCalendar:
        """One calendar from several years' arrangements, one notice each.

        The same year given twice must say the same thing (a document enacted again
        under another id); two different arrangements for one year are refused.
        """
        by_year: dict[int, tuple[frozenset[date], frozenset[date]]] = {}
        for year in years:
            days = (frozenset(year.holidays), frozenset(year.extra_workdays))
            outside = {d for d in days[0] | days[1] if d.year != year.year}
            if outside:
                raise InvalidValue(
                    f"the working-day calendar for {year.year} lists {_dates(outside)}, "
                    "outside that year",
                    field="working_calendar",
                )
            known = by_year.setdefault(year.year, days)
            if known != days:
                raise InvalidValue(
                    f"two different working-day calendars for {year.year}: "
                    "one notice a year decides its holidays and swapped working days",
                    field="working_calendar",
                )
        return cls(
            holidays=frozenset[date]().union(*(h for h, _ in by_year.values())),
            extra_workdays=frozenset[date]().union(*(e for _, e in by_year.values())),
            years=frozenset(by_year),
        )

    def is_working_day(self, d: date) -> bool:
        """Whether ``d`` is a working day; refused for a year the calendar does not cover."""
        if d.year not in self.years:
            raise RuleViolation(
                f"no working-day calendar for {d.year} is enacted: the State Council's "
                "notice for that year is needed",
                rule="working_calendar",
            )
        if d in self.extra_workdays:
            return True
        return d.weekday() < _SATURDAY and d not in self.holidays

    def add_working_days(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start``; ``start`` itself is not counted.

        ``n == 0`` gives ``start`` back, whatever kind of day it is. A deadline that
        runs into a year the calendar does not cover is refused, naming the year.
        """
        if n < 0:
            raise InvalidValue(f"cannot add {n} working days: n must be 0 or more", field="n")
        day = start
        remaining = n
        # Day by day: deadlines are a handful of working days, and this stays obviously right.
        while remaining:
            day += _ONE_DAY
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, a: date, b: date) -> int:
        """Working days in ``(a, b]``; negative, counting ``(b, a]``, when ``b`` is before ``a``.

        So ``working_days_between(a, add_working_days(a, n)) == n``.
        """
        if b < a:
            return -self.working_days_between(b, a)
        count = 0
        day = a
        while day < b:
            day += _ONE_DAY
            if self.is_working_day(day):
                count += 1
        return count


def _dates(days: set[date] | frozenset[date]) -> str:
    return ", ".join(d.isoformat() for d in sorted(days))


def _years(years: frozenset[int]) -> str:
    return ", ".join(map(str, sorted(years))) or "none"
