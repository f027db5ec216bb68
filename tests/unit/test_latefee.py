from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from ledger.domain.latefee import days_overdue, late_fee

RATE = Decimal("0.0005")


def test_deferred_amount_repaid_a_month_late_carries_31_days_of_late_fee() -> None:
    deadline, paid_on = date(2023, 6, 30), date(2023, 7, 31)

    fee = late_fee(Decimal("21000.00"), deadline, paid_on, RATE)

    assert days_overdue(deadline, paid_on) == 31
    assert fee == Decimal("325.50")


def test_payment_on_the_due_date_carries_no_late_fee() -> None:
    assert late_fee(Decimal("10000.00"), date(2023, 6, 30), date(2023, 6, 30), RATE) == 0


def test_the_first_overdue_day_is_the_day_after_the_due_date() -> None:
    fee = late_fee(Decimal("10000.00"), date(2023, 6, 30), date(2023, 7, 1), RATE)

    assert fee == Decimal("5.00")


amounts = st.decimals(min_value=0, max_value=10_000_000, places=2)
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))


@given(amounts, days, st.integers(min_value=-400, max_value=4000))
def test_late_fee_is_never_negative_and_grows_with_lateness(
    principal: Decimal, due: date, offset: int
) -> None:
    paid_on = due + timedelta(days=offset)

    fee = late_fee(principal, due, paid_on, RATE)
    later = late_fee(principal, due, paid_on + timedelta(days=1), RATE)

    assert fee >= 0
    assert later >= fee
    assert fee == fee.quantize(Decimal("0.01"))


@given(amounts, days, st.integers(min_value=1, max_value=4000))
def test_late_fee_is_simple_interest_never_compounded(
    principal: Decimal, due: date, offset: int
) -> None:
    fee = late_fee(principal, due, due + timedelta(days=offset), RATE)

    exact = principal * RATE * offset

    assert abs(fee - exact) <= Decimal("0.005")
