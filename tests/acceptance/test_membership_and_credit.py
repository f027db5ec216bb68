"""Conventions around who is assessed by default, where credit goes, and when the 2022
deferral is decided. Each names the seed paragraph or the ledger convention it pins."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ledger.domain.errors import Conflict
from ledger.domain.period import Period, PeriodRange
from ledger.domain.terms import Part
from ledger.domain.unit import Unit
from tests.acceptance.conftest import ACTOR, CHIFENG, JINAN, LINCANG, WUHAI, Agency, amounts


def test_a_month_is_assessed_for_members_at_its_end_at_the_base_in_force(agency: Agency) -> None:
    agency.region(CHIFENG)
    uscc = agency.unit(CHIFENG)
    stays = agency.person(uscc, "5000.00")
    joins = agency.person(uscc, "4000.00", joined_on=date(2020, 6, 10))
    leaves = agency.person(uscc, "3000.00")
    agency.ledger.change_base(uscc, stays, "6000.00", Period(2020, 7), ACTOR)
    agency.ledger.person_left(uscc, leaves, "resignation", date(2020, 6, 20), ACTOR)

    agency.assess(uscc, "2020-05", date(2020, 6, 25))
    agency.assess(uscc, "2020-06", date(2020, 7, 1))
    agency.assess(uscc, "2020-07", date(2020, 8, 1))

    lines = {
        p: agency.state(uscc).assessments[Period.parse(p)].lines
        for p in ("2020-05", "2020-06", "2020-07")
    }
    # May: the leaver and the stayer (the joiner came in June); 5000 and 3000
    assert {rid: line.base for rid, line in lines["2020-05"].items()} == {
        stays: Decimal("5000.00"),
        leaves: Decimal("3000.00"),
    }
    # June: the leaver left on 06-20, before the month's end; the joiner is in
    assert set(lines["2020-06"]) == {stays, joins}
    # July: the new base applies from its period on: 6000.00 x 6% = 360.00
    assert lines["2020-07"][stays].base == Decimal("6000.00")
    assert lines["2020-07"][stays].unit_medical == Decimal("360.00")


def test_chifeng_credit_offsets_the_next_month_not_older_arrears(bare_agency: Agency) -> None:
    """赤医保发〔2020〕3号 附件二 三: 多缴部分转入待转基金, 冲减下个月的缴费."""
    bare_agency.enact_catalogue(but=["chifeng-2020-3"])
    bare_agency.region(CHIFENG)
    uscc = bare_agency.unit(CHIFENG)
    bare_agency.person(uscc, "5000.00")
    bare_agency.assess(uscc, "2020-01", date(2020, 2, 1))  # January left unpaid: arrears
    bare_agency.assess(uscc, "2020-02", date(2020, 3, 1))
    bare_agency.ledger.collect_payment(
        uscc,
        date(2020, 3, 10),
        "450.00",
        ACTOR,
        items=[
            (Period(2020, 2), p, a)
            for p, a in (
                ("unit_medical", "300.00"),
                ("unit_maternity", "50.00"),
                ("individual", "100.00"),
            )
        ],
    )

    bare_agency.enact("chifeng-2020-3")
    bare_agency.assess(uscc, "2020-03", date(2020, 4, 1))

    # Feb overpaid 5000 x 3% = 150.00 -> credit; January's arrears untouched
    assert bare_agency.item(uscc, "2020-01", Part.unit_medical).outstanding == Decimal("300.00")
    (applied,) = bare_agency.decisions(uscc, Unit.CreditApplied)
    # March: individual 100.00 first, then 50.00 of the medical share (net 150.00)
    assert amounts(applied.items) == {
        ("2020-03", "individual"): Decimal("100.00"),
        ("2020-03", "unit_medical"): Decimal("50.00"),
    }
    assert applied.document == "chifeng-2020-3"


def test_a_rejected_commitment_can_be_filed_again(agency: Agency) -> None:
    agency.region(JINAN, fund_months=8)
    uscc = agency.unit(JINAN)
    agency.person(uscc, "5000.00")
    months = [Period(2022, 8), Period(2022, 9)]
    agency.ledger.file_commitment(uscc, months, date(2022, 8, 2), ACTOR)
    agency.ledger.review_commitment(uscc, False, date(2022, 8, 3), ACTOR)

    agency.ledger.file_commitment(uscc, months, date(2022, 8, 10), ACTOR)
    agency.ledger.review_commitment(uscc, True, date(2022, 8, 11), ACTOR)

    (granted,) = agency.decisions(uscc, Unit.DeferralGranted)
    assert granted.periods == "2022-08..2022-09"


def test_a_unit_that_requested_deregistration_opens_no_new_deferral(agency: Agency) -> None:
    agency.region(LINCANG)
    uscc = agency.unit(LINCANG)
    agency.person(uscc, "5000.00")
    agency.ledger.request_deregistration(uscc, date(2020, 4, 1), ACTOR)
    before = agency.high_water()

    with pytest.raises(Conflict, match="requested deregistration on 2020-04-01"):
        agency.ledger.apply_for_deferral(
            uscc, PeriodRange.parse("2020-05..2020-06"), date(2020, 4, 2), ["书面申请"], ACTOR
        )

    assert agency.high_water() == before


def test_the_2022_deferral_is_not_decided_on_facts_dated_outside_the_notice(
    agency: Agency,
) -> None:
    """A classification dated 2021 decides nothing; the July 2022 assessment does."""
    agency.region(WUHAI, fund_months=9)
    uscc = agency.unit(WUHAI, size_class="small", classified_on=date(2021, 5, 1))
    agency.person(uscc, "5000.00")
    assert agency.decisions(uscc, Unit.DeferralGranted) == []

    agency.assess(uscc, "2022-07", date(2022, 7, 5))

    (granted,) = agency.decisions(uscc, Unit.DeferralGranted)
    assert granted.caused_by.startswith("PeriodAssessed 2022-07")
    # 5000 x 7% = 350.00 deferred to 2023-06-30
    assert agency.item(uscc, "2022-07", Part.unit_medical).deferred_open == Decimal("350.00")


def test_no_deferral_is_granted_after_the_repayment_deadline(agency: Agency) -> None:
    agency.region(WUHAI, fund_months=9)
    uscc = agency.unit(WUHAI)
    agency.person(uscc, "5000.00")

    agency.classify(uscc, "small", on=date(2023, 8, 1))

    assert agency.decisions(uscc, Unit.DeferralGranted) == []
    assert agency.decisions(uscc, Unit.DeferralRefused) == []
