"""Retroactivity both ways: a policy enacted after periods it covers were assessed or paid.

临医保联发〔2020〕14号 (enacted 2020-03-14) and 赤医保发〔2020〕3号 (2020-03-13) reduce
periods from February 2020: at enactment the ledger decides on what is already
recorded (refund, carry forward, re-assess), and periods assessed later are decided
when they are assessed. The same holds for the 2022 deferral notice of Inner Mongolia.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ledger.domain.terms import Part
from ledger.domain.unit import Unit
from tests.acceptance.conftest import (
    CHIFENG,
    LINCANG,
    WUHAI,
    Agency,
    amounts,
    event_types,
    period,
)

LINCANG_DOC = "lincang-2020-14"
CHIFENG_DOC = "chifeng-2020-3"
INNER_MONGOLIA_DOC = "inner-mongolia-2022-19"


def _lincang_unit_paid_for_february_and_march(agency: Agency) -> str:
    """Two persons, 5000.00 and 3333.33; Lincang rates 8% unit, 2% individual.

    Per month: unit 400.00 + 266.67 (3333.33 x 0.08 = 266.6664) = 666.67;
    individual 100.00 + 66.67 (3333.33 x 0.02 = 66.6666) = 166.67; together 833.34.
    """
    agency.enact_catalogue(but=[LINCANG_DOC])
    agency.region(LINCANG)
    uscc = agency.unit(LINCANG)
    agency.person(uscc, "5000.00")
    agency.person(uscc, "3333.33")
    agency.assess(uscc, "2020-02", date(2020, 3, 1))
    agency.pay(uscc, "833.34", date(2020, 3, 10))
    agency.assess(uscc, "2020-03", date(2020, 3, 12))
    agency.pay(uscc, "833.34", date(2020, 3, 13))
    return uscc


def test_lincang_refunds_the_paid_february_and_march_at_enactment(bare_agency: Agency) -> None:
    """临医保联发〔2020〕14号 一(二): 涉及2020年2月、3月已缴费的, 直接按程序退费,
    无需缴费人提交申请."""
    uscc = _lincang_unit_paid_for_february_and_march(bare_agency)

    result = bare_agency.enact(LINCANG_DOC)[0]

    # reduction per month: 5000 x 0.04 = 200.00 + 3333.33 x 0.04 = 133.3332 -> 133.33 = 333.33
    refunds = bare_agency.decisions(uscc, Unit.RefundOwed)
    assert [amounts(r.items) for r in refunds] == [
        {("2020-02", "unit_medical"): Decimal("333.33")},
        {("2020-03", "unit_medical"): Decimal("333.33")},
    ]
    assert {r.caused_by for r in refunds} == {"PolicyEnacted 临医保联发〔2020〕14号 v1"}
    assert event_types(result).count("RefundOwed") == 2
    # paid 666.67, refunded 333.33: settled 333.34 = the net 666.67 - 333.33
    feb = bare_agency.item(uscc, "2020-02", Part.unit_medical)
    assert (feb.net, feb.settled, feb.outstanding) == (
        Decimal("333.34"),
        Decimal("333.34"),
        Decimal("0.00"),
    )


def test_lincang_re_assesses_an_unpaid_february_without_a_refund(bare_agency: Agency) -> None:
    """临医保联发〔2020〕14号 一(二): 尚未缴费的, 由医保经办机构按减免政策重新核定."""
    bare_agency.enact_catalogue(but=[LINCANG_DOC])
    bare_agency.region(LINCANG)
    uscc = bare_agency.unit(LINCANG)
    bare_agency.person(uscc, "5000.00")
    bare_agency.assess(uscc, "2020-02", date(2020, 3, 1))

    bare_agency.enact(LINCANG_DOC)

    assert bare_agency.decisions(uscc, Unit.RefundOwed) == []
    # 5000 x 0.08 = 400.00, halved: 200.00 left to pay
    assert bare_agency.item(uscc, "2020-02", Part.unit_medical).outstanding == Decimal("200.00")


def test_a_period_assessed_after_enactment_is_reduced_when_assessed(bare_agency: Agency) -> None:
    uscc = _lincang_unit_paid_for_february_and_march(bare_agency)
    bare_agency.enact(LINCANG_DOC)

    bare_agency.assess(uscc, "2020-04", date(2020, 5, 1))

    april = [r for r in bare_agency.decisions(uscc, Unit.ReductionApplied) if r.period == "2020-04"]
    # the decision names the fact that caused it, down to its version (the event just before)
    assert [r.caused_by for r in april] == [
        f"PeriodAssessed 2020-04 (v{april[0].originator_version - 1})"
    ]
    assert bare_agency.item(uscc, "2020-04", Part.unit_medical).net == Decimal("333.34")
    assert len(bare_agency.decisions(uscc, Unit.RefundOwed)) == 2


def _chifeng_unit_paid_for_february(agency: Agency) -> str:
    """Two persons, 4321.09 and 5000.00; Chifeng rates 6% + 1% unit, 2% individual.

    Per month: medical 259.27 (4321.09 x 0.06 = 259.2654) + 300.00 = 559.27;
    maternity 43.21 + 50.00 = 93.21; individual 86.42 + 100.00 = 186.42; 838.90.
    """
    agency.enact_catalogue(but=[CHIFENG_DOC])
    agency.region(CHIFENG)
    uscc = agency.unit(CHIFENG)
    agency.person(uscc, "4321.09")
    agency.person(uscc, "5000.00")
    agency.assess(uscc, "2020-02", date(2020, 3, 1))
    agency.pay(uscc, "838.90", date(2020, 3, 10))
    return uscc


def test_chifeng_holds_the_paid_february_reduction_as_credit(bare_agency: Agency) -> None:
    """赤医保发〔2020〕3号 附件二 三: 2月份已经征缴的企业 ... 多缴部分转入待转基金."""
    uscc = _chifeng_unit_paid_for_february(bare_agency)

    bare_agency.enact(CHIFENG_DOC)

    # reduction: 4321.09 x 0.03 = 129.6327 -> 129.63, + 5000 x 0.03 = 150.00: 279.63
    (carried,) = bare_agency.decisions(uscc, Unit.CreditCarriedForward)
    assert amounts(carried.items) == {("2020-02", "unit_medical"): Decimal("279.63")}
    assert carried.caused_by == "PolicyEnacted 赤医保发〔2020〕3号 v1"
    assert bare_agency.decisions(uscc, Unit.RefundOwed) == []
    assert bare_agency.state(uscc).credit == Decimal("279.63")


def test_chifeng_offsets_the_credit_against_the_next_months_contribution(
    bare_agency: Agency,
) -> None:
    """赤医保发〔2020〕3号 附件二 三: 多缴部分转入待转基金, 冲减下个月的缴费."""
    uscc = _chifeng_unit_paid_for_february(bare_agency)
    bare_agency.enact(CHIFENG_DOC)

    bare_agency.assess(uscc, "2020-03", date(2020, 4, 1))

    # March: medical 559.27 - 279.63 reduced = 279.64; maternity 93.21; individual 186.42.
    # credit 279.63 offsets individual first (186.42), the rest (93.21) the medical part.
    (applied,) = bare_agency.decisions(uscc, Unit.CreditApplied)
    assert amounts(applied.items) == {
        ("2020-03", "individual"): Decimal("186.42"),
        ("2020-03", "unit_medical"): Decimal("93.21"),
    }
    unit = bare_agency.state(uscc)
    assert unit.credit == Decimal("0.00")
    # left to pay for March: 838.90 - 279.63 reduced - 279.63 credit = 279.64
    assert sum(i.outstanding for i in unit.items_of(period("2020-03"))) == Decimal("279.64")


def test_chifeng_offsets_at_enactment_when_march_was_already_assessed(
    bare_agency: Agency,
) -> None:
    uscc = _chifeng_unit_paid_for_february(bare_agency)
    bare_agency.assess(uscc, "2020-03", date(2020, 3, 12))

    result = bare_agency.enact(CHIFENG_DOC)[0]

    assert event_types(result)[2:] == [
        "ReductionApplied",  # February, paid
        "CreditCarriedForward",
        "ReductionApplied",  # March, unpaid: re-assessed
        "CreditApplied",
    ]
    # same figures as when March is assessed after enactment
    unit = bare_agency.state(uscc)
    assert sum(i.outstanding for i in unit.items_of(period("2020-03"))) == Decimal("279.64")


def test_the_deferral_notice_shifts_a_unit_that_paid_july_before_it_was_enacted(
    bare_agency: Agency,
) -> None:
    """内医保办发〔2022〕19号 二: 已缴纳所属期为2022年7月费款的企业, 可从8月起缓缴 (8月-10月).
    Enacted on 2022-07-28 after July was paid: decided at enactment."""
    bare_agency.enact_catalogue(but=[INNER_MONGOLIA_DOC])
    bare_agency.region(WUHAI, fund_months=9)
    uscc = bare_agency.unit(WUHAI, size_class="small")
    bare_agency.person(uscc, "5000.00")
    bare_agency.assess(uscc, "2022-07", date(2022, 7, 5))
    # 5000 x 0.07 = 350.00 unit + 5000 x 0.02 = 100.00 individual
    bare_agency.pay(uscc, "450.00", date(2022, 7, 20))
    assert bare_agency.decisions(uscc, Unit.DeferralGranted) == []

    bare_agency.enact(INNER_MONGOLIA_DOC)

    (granted,) = bare_agency.decisions(uscc, Unit.DeferralGranted)
    (shifted,) = bare_agency.decisions(uscc, Unit.DeferralShifted)
    assert (granted.periods, shifted.periods) == ("2022-07..2022-09", "2022-08..2022-10")
    assert granted.caused_by == "PolicyEnacted 内医保办发〔2022〕19号 v1"
    assert bare_agency.item(uscc, "2022-07", Part.unit_medical).deferred_until is None


def test_the_deferral_notice_splits_an_unpaid_july_assessed_before_it_was_enacted(
    bare_agency: Agency,
) -> None:
    """内医保办发〔2022〕19号 三(二)1: 7月已征集(核定)的数据 ... 可撤销后重新按新规则分拆征集."""
    bare_agency.enact_catalogue(but=[INNER_MONGOLIA_DOC])
    bare_agency.region(WUHAI, fund_months=9)
    uscc = bare_agency.unit(WUHAI, size_class="small")
    bare_agency.person(uscc, "5000.00")
    bare_agency.assess(uscc, "2022-07", date(2022, 7, 5))

    bare_agency.enact(INNER_MONGOLIA_DOC)

    (split,) = bare_agency.decisions(uscc, Unit.AssessmentSplit)
    assert (split.period, split.deferred_parts) == ("2022-07", ["unit_medical"])
    july = bare_agency.item(uscc, "2022-07", Part.unit_medical)
    assert (july.deferred_until, july.deferred_open) == (date(2023, 6, 30), Decimal("350.00"))
