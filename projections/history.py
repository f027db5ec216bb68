"""A unit's amounts over time: what it owed, had deferred, had paid and its late fee,
at the end of each month (the desk's chart of a unit).

Each point is the unit's balance folded as of that day from the same movements
(:func:`ledger.projections.balance_fold.unit_balance`), so the chart and the balance table
can never disagree: the last point is the balance as of the day asked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ledger.domain.latefee import DailyRates
from ledger.domain.money import ZERO
from ledger.domain.period import Period
from ledger.projections.balance_fold import unit_balance
from ledger.projections.journal import Movement

#: points on a chart at most: a long history is drawn every few months
MOST_POINTS = 120


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    on: date
    #: principal outstanding and not deferred (due, overdue, or called due)
    owed: Decimal
    #: principal still deferred
    deferred: Decimal
    #: settled so far: paid by the tax bureau and applied from credit
    paid: Decimal
    #: late fee accrued up to the day
    late_fee: Decimal


def sample_days(first: date, last: date, most: int = MOST_POINTS) -> list[date]:
    """Month ends from ``first``'s month to ``last`` (every few months beyond ``most``),
    ending on ``last`` itself.

    >>> sample_days(date(2022, 7, 1), date(2022, 9, 10))
    [datetime.date(2022, 6, 30), datetime.date(2022, 7, 31), datetime.date(2022, 8, 31), \
datetime.date(2022, 9, 10)]
    """
    start = Period.of(first).previous()  # the month before: the chart starts from nothing
    months = start.months_until(Period.of(last))
    every = max(1, -(-months // most))
    days = [(start + n).last_day for n in range(0, months, every)]
    return [d for d in days if d < last] + [last]


def unit_history(
    movements: Iterable[Movement], until: date, rates: DailyRates
) -> list[HistoryPoint]:
    """The unit's amounts at the end of each month of its history, up to ``until``."""
    moves = [m for m in movements if m.on <= until]
    if not moves:
        return []
    points = []
    for day in sample_days(min(m.on for m in moves), until):
        balance = unit_balance(moves, day, rates)
        deferred = sum((i.deferred for i in balance.items), ZERO)
        points.append(
            HistoryPoint(
                on=day,
                owed=balance.outstanding - deferred,
                deferred=deferred,
                paid=sum((i.paid + i.credit_applied for i in balance.items), ZERO),
                late_fee=balance.late_fee,
            )
        )
    return points
