"""The fund-months gate: 统筹基金累计结存可支付月数大于6个月的统筹地区 (医保发〔2022〕21号 一).

The region declares its fund's payable months; "more than 6" means 7 or more.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ledger.domain.unit import Unit
from tests.acceptance.conftest import ACTOR, JINAN, WUHAI, Agency


def test_a_fund_that_can_pay_six_months_refuses_the_deferral(agency: Agency) -> None:
    agency.region(WUHAI, fund_months=6)

    uscc = agency.unit(WUHAI, size_class="small")

    (refusal,) = agency.decisions(uscc, Unit.DeferralRefused)
    assert refusal.refusal == "the pooling fund can pay 6 months; the policy needs more than 6"
    assert agency.decisions(uscc, Unit.DeferralGranted) == []


def test_a_fund_that_can_pay_seven_months_grants_it(agency: Agency) -> None:
    agency.region(WUHAI, fund_months=7)

    uscc = agency.unit(WUHAI, size_class="small")

    assert len(agency.decisions(uscc, Unit.DeferralGranted)) == 1


def test_nothing_is_decided_until_the_fund_months_are_declared(agency: Agency) -> None:
    agency.region(WUHAI)

    uscc = agency.unit(WUHAI, size_class="small")

    history = agency.history(uscc)
    assert "DeferralGranted" not in history
    assert "DeferralRefused" not in history


def test_declaring_the_fund_months_decides_for_the_units_waiting_in_the_region(
    agency: Agency,
) -> None:
    agency.region(WUHAI)
    waiting = agency.unit(WUHAI, size_class="small")
    agency.person(waiting, "5000.00")
    agency.assess(waiting, "2022-07", date(2022, 8, 1))

    agency.ledger.declare_fund_months(WUHAI, 8, date(2022, 8, 2), ACTOR)

    (granted,) = agency.decisions(waiting, Unit.DeferralGranted)
    assert granted.caused_by == "FundMonthsDeclared 150300 8"
    # the July already assessed is split: 5000 x 0.07 = 350.00 deferred
    assert agency.state(waiting).deferred_open() == Decimal("350.00")


def test_declaring_a_short_fund_refuses_the_units_waiting_in_the_region(agency: Agency) -> None:
    agency.region(WUHAI)
    waiting = agency.unit(WUHAI, size_class="medium")

    agency.ledger.declare_fund_months(WUHAI, 5, date(2022, 8, 2), ACTOR)

    (refusal,) = agency.decisions(waiting, Unit.DeferralRefused)
    assert refusal.refusal == "the pooling fund can pay 5 months; the policy needs more than 6"


def test_a_regions_fund_months_do_not_decide_for_another_region(agency: Agency) -> None:
    agency.region(WUHAI)
    agency.region(JINAN)
    elsewhere = agency.unit(JINAN, size_class="small")

    agency.ledger.declare_fund_months(WUHAI, 9, date(2022, 8, 2), ACTOR)

    assert agency.decisions(elsewhere, Unit.DeferralGranted) == []
