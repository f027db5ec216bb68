"""The ledger's years: the one range every date, period and instant it takes must fall in.

1990-01-01 .. 2099-12-31. Employee basic medical insurance began with 国发〔1998〕44号;
the years before it leave room for records carried over from the schemes it replaced,
and the century's end is past any deadline a notice sets. A date outside is a typo
(``0222``, ``9999-12-31``) that would otherwise overflow date arithmetic (a reminder
window past year 9999, an instant before year 1 in UTC) or be written where no report
can ever reach it: refused, naming the field.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from ledger.domain.errors import InvalidValue
from ledger.domain.period import Period, PeriodRange

__all__ = [
    "FIRST_DAY",
    "FOUNDED_FIRST_DAY",
    "LAST_DAY",
    "check_day",
    "check_founded",
    "check_instant",
    "check_period",
    "check_range",
]

FIRST_DAY = date(1990, 1, 1)
LAST_DAY = date(2099, 12, 31)
#: a unit's founding date is history, not a business date of the ledger: enterprises,
#: hospitals and schools older than the scheme (or than 1990) are common employers
FOUNDED_FIRST_DAY = date(1800, 1, 1)
RULE = "ledger_years"

# Instants are compared as China Standard Time days (the bureau's, as business dates are).
_CST = ZoneInfo("Asia/Shanghai")
_FIRST_INSTANT = datetime.combine(FIRST_DAY, time.min, _CST)
_LAST_INSTANT = datetime.combine(LAST_DAY, time.max, _CST)
_YEARS = f"the ledger's years {FIRST_DAY}..{LAST_DAY}"


def check_day(day: date, field: str) -> date:
    """``day`` unchanged, or InvalidValue naming the field.

    >>> check_day(date(9999, 12, 31), "paid_on")
    Traceback (most recent call last):
    ...
    ledger.domain.errors.InvalidValue: paid_on 9999-12-31 is outside the ledger's years 1990-01-01..2099-12-31
    """  # noqa: E501 -- a doctest's expected output cannot be wrapped
    if isinstance(day, datetime):
        return check_instant(day, field).date()
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidValue(f"{field} {day} is outside {_YEARS}", field=field, rule=RULE)
    return day


def check_founded(day: date, field: str) -> date:
    """A unit's founding date: 1800-01-01 .. the ledger's last day."""
    if not FOUNDED_FIRST_DAY <= day <= LAST_DAY:
        raise InvalidValue(
            f"{field} {day} is outside {FOUNDED_FIRST_DAY}..{LAST_DAY} (a unit's founding)",
            field=field,
            rule=RULE,
        )
    return day


def check_instant(at: datetime, field: str) -> datetime:
    """An instant (aware; naive is read as China Standard Time) within the years."""
    aware = at if at.tzinfo is not None else at.replace(tzinfo=_CST)
    try:
        inside = _FIRST_INSTANT <= aware <= _LAST_INSTANT
    except OverflowError:  # an offset that moves year 1 or 9999 past the calendar
        inside = False
    if not inside:
        raise InvalidValue(f"{field} {at.isoformat()} is outside {_YEARS}", field=field, rule=RULE)
    return at


def check_period(period: Period, field: str) -> Period:
    """A contribution period whose month lies within the years."""
    if not FIRST_DAY.year <= period.year <= LAST_DAY.year:
        raise InvalidValue(f"{field} {period} is outside {_YEARS}", field=field, rule=RULE)
    return period


def check_range(periods: PeriodRange, field: str) -> PeriodRange:
    check_period(periods.start, field)
    check_period(periods.end, field)
    return periods
