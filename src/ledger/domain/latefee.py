"""Late fee (滞纳金): Social Insurance Law art. 86, days counted per the tax rule.

0.05% of the overdue principal per day, simple, from the day after the due date
through the day of payment (税收征收管理法实施细则 art. 75), rounded half-up to
the fen per overdue item. No clock: the caller says as of which day.

>>> from decimal import Decimal
>>> late_fee(Decimal("10000.00"), date(2023, 6, 30), date(2023, 7, 31), Decimal("0.0005"))
Decimal('155.00')
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from ledger.domain.money import ZERO, Money, round_fen


def days_overdue(due_date: date, paid_on: date) -> int:
    """Days from the day after ``due_date`` through ``paid_on`` (0 when paid in time)."""
    return max(0, (paid_on - due_date).days)


def late_fee(principal: Decimal, due_date: date, paid_on: date, daily_rate: Decimal) -> Money:
    """The late fee on one overdue item; never negative."""
    if principal <= ZERO:
        return ZERO
    return round_fen(principal * daily_rate * days_overdue(due_date, paid_on))


_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class DailyRates:
    """The late-fee rate day by day: each rate from its day until the next one's.

    A new law (or a region's rule) changes the rate from a day on; days before it keep
    the old rate. Every day counted uses the rate in force that day.

    >>> rates = DailyRates.of([(date(2011, 7, 1), Decimal("0.0005"))])
    >>> rates.factor(date(2023, 6, 30), date(2023, 7, 31))
    Decimal('0.0155')
    """

    #: (first day, rate), oldest first
    entries: tuple[tuple[date, Decimal], ...]

    @classmethod
    def of(cls, entries: Iterable[tuple[date, Decimal]]) -> DailyRates:
        ordered = tuple(sorted(entries))
        if not ordered:
            raise ValueError("a late-fee rate needs at least one entry")
        return cls(ordered)

    @classmethod
    def flat(cls, rate: Decimal) -> DailyRates:
        """One rate on every day (tests, and figures computed with a single rate)."""
        return cls(((date.min, rate),))

    def on(self, day: date) -> Decimal:
        """The rate in force on ``day`` (zero before the first entry)."""
        found = Decimal(0)
        for since, rate in self.entries:
            if since > day:
                break
            found = rate
        return found

    def factor(self, due_date: date, until: date) -> Decimal:
        """Sum of the daily rates over the days after ``due_date`` through ``until``:
        a principal times this is its late fee, before rounding."""
        first = due_date + _DAY
        if until < first:
            return Decimal(0)
        total = Decimal(0)
        for n, (since, rate) in enumerate(self.entries):
            ends = self.entries[n + 1][0] - _DAY if n + 1 < len(self.entries) else date.max
            start, stop = max(first, since), min(until, ends)
            if start <= stop:
                total += rate * ((stop - start).days + 1)
        return total

    def fee(self, principal: Decimal, due_date: date, paid_on: date) -> Money:
        """The late fee on one overdue item; never negative."""
        if principal <= ZERO:
            return ZERO
        return round_fen(principal * self.factor(due_date, paid_on))
