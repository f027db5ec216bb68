"""Balances after compensating decisions: a reversal is the reversed movement negated.

Principal owed again because of an amendment or revocation is due from the day of the
reversal (or the item's own due date, if later): no late fee for the time before.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from ledger.domain.latefee import DailyRates
from ledger.domain.period import Period
from ledger.domain.terms import Part
from ledger.projections.balance_fold import unit_balance
from ledger.projections.journal import Kind, Movement

RATE = DailyRates.flat(Decimal("0.0005"))
UNIT = uuid.uuid4()
FEBRUARY = Period(2020, 2)


def moves(*rows: tuple[Kind, date, str] | tuple[Kind, date, str, date]) -> list[Movement]:
    """Movements of February's medical part in recorded order: kind, day, amount[, due]."""
    at = datetime(2020, 1, 1, tzinfo=UTC)
    return [
        Movement(
            UNIT,
            n,
            at,
            row[1],
            row[0],
            FEBRUARY,
            Part.unit_medical,
            Decimal(row[2]),
            due=row[3] if len(row) == 4 else None,
        )
        for n, row in enumerate(rows, start=1)
    ]


def test_a_lowered_reduction_owes_the_difference_from_the_amendment_on() -> None:
    history = moves(
        (Kind.assessed, date(2020, 3, 1), "1000.00", date(2020, 3, 15)),
        (Kind.reduced, date(2020, 3, 13), "500.00"),
        (Kind.reduced, date(2020, 5, 1), "-500.00"),  # v1 reversed
        (Kind.reduced, date(2020, 5, 1), "400.00"),  # v2
    )

    balance = unit_balance(history, date(2020, 5, 11), RATE)

    (item,) = balance.items
    assert (item.reduced, item.outstanding) == (Decimal("400.00"), Decimal("600.00"))
    # 500.00 unpaid since its due date: 57 days (03-16..05-11) x 0.0005 = 14.25;
    # the 100.00 owed again from 05-01: 10 days = 0.50
    assert item.late_fee == Decimal("14.75")


def test_a_paid_month_with_its_credit_reversed_and_decided_again_owes_nothing() -> None:
    history = moves(
        (Kind.assessed, date(2020, 3, 1), "1000.00", date(2020, 3, 15)),
        (Kind.paid, date(2020, 3, 10), "1000.00"),
        (Kind.reduced, date(2020, 3, 13), "500.00"),
        (Kind.carried_forward, date(2020, 3, 13), "500.00"),
        (Kind.carried_forward, date(2020, 5, 1), "-500.00"),
        (Kind.reduced, date(2020, 5, 1), "-500.00"),
        (Kind.reduced, date(2020, 5, 1), "400.00"),
        (Kind.carried_forward, date(2020, 5, 1), "400.00"),
    )

    balance = unit_balance(history, date(2020, 6, 1), RATE)

    (item,) = balance.items
    assert (item.outstanding, item.late_fee, balance.credit_held) == (
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("400.00"),
    )


def test_a_withdrawn_deferral_is_due_from_the_withdrawal() -> None:
    history = moves(
        (Kind.assessed, date(2020, 3, 1), "1000.00", date(2020, 3, 15)),
        (Kind.deferred, date(2020, 3, 2), "0", date(2020, 12, 31)),
        (Kind.undeferred, date(2020, 4, 1), "0"),
    )

    balance = unit_balance(history, date(2020, 4, 11), RATE)

    (item,) = balance.items
    # 1000.00 no longer deferred, due from 04-01: 10 days x 0.0005 = 5.00
    assert (item.deferred, item.overdue, item.deadline) == (
        Decimal("0.00"),
        Decimal("1000.00"),
        None,
    )
    assert item.late_fee == Decimal("5.00")
