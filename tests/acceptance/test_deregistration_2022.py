"""Deregistration (注销): every deferred amount is paid before the unit is struck off.

医保发〔2022〕21号 四: 企业出现注销等情形的, 应在注销前缴纳缓缴的缴费. Requesting
deregistration calls all deferred amounts due; completion is refused while any is
unpaid. Wuhai rates: unit 7%, individual 2%.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ledger.domain.errors import Conflict, RuleViolation
from ledger.domain.unit import Unit
from tests.acceptance.conftest import ACTOR, WUHAI, Agency, amounts, event_types


def _deferring_unit(agency: Agency) -> str:
    """5000.00 and 4567.89: unit part 350.00 + 319.75 = 669.75 a month, individual 191.36."""
    agency.region(WUHAI, fund_months=9)
    uscc = agency.unit(WUHAI, size_class="micro")
    agency.person(uscc, "5000.00")
    agency.person(uscc, "4567.89")
    agency.assess(uscc, "2022-07", date(2022, 8, 1))
    agency.assess(uscc, "2022-08", date(2022, 9, 1))
    return uscc


def test_requesting_deregistration_calls_every_deferred_amount_due(agency: Agency) -> None:
    uscc = _deferring_unit(agency)

    result = agency.ledger.request_deregistration(uscc, date(2022, 9, 10), ACTOR)

    assert event_types(result) == ["DeregistrationRequested", "DeferredAmountCalledDue"]
    (called,) = agency.decisions(uscc, Unit.DeferredAmountCalledDue)
    assert (called.trigger, called.resident_id, called.from_original_due) == (
        "deregistration",
        "",
        False,
    )
    assert amounts(called.items) == {
        ("2022-07", "unit_medical"): Decimal("669.75"),
        ("2022-08", "unit_medical"): Decimal("669.75"),
    }


def test_deregistration_is_refused_naming_the_unpaid_deferred_amount(agency: Agency) -> None:
    uscc = _deferring_unit(agency)
    agency.ledger.request_deregistration(uscc, date(2022, 9, 10), ACTOR)
    before = agency.high_water()

    with pytest.raises(RuleViolation) as refused:
        agency.ledger.complete_deregistration(uscc, date(2022, 9, 20), ACTOR)

    # 2 x 669.75 = 1339.50
    assert refused.value.message == (
        f"unit {uscc} cannot deregister: 1339.50 of deferred contributions are unpaid "
        "(医保发〔2022〕21号 四: 应在注销前缴纳缓缴的缴费)"
    )
    assert refused.value.rule == "deregistration"
    assert agency.high_water() == before


def test_a_partly_repaid_unit_is_refused_for_the_rest(agency: Agency) -> None:
    uscc = _deferring_unit(agency)
    agency.ledger.request_deregistration(uscc, date(2022, 9, 10), ACTOR)

    # 2 x 191.36 individual first, then 1000.00 of the 1339.50: 339.50 left
    agency.pay(uscc, "1382.72", date(2022, 9, 15))

    with pytest.raises(RuleViolation, match=r"cannot deregister: 339\.50 of deferred"):
        agency.ledger.complete_deregistration(uscc, date(2022, 9, 20), ACTOR)


def test_the_unit_deregisters_once_everything_deferred_is_paid(agency: Agency) -> None:
    uscc = _deferring_unit(agency)
    agency.ledger.request_deregistration(uscc, date(2022, 9, 10), ACTOR)
    # 1339.50 deferred + 382.72 individual = 1722.22
    agency.pay(uscc, "1722.22", date(2022, 9, 15))

    result = agency.ledger.complete_deregistration(uscc, date(2022, 9, 20), ACTOR)

    assert event_types(result) == ["DeregistrationCompleted"]
    assert agency.state(uscc).deregistered_on == date(2022, 9, 20)


def test_a_deregistered_unit_takes_no_more_assessments(agency: Agency) -> None:
    agency.region(WUHAI, fund_months=9)
    uscc = agency.unit(WUHAI, size_class="micro")
    agency.person(uscc, "5000.00")
    agency.ledger.request_deregistration(uscc, date(2022, 9, 10), ACTOR)
    agency.ledger.complete_deregistration(uscc, date(2022, 9, 20), ACTOR)

    with pytest.raises(Conflict, match="was deregistered on 2022-09-20"):
        agency.assess(uscc, "2022-09", date(2022, 10, 1))


def test_completion_needs_a_request_first(agency: Agency) -> None:
    agency.region(WUHAI, fund_months=9)
    uscc = agency.unit(WUHAI, size_class="micro")

    with pytest.raises(Conflict, match="has not requested deregistration"):
        agency.ledger.complete_deregistration(uscc, date(2022, 9, 20), ACTOR)


def test_months_assessed_after_the_request_are_not_deferred(agency: Agency) -> None:
    """The request ends the deferral: September, inside the window, is due as usual."""
    uscc = _deferring_unit(agency)
    agency.ledger.request_deregistration(uscc, date(2022, 9, 10), ACTOR)

    agency.assess(uscc, "2022-09", date(2022, 10, 1))

    assert [s.period for s in agency.decisions(uscc, Unit.AssessmentSplit)] == [
        "2022-07",
        "2022-08",
    ]


def test_a_deregistering_unit_is_not_granted_a_deferral_when_the_fund_months_come(
    agency: Agency,
) -> None:
    """A unit that asked to be struck off must pay before it goes (注销前缴纳): a deferral
    decided after the request would only postpone what the request made due."""
    agency.region(WUHAI)
    uscc = agency.unit(WUHAI, size_class="small")
    agency.person(uscc, "5000.00")
    agency.assess(uscc, "2022-07", date(2022, 8, 1))
    agency.ledger.request_deregistration(uscc, date(2022, 8, 2), ACTOR)

    agency.ledger.declare_fund_months(WUHAI, 9, date(2022, 8, 3), ACTOR)

    assert agency.decisions(uscc, Unit.DeferralGranted) == []
    agency.ledger.complete_deregistration(uscc, date(2022, 8, 4), ACTOR)
    assert agency.state(uscc).deregistered_on == date(2022, 8, 4)
