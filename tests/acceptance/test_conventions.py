"""The ledger's conventions (DOMAIN.md "Conventions"): rounding, due dates, allocation.

- a person's part = base x rate rounded half-up to the fen; a unit's amount is the sum
  of its persons' rounded parts;
- a normal assessment is due on the 15th of the following month (locality.toml);
- a payment settles the items it names; without names: undeferred before deferred,
  oldest period first and, within a period, the individual part before the unit part;
  what is left over is held as credit and offset against the next amounts due.
Wuhai rates: unit 7%, individual 2%; Jinan: unit 8% + 1%, individual 2%.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ledger.domain.errors import RuleViolation
from ledger.domain.terms import Part
from ledger.domain.unit import Unit
from tests.acceptance.conftest import ACTOR, JINAN, WUHAI, Agency, amounts, period


def _wuhai_unit(agency: Agency, *, size_class: str | None = None) -> str:
    agency.region(WUHAI, fund_months=9)
    uscc = agency.unit(WUHAI, size_class=size_class)
    agency.person(uscc, "5000.00")  # 350.00 unit, 100.00 individual a month
    return uscc


def test_a_persons_part_is_rounded_half_up_to_the_fen(agency: Agency) -> None:
    agency.region(WUHAI)
    uscc = agency.unit(WUHAI)
    rid = agency.person(uscc, "3000.25")

    agency.assess(uscc, "2022-10", date(2022, 11, 1))

    # 3000.25 x 0.07 = 210.0175 -> 210.02;  3000.25 x 0.02 = 60.005 -> 60.01 (half-up;
    # half-even would give 60.00)
    (assessed,) = agency.decisions(uscc, Unit.PeriodAssessed)
    assert assessed.lines == [[rid, "3000.25", "210.02", "0.00", "60.01"]]


def test_a_units_amount_is_the_sum_of_its_persons_rounded_parts(agency: Agency) -> None:
    agency.region(WUHAI)
    uscc = agency.unit(WUHAI)
    for _ in range(3):
        agency.person(uscc, "3000.25")

    agency.assess(uscc, "2022-10", date(2022, 11, 1))

    # 3 x 60.01 = 180.03, not 9000.75 x 0.02 = 180.015 -> 180.02
    # 3 x 210.02 = 630.06, not 9000.75 x 0.07 = 630.0525 -> 630.05
    assert agency.item(uscc, "2022-10", Part.individual).assessed == Decimal("180.03")
    assert agency.item(uscc, "2022-10", Part.unit_medical).assessed == Decimal("630.06")


@pytest.mark.parametrize(
    ("month", "due"),
    [("2022-10", date(2022, 11, 15)), ("2022-12", date(2023, 1, 15))],
)
def test_a_normal_assessment_falls_due_on_the_15th_of_the_following_month(
    agency: Agency, month: str, due: date
) -> None:
    agency.region(JINAN)
    uscc = agency.unit(JINAN)
    agency.person(uscc, "5000.00")

    agency.assess(uscc, month, date(2023, 1, 2))

    assert {i.due_date for i in agency.state(uscc).items_of(period(month))} == {due}


def test_a_payment_settles_the_oldest_period_first_individual_before_unit(
    agency: Agency,
) -> None:
    """DOMAIN.md: individual part before unit part, oldest period first. Read as: oldest
    period first, and within a period the individual part (withheld from wages) first."""
    uscc = _wuhai_unit(agency)
    agency.assess(uscc, "2022-10", date(2022, 11, 1))
    agency.assess(uscc, "2022-11", date(2022, 12, 1))

    agency.pay(uscc, "600.00", date(2022, 12, 10))

    # 100.00 + 350.00 for October, 100.00 + the first 50.00 of November's 350.00
    (payment,) = agency.decisions(uscc, Unit.PaymentCollected)
    assert payment.allocations == [
        ["2022-10", "individual", "100.00"],
        ["2022-10", "unit_medical", "350.00"],
        ["2022-11", "individual", "100.00"],
        ["2022-11", "unit_medical", "50.00"],
    ]
    assert payment.unallocated == Decimal("0.00")


def test_a_payment_settles_what_is_due_before_what_is_deferred(agency: Agency) -> None:
    uscc = _wuhai_unit(agency, size_class="small")
    agency.assess(uscc, "2022-07", date(2022, 8, 1))  # unit part deferred to 2023-06-30
    agency.assess(uscc, "2022-10", date(2022, 11, 1))  # after the deferral: all due

    agency.pay(uscc, "600.00", date(2022, 11, 10))

    # July individual 100.00, October 100.00 + 350.00, then 50.00 of July's deferred 350.00
    (payment,) = agency.decisions(uscc, Unit.PaymentCollected)
    assert amounts(payment.allocations) == {
        ("2022-07", "individual"): Decimal("100.00"),
        ("2022-10", "individual"): Decimal("100.00"),
        ("2022-10", "unit_medical"): Decimal("350.00"),
        ("2022-07", "unit_medical"): Decimal("50.00"),
    }
    assert agency.item(uscc, "2022-07", Part.unit_medical).deferred_open == Decimal("300.00")


def test_an_overpayment_is_held_as_credit_and_offsets_the_next_month(agency: Agency) -> None:
    uscc = _wuhai_unit(agency)
    agency.assess(uscc, "2022-10", date(2022, 11, 1))
    agency.pay(uscc, "500.00", date(2022, 11, 10))  # 450.00 owed: 50.00 over

    agency.assess(uscc, "2022-11", date(2022, 12, 1))

    (applied,) = agency.decisions(uscc, Unit.CreditApplied)
    assert amounts(applied.items) == {("2022-11", "individual"): Decimal("50.00")}
    assert agency.state(uscc).credit == Decimal("0.00")
    assert agency.item(uscc, "2022-11", Part.individual).outstanding == Decimal("50.00")


def test_a_payment_naming_its_items_settles_exactly_those(agency: Agency) -> None:
    """DOMAIN.md: a payment names the assessment items it settles (回传 per item)."""
    uscc = _wuhai_unit(agency)
    agency.assess(uscc, "2022-10", date(2022, 11, 1))
    agency.assess(uscc, "2022-11", date(2022, 12, 1))

    agency.ledger.collect_payment(
        uscc,
        date(2022, 12, 10),
        "350.00",
        ACTOR,
        items=[(period("2022-11"), "unit_medical", "350.00")],
    )

    assert agency.item(uscc, "2022-11", Part.unit_medical).outstanding == Decimal("0.00")
    assert agency.item(uscc, "2022-10", Part.individual).outstanding == Decimal("100.00")


def test_a_payment_naming_more_than_an_item_owes_is_refused(agency: Agency) -> None:
    uscc = _wuhai_unit(agency)
    agency.assess(uscc, "2022-10", date(2022, 11, 1))
    before = agency.high_water()

    with pytest.raises(RuleViolation) as refused:
        agency.ledger.collect_payment(
            uscc,
            date(2022, 11, 10),
            "400.00",
            ACTOR,
            items=[(period("2022-10"), "unit_medical", "400.00")],
        )

    assert refused.value.message == (
        "payment of 400.00 for 2022-10 unit_medical exceeds the outstanding 350.00"
    )
    assert agency.high_water() == before


def test_naming_one_item_twice_cannot_pay_it_beyond_what_it_owes(agency: Agency) -> None:
    uscc = _wuhai_unit(agency)
    agency.assess(uscc, "2022-10", date(2022, 11, 1))
    before = agency.high_water()

    # 200.00 + 200.00 = 400.00 for an item that owes 350.00
    with pytest.raises(RuleViolation, match=r"exceeds the outstanding 350\.00"):
        agency.ledger.collect_payment(
            uscc,
            date(2022, 11, 10),
            "400.00",
            ACTOR,
            items=[
                (period("2022-10"), "unit_medical", "200.00"),
                (period("2022-10"), "unit_medical", "200.00"),
            ],
        )

    assert agency.high_water() == before


@pytest.mark.parametrize("share", ["-50.00", "0.00"])
def test_an_item_share_must_be_positive(agency: Agency, share: str) -> None:
    """A negative share would un-pay an item (and inflate the credit): refused."""
    uscc = _wuhai_unit(agency)
    agency.assess(uscc, "2022-10", date(2022, 11, 1))
    before = agency.high_water()

    with pytest.raises(RuleViolation, match="must be positive"):
        agency.ledger.collect_payment(
            uscc,
            date(2022, 11, 10),
            "100.00",
            ACTOR,
            items=[
                (period("2022-10"), "individual", "100.00"),
                (period("2022-10"), "unit_medical", share),
            ],
        )

    assert agency.high_water() == before


def test_named_items_adding_up_to_more_than_the_payment_are_refused(agency: Agency) -> None:
    uscc = _wuhai_unit(agency)
    agency.assess(uscc, "2022-10", date(2022, 11, 1))

    with pytest.raises(RuleViolation) as refused:
        agency.ledger.collect_payment(
            uscc,
            date(2022, 11, 10),
            "400.00",
            ACTOR,
            items=[
                (period("2022-10"), "individual", "100.00"),
                (period("2022-10"), "unit_medical", "350.00"),
            ],
        )

    assert refused.value.message == "items add up to 450.00, more than the payment of 400.00"
