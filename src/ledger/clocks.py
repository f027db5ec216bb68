"""The two clocks as users write them: business dates and "known at" instants.

Business dates are the bureau's: China Standard Time, whatever the server's zone. Both
clocks are held to the ledger's years (``ledger.domain.years``), naming the field.
A "known at" instant may be given as a bare date, meaning the end of that day in
China Standard Time (what was known on it), or as an ISO date-time (naive means CST).
The CLI and the API parse both the same way, here, and hand a read both at once as a
:class:`ReadClocks`, which the read side (``ledger.projections``), the reports and the
API share.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from ledger.domain.errors import InvalidValue
from ledger.domain.period import Period
from ledger.domain.years import check_day, check_instant

CST = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True, slots=True)
class ReadClocks:
    """The two clocks of a read (bitemporal): figures are computed for the business date
    ``as_of`` from the events recorded by the instant ``known_at`` (None: everything
    recorded). Built once by the CLI or the API, handed down to every view."""

    as_of: date
    known_at: datetime | None = None

    def caption(self) -> str:
        """``as of 2023-08-01, known at 2023-07-31T23:59:59+08:00`` (or ``now``)."""
        known = (
            self.known_at.astimezone(CST).isoformat(timespec="seconds") if self.known_at else "now"
        )
        return f"as of {self.as_of}, known at {known}"


def today() -> date:
    return datetime.now(CST).date()


def business_date(
    text: str | None, field: str = "date", check: Callable[[date, str], date] = check_day
) -> date:
    """``YYYY-MM-DD``; empty means today (CST). ``check``: the range it must fall in (the
    ledger's years; a unit's founding passes ``check_founded``)."""
    if not text:
        return today()
    try:
        day = date.fromisoformat(text) if len(text) == 10 else _bad_date(text, field)
    except ValueError:
        return _bad_date(text, field)
    return check(day, field)


def _bad_date(text: str, field: str) -> date:
    raise InvalidValue(f"{field} {text!r} is not a date (YYYY-MM-DD)", field=field)


def instant(text: str | None, field: str = "known_at") -> datetime | None:
    """An ISO instant; naive means CST; a bare date means the end of that day (CST);
    empty means now (``None``: no limit)."""
    if not text:
        return None
    try:
        if len(text) == 10:
            parsed = datetime.combine(date.fromisoformat(text), time.max, CST)
        else:
            parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidValue(f"{text!r} is not an ISO date or date-time", field=field) from None
    parsed = check_instant(parsed if parsed.tzinfo else parsed.replace(tzinfo=CST), field)
    offset = parsed.utcoffset()
    if offset is not None and offset.seconds % 60:
        # An offset no RFC 3339 date-time can carry (as Shanghai's local mean time,
        # +08:05:43, before 1901): the instant could not be answered back as it was meant.
        raise InvalidValue(
            f"{field} {text!r} is at a UTC offset with seconds, which no RFC 3339 date-time"
            " carries",
            field=field,
        )
    return parsed


def report_clock(
    as_of: date | None, month: Period | None, default_month: Callable[[date], Period]
) -> tuple[date, Period]:
    """A monthly report's as-of date and month. Given a month and no date, the report is
    as the notice produces it: on the 1st of the following month (每月1日 … 上月)."""
    if month is not None and as_of is None:
        return month.next().first_day, month
    on = as_of or today()
    return on, month or default_month(on)
