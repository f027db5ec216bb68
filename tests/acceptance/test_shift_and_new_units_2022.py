"""Which months a unit defers: the shift for units that paid July, and new SMEs.

内医保办发〔2022〕19号 二: 已缴纳所属期为2022年7月费款的企业, 可从8月起缓缴, 所属期顺延为
2022年8月-10月. 新办中小微企业缓缴费款所属期为新办当月至2022年9月. 三(二)1: 7月已征集(核定)
的数据, 可撤销后重新分拆, 或不能撤销的顺延一个月. Wuhai rates: unit 7%, individual 2%.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ledger.domain.errors import Conflict
from ledger.domain.terms import Part
from ledger.domain.unit import Unit
from tests.acceptance.conftest import ACTOR, WUHAI, Agency, period


def _paid_july_then_classified(agency: Agency) -> str:
    agency.region(WUHAI, fund_months=9)
    uscc = agency.unit(WUHAI)
    agency.person(uscc, "5000.00")
    agency.assess(uscc, "2022-07", date(2022, 7, 5))
    # 5000 x 0.07 = 350.00 unit + 5000 x 0.02 = 100.00 individual
    agency.pay(uscc, "450.00", date(2022, 7, 25))
    agency.classify(uscc, "small", on=date(2022, 7, 28))
    return uscc


def test_a_unit_that_paid_july_defers_august_to_october(agency: Agency) -> None:
    uscc = _paid_july_then_classified(agency)

    (granted,) = agency.decisions(uscc, Unit.DeferralGranted)
    (shifted,) = agency.decisions(uscc, Unit.DeferralShifted)
    assert granted.periods == "2022-07..2022-09"
    assert shifted.periods == "2022-08..2022-10"
    assert str(agency.state(uscc).deferrals[-1].periods) == "2022-08..2022-10"
    assert agency.item(uscc, "2022-07", Part.unit_medical).deferred_until is None


def test_after_the_shift_october_is_deferred_and_november_is_not(agency: Agency) -> None:
    uscc = _paid_july_then_classified(agency)

    for month, on in (("2022-08", 9), ("2022-09", 10), ("2022-10", 11), ("2022-11", 12)):
        agency.assess(uscc, month, date(2022, on, 1))

    assert [s.period for s in agency.decisions(uscc, Unit.AssessmentSplit)] == [
        "2022-08",
        "2022-09",
        "2022-10",
    ]
    # 3 x 350.00 deferred; July stays paid and November due 2022-12-15
    assert agency.state(uscc).deferred_open() == Decimal("1050.00")
    november = agency.item(uscc, "2022-11", Part.unit_medical)
    assert (november.deferred_until, november.due_date) == (None, date(2022, 12, 15))


def test_a_paid_july_cannot_be_revoked_and_re_split(agency: Agency) -> None:
    """The seed's first way (撤销后重新分拆) is closed once July is paid: the shift is the way."""
    uscc = _paid_july_then_classified(agency)
    before = agency.high_water()

    with pytest.raises(Conflict) as refused:
        agency.ledger.revoke_assessment(uscc, period("2022-07"), date(2022, 8, 1), ACTOR)

    assert refused.value.message == (
        "the assessment of 2022-07 has 450.00 paid or credited; it cannot be revoked"
    )
    assert agency.high_water() == before


def test_an_unpaid_july_is_split_without_a_shift(agency: Agency) -> None:
    """三(二)1 一是: 可撤销征集(核定)后重新按新规则分拆征集(核定), 中小微企业正常享受缓缴.
    The ledger splits the recorded July directly: the same outcome without a revocation."""
    agency.region(WUHAI, fund_months=9)
    uscc = agency.unit(WUHAI)
    agency.person(uscc, "5000.00")
    agency.assess(uscc, "2022-07", date(2022, 7, 5))

    agency.classify(uscc, "small", on=date(2022, 7, 28))

    assert agency.decisions(uscc, Unit.DeferralShifted) == []
    assert agency.item(uscc, "2022-07", Part.unit_medical).deferred_open == Decimal("350.00")


def test_a_july_with_only_the_individual_part_paid_is_not_a_paid_july(agency: Agency) -> None:
    """Reading of 已缴纳所属期为2022年7月费款: the unit part of July is still unpaid, so July
    itself is deferrable and the window does not move."""
    agency.region(WUHAI, fund_months=9)
    uscc = agency.unit(WUHAI)
    agency.person(uscc, "5000.00")
    agency.assess(uscc, "2022-07", date(2022, 7, 5))
    agency.pay(uscc, "100.00", date(2022, 7, 25))  # the individual part, allocated first

    agency.classify(uscc, "small", on=date(2022, 7, 28))

    assert agency.decisions(uscc, Unit.DeferralShifted) == []
    assert agency.item(uscc, "2022-07", Part.unit_medical).deferred_open == Decimal("350.00")


def test_a_revoked_july_is_re_assessed_split(agency: Agency) -> None:
    """三(二)1 一是 literally: the unpaid July is revoked and assessed again under the deferral."""
    agency.region(WUHAI, fund_months=9)
    uscc = agency.unit(WUHAI, size_class="small")
    agency.person(uscc, "5000.00")
    agency.assess(uscc, "2022-07", date(2022, 7, 5))
    agency.ledger.revoke_assessment(uscc, period("2022-07"), date(2022, 8, 1), ACTOR)

    agency.assess(uscc, "2022-07", date(2022, 8, 1))

    assert [s.period for s in agency.decisions(uscc, Unit.AssessmentSplit)] == [
        "2022-07",
        "2022-07",
    ]
    assert agency.item(uscc, "2022-07", Part.unit_medical).deferred_open == Decimal("350.00")


@pytest.mark.parametrize(
    ("established_on", "periods"),
    [
        (date(2022, 7, 12), "2022-07..2022-09"),
        (date(2022, 8, 10), "2022-08..2022-09"),
        (date(2022, 9, 30), "2022-09..2022-09"),
    ],
)
def test_a_new_sme_defers_from_its_first_month_to_september(
    agency: Agency, established_on: date, periods: str
) -> None:
    """内医保办发〔2022〕19号 二: 新办中小微企业缓缴费款所属期为新办当月至2022年9月."""
    agency.region(WUHAI, fund_months=9)

    uscc = agency.unit(
        WUHAI, established_on=established_on, size_class="micro", classified_on=established_on
    )

    (granted,) = agency.decisions(uscc, Unit.DeferralGranted)
    assert granted.periods == periods


def test_a_new_sme_that_paid_its_first_month_still_defers_only_to_september(
    agency: Agency,
) -> None:
    """内医保办发〔2022〕19号 二: the one-month shift is for units that paid *July*
    (已缴纳所属期为2022年7月费款的企业); a new SME's months end in 2022-09 (新办当月至2022年9月).
    Its paid August stays paid (prepayments are not deferrable); September is deferred."""
    agency.region(WUHAI, fund_months=9)
    uscc = agency.unit(WUHAI, established_on=date(2022, 8, 3))
    agency.person(uscc, "5000.00", joined_on=date(2022, 8, 3))
    agency.assess(uscc, "2022-08", date(2022, 8, 20))
    agency.pay(uscc, "450.00", date(2022, 8, 25))

    agency.classify(uscc, "micro", on=date(2022, 8, 30))
    for month, on in (("2022-09", 10), ("2022-10", 11)):
        agency.assess(uscc, month, date(2022, on, 1))

    assert agency.decisions(uscc, Unit.DeferralShifted) == []
    assert str(agency.state(uscc).deferrals[-1].periods) == "2022-08..2022-09"
    assert [s.period for s in agency.decisions(uscc, Unit.AssessmentSplit)] == ["2022-09"]


def test_a_unit_set_up_after_september_defers_nothing(agency: Agency) -> None:
    agency.region(WUHAI, fund_months=9)

    uscc = agency.unit(
        WUHAI, established_on=date(2022, 10, 8), size_class="micro", classified_on=date(2022, 10, 9)
    )

    assert agency.decisions(uscc, Unit.DeferralGranted) == []
