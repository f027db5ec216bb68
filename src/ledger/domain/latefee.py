"""Late fee (滞纳金): Social Insurance Law art. 86, days counted per the tax rule.

0.05% of the overdue principal per day, simple, from the day after the due date
through the day of payment (税收征收管理法实施细则 art. 75), rounded half-up to
the fen per overdue item. No clock: the caller says as of which day.

>>> from decimal import Decimal
>>> late_fee(Decimal("10000.00"), date(2023, 6, 30), date(2023, 7, 31), Decimal("0.0005"))
Decimal('155.00')
"""

from __future__ import annotations

from datetime import date
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
