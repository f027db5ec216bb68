"""Contribution periods (费款所属期): the month a contribution is *for*.

A period is not the month a contribution is paid in; keeping it a value object of
its own, rather than a ``date``, stops the two from being mixed up. Raw strings
are parsed into periods at the API and CLI boundary and nowhere else.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from ledger.domain.errors import InvalidValue

__all__ = ["Period", "PeriodRange"]

# Wide enough for any real contribution record, narrow enough to catch typos like "0222".
_MIN_YEAR = 1900
_MAX_YEAR = 2200

# ASCII digits only: str.isdigit() and \d also accept full-width and other scripts' digits.
_DASHED = re.compile(r"([0-9]{4})-([0-9]{2})")
_COMPACT = re.compile(r"([0-9]{4})([0-9]{2})")


@dataclass(frozen=True, order=True, slots=True)
class Period:
    """One calendar month; periods order chronologically and step by months.

    >>> p = Period.parse("2020-02")
    >>> p
    Period(year=2020, month=2)
    >>> str(p)
    '2020-02'
    >>> str(p + 11), str(p - 2)
    ('2021-01', '2019-12')
    >>> Period.parse("2020-02").months_until(Period.parse("2020-04"))
    2
    """

    year: int
    month: int

    def __post_init__(self) -> None:
        if type(self.year) is not int or type(self.month) is not int:
            raise InvalidValue(
                f"period year and month must be integers, got {self.year!r} and {self.month!r}",
                field="period",
            )
        if not 1 <= self.month <= 12:
            raise InvalidValue(
                f"period month {self.month} is outside 1..12 (year {self.year})", field="period"
            )
        if not _MIN_YEAR <= self.year <= _MAX_YEAR:
            raise InvalidValue(
                f"period year {self.year} is outside {_MIN_YEAR}..{_MAX_YEAR}", field="period"
            )

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse ``YYYY-MM``, or ``YYYYMM`` as exchange files write it.

        >>> Period.parse("2022-07")
        Period(year=2022, month=7)
        >>> Period.parse("202207")
        Period(year=2022, month=7)
        >>> Period.parse("2022-7")
        Traceback (most recent call last):
        ...
        ledger.domain.errors.InvalidValue: period '2022-7' is not of the form YYYY-MM
        """
        if cls is Period:
            return _parse(text)
        return cls._from_text(text)

    @classmethod
    def _from_text(cls, text: str) -> Period:
        match = _DASHED.fullmatch(text) or _COMPACT.fullmatch(text)
        if match is None:
            raise InvalidValue(f"period {text!r} is not of the form YYYY-MM", field="period")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def of(cls, d: date) -> Period:
        """The period a date falls in.

        >>> Period.of(date(2022, 7, 31))
        Period(year=2022, month=7)
        """
        return cls(d.year, d.month)

    @classmethod
    def first_from(cls, d: date) -> Period:
        """The first period that starts on or after ``d`` (a period already begun is not).

        >>> Period.first_from(date(2020, 4, 1)), Period.first_from(date(2020, 4, 2))
        (Period(year=2020, month=4), Period(year=2020, month=5))
        """
        period = cls.of(d)
        return period if period.first_day == d else period + 1

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        """The first day of the month.

        >>> Period(2020, 2).first_day
        datetime.date(2020, 2, 1)
        """
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        """The last day of the month, leap years included.

        >>> Period(2020, 2).last_day
        datetime.date(2020, 2, 29)
        """
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def __add__(self, months: int) -> Period:
        # bool is an int, but "period + True" is a bug, not a month.
        if type(months) is not int:
            return NotImplemented
        return _from_index(_index(self) + months)

    def __radd__(self, months: int) -> Period:
        return self.__add__(months)

    def __sub__(self, months: int) -> Period:
        # Period - Period is deliberately absent: months_until says which way it counts.
        if type(months) is not int:
            return NotImplemented
        return _from_index(_index(self) - months)

    def months_until(self, other: Period) -> int:
        """Months from this period to ``other``: ``self + self.months_until(other) == other``.

        >>> Period(2022, 7).months_until(Period(2023, 6))
        11
        >>> Period(2022, 7).months_until(Period(2022, 5))
        -2
        """
        return _index(other) - _index(self)

    def next(self) -> Period:
        """The following month.

        >>> Period(2022, 12).next()
        Period(year=2023, month=1)
        """
        return self + 1

    def previous(self) -> Period:
        """The month before.

        >>> Period(2023, 1).previous()
        Period(year=2022, month=12)
        """
        return self - 1


def _index(p: Period) -> int:
    # Months since year 0: makes month arithmetic plain integer arithmetic.
    return p.year * 12 + p.month - 1


def _from_index(index: int) -> Period:
    year, month0 = divmod(index, 12)
    return Period(year, month0 + 1)


# Periods are immutable and few (12 a year), and events hold them as text: a unit's
# history folded for a command, or an import's, parses the same few strings again and
# again (the regex and the checks cost more than the fold's own work).
@lru_cache(maxsize=4096)
def _parse(text: str) -> Period:
    return Period._from_text(text)


@dataclass(frozen=True, slots=True)
class PeriodRange:
    """Consecutive periods, both ends included, e.g. a deferral's 2022-07..2022-09.

    >>> r = PeriodRange.parse("2022-07..2022-09")
    >>> len(r), str(r)
    (3, '2022-07..2022-09')
    >>> Period(2022, 8) in r, Period(2022, 10) in r
    (True, False)
    >>> [str(p) for p in r.shift(1)]
    ['2022-08', '2022-09', '2022-10']
    """

    start: Period
    end: Period

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidValue(
                f"period range {self.start}..{self.end} ends before it starts",
                field="period_range",
            )

    @classmethod
    def parse(cls, text: str) -> PeriodRange:
        """Parse ``YYYY-MM..YYYY-MM``; a single ``YYYY-MM`` is a one-month range.

        >>> PeriodRange.parse("2022-07")
        PeriodRange(start=Period(year=2022, month=7), end=Period(year=2022, month=7))
        """
        first, sep, last = text.partition("..")
        try:
            start = Period.parse(first)
            end = Period.parse(last) if sep else start
        except InvalidValue as error:
            raise InvalidValue(
                f"period range {text!r} is not of the form YYYY-MM..YYYY-MM: {error.message}",
                field="period_range",
            ) from None
        return cls(start, end)

    @classmethod
    def single(cls, period: Period) -> PeriodRange:
        """The range holding just ``period``."""
        return cls(period, period)

    def __str__(self) -> str:
        # Always both ends, so a range is recognisable as one even when it is one month.
        return f"{self.start}..{self.end}"

    def __contains__(self, item: object) -> bool:
        return isinstance(item, Period) and self.start <= item <= self.end

    def __iter__(self) -> Iterator[Period]:
        start = _index(self.start)
        for index in range(start, _index(self.end) + 1):
            yield _from_index(index)

    def __len__(self) -> int:
        return self.start.months_until(self.end) + 1

    def shift(self, months: int) -> PeriodRange:
        """The same number of months, moved by ``months`` (negative moves earlier)."""
        return PeriodRange(self.start + months, self.end + months)

    def overlaps(self, other: PeriodRange) -> bool:
        """Whether the two ranges share at least one period.

        >>> PeriodRange.parse("2022-07..2022-09").overlaps(PeriodRange.parse("2022-09..2022-10"))
        True
        >>> PeriodRange.parse("2022-07..2022-09").overlaps(PeriodRange.parse("2022-10"))
        False
        """
        return self.start <= other.end and other.start <= self.end
