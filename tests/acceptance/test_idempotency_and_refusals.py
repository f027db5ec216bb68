"""Idempotency keys, and refused commands that write nothing.

A command retried with its key returns its first result and records nothing more; the
same key with another input is a conflict. A refused command saves nothing at all (the
notification log's last id does not move) and leaves its key free for the retry.
"""

from __future__ import annotations

from datetime import date

import pytest

from ledger.domain.errors import Conflict, InvalidValue, RuleViolation
from ledger.domain.unit import Unit
from tests.acceptance.conftest import ACTOR, JINAN, WUHAI, Agency, period


def _unit_with_october(agency: Agency) -> str:
    agency.region(WUHAI)
    uscc = agency.unit(WUHAI)
    agency.person(uscc, "5000.00")  # 350.00 unit + 100.00 individual
    agency.assess(uscc, "2022-10", date(2022, 11, 1))
    return uscc


def test_a_retried_payment_returns_the_first_result_and_records_nothing_more(
    agency: Agency,
) -> None:
    uscc = _unit_with_october(agency)
    first = agency.ledger.collect_payment(uscc, date(2022, 11, 10), "450.00", ACTOR, key="tax-1")
    after_first = agency.high_water()

    again = agency.ledger.collect_payment(uscc, date(2022, 11, 10), "450.00", ACTOR, key="tax-1")

    assert again == first
    assert agency.high_water() == after_first
    assert len(agency.decisions(uscc, Unit.PaymentCollected)) == 1


def test_a_retried_assessment_returns_its_first_result_instead_of_a_conflict(
    agency: Agency,
) -> None:
    agency.region(WUHAI)
    uscc = agency.unit(WUHAI)
    agency.person(uscc, "5000.00")
    first = agency.ledger.assess(uscc, period("2022-10"), date(2022, 11, 1), ACTOR, key="a-1")
    after_first = agency.high_water()

    again = agency.ledger.assess(uscc, period("2022-10"), date(2022, 11, 1), ACTOR, key="a-1")

    assert again == first
    assert agency.high_water() == after_first


def test_the_same_key_with_another_input_is_a_conflict(agency: Agency) -> None:
    uscc = _unit_with_october(agency)
    agency.ledger.collect_payment(uscc, date(2022, 11, 10), "450.00", ACTOR, key="tax-1")
    before = agency.high_water()

    with pytest.raises(Conflict) as refused:
        agency.ledger.collect_payment(uscc, date(2022, 11, 10), "45.00", ACTOR, key="tax-1")

    assert refused.value.message == (
        "idempotency key 'tax-1' was used for a different request (collect_payment); use a new key"
    )
    assert agency.high_water() == before


def test_the_same_key_for_another_command_is_a_conflict(agency: Agency) -> None:
    uscc = _unit_with_october(agency)
    agency.ledger.collect_payment(uscc, date(2022, 11, 10), "450.00", ACTOR, key="k-7")

    with pytest.raises(Conflict, match="was used for a different request"):
        agency.ledger.request_deregistration(uscc, date(2022, 11, 20), ACTOR, key="k-7")


def test_a_refused_command_leaves_its_key_free_for_the_retry(agency: Agency) -> None:
    agency.region(WUHAI, fund_months=9)
    uscc = agency.unit(WUHAI, size_class="small")
    agency.person(uscc, "5000.00")
    agency.assess(uscc, "2022-07", date(2022, 8, 1))
    agency.ledger.request_deregistration(uscc, date(2022, 8, 2), ACTOR)
    with pytest.raises(RuleViolation, match=r"350\.00 of deferred"):
        agency.ledger.complete_deregistration(uscc, date(2022, 8, 3), ACTOR, key="close")
    agency.pay(uscc, "450.00", date(2022, 8, 4))

    result = agency.ledger.complete_deregistration(uscc, date(2022, 8, 3), ACTOR, key="close")

    assert [e["type"] for e in result["events"]] == ["DeregistrationCompleted"]


def test_enacting_the_same_policy_again_records_nothing(agency: Agency) -> None:
    before = agency.high_water()

    (result,) = agency.enact("lincang-2020-14")

    assert result["events"] == []
    assert agency.high_water() == before


def test_a_refused_registration_writes_nothing(agency: Agency) -> None:
    agency.region(WUHAI)
    before = agency.high_water()

    with pytest.raises(Conflict, match="region 150300 is already registered"):
        agency.region(WUHAI)

    assert agency.high_water() == before


def test_an_assessment_without_rates_for_its_period_is_refused_and_writes_nothing(
    agency: Agency,
) -> None:
    """locality.toml gives Jinan's rates from 2022-01 only: 2021 cannot be assessed."""
    agency.region(JINAN)
    uscc = agency.unit(JINAN)
    agency.person(uscc, "5000.00")
    before = agency.high_water()

    with pytest.raises(RuleViolation) as refused:
        agency.assess(uscc, "2021-12", date(2022, 1, 5))

    assert refused.value.message.startswith("no contribution rates for region 370100 in 2021-12")
    assert agency.high_water() == before


def test_a_payment_naming_an_item_never_assessed_writes_nothing(agency: Agency) -> None:
    uscc = _unit_with_october(agency)
    before = agency.high_water()

    with pytest.raises(RuleViolation, match="has no assessment item 2022-09 individual"):
        agency.ledger.collect_payment(
            uscc,
            date(2022, 11, 10),
            "100.00",
            ACTOR,
            items=[(period("2022-09"), "individual", "100.00")],
        )

    assert agency.high_water() == before


def test_an_unknown_leaving_reason_is_refused_and_writes_nothing(agency: Agency) -> None:
    uscc = _unit_with_october(agency)
    rid = agency.state(uscc).members.popitem()[0]
    before = agency.high_water()

    with pytest.raises(InvalidValue, match="'holiday' is not resignation, retirement or transfer"):
        agency.ledger.person_left(uscc, rid, "holiday", date(2022, 11, 1), ACTOR)

    assert agency.high_water() == before
