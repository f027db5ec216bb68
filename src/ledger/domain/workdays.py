"""Working days, for deadlines such as "reviewed within 3 working days" (Jinan, 2022).

China moves working days around public holidays (调休): some weekdays are holidays
and some weekend days are working days. The calendar is data for a year, supplied by
the caller from the State Council's annual notice; nothing here knows any year's dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from ledger.domain.errors import InvalidValue

__all__ = ["WorkingCalendar"]

_ONE_DAY = timedelta(days=1)
_SATURDAY = 5


@dataclass(frozen=True)
class WorkingCalendar:
    """Monday to Friday, less ``holidays``, plus ``extra_workdays`` (weekend days worked, 调休).

    >>> october = WorkingCalendar(
    ...     holidays=frozenset(date(2022, 10, day) for day in range(1, 8)),
    ...     extra_workdays=frozenset({date(2022, 10, 8), date(2022, 10, 9)}),
    ... )
    >>> october.add_working_days(date(2022, 9, 30), 3)
    datetime.date(2022, 10, 10)
    """

    holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
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
    def of_years(cls, years: dict[int, tuple[frozenset[date], frozenset[date]]]) -> WorkingCalendar:
        """One calendar from each year's (holidays, extra workdays)."""
        holidays: set[date] = set()
        extra: set[date] = set()
        for days_off, days_worked in years.values():
            holidays |= days_off
            extra |= days_worked
        return cls(holidays=frozenset(holidays), extra_workdays=frozenset(extra))

    def is_working_day(self, d: date) -> bool:
        """Whether ``d`` is a working day in this calendar."""
        if d in self.extra_workdays:
            return True
        return d.weekday() < _SATURDAY and d not in self.holidays

    def add_working_days(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start``; ``start`` itself is not counted.

        ``n == 0`` gives ``start`` back, whatever kind of day it is.
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
