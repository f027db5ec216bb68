"""2020 half reduction (减征): 临医保联发〔2020〕14号 一, 赤医保发〔2020〕3号 二.

Rates (locality.toml): Lincang unit 8% medical + 0% maternity, individual 2%;
Chifeng unit 6% medical + 1% maternity, individual 2%. Here the policies are in
force before the periods are assessed: the reduction is decided at assessment.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ledger.domain.terms import Part
from ledger.domain.unit import Unit
from tests.acceptance.conftest import CHIFENG, LINCANG, Agency, amounts, period


def test_lincang_halves_the_unit_part_rounding_each_persons_reduction(agency: Agency) -> None:
    """临医保联发〔2020〕14号 一(二): 按职工医保单位应缴部分总额的一半核定."""
    agency.region(LINCANG)
    uscc = agency.unit(LINCANG)
    first = agency.person(uscc, "3333.33")
    second = agency.person(uscc, "4444.44")

    agency.assess(uscc, "2020-02", date(2020, 3, 20))

    # unit part, per person: 3333.33 x 0.08 = 266.6664 -> 266.67
    #                        4444.44 x 0.08 = 355.5552 -> 355.56    sum 622.23
    # reduction, per person: 3333.33 x 0.08 x 0.5 = 133.33332 -> 133.33
    #                        4444.44 x 0.08 x 0.5 = 177.7776  -> 177.78  sum 311.11
    # (half of the unit's 622.23 would be 311.115: the per-person sum is what counts)
    # net: 622.23 - 311.11 = 311.12
    (reduction,) = agency.decisions(uscc, Unit.ReductionApplied)
    assert reduction.by_person == [
        [first, "unit_medical", "133.33"],
        [second, "unit_medical", "177.78"],
    ]
    item = agency.item(uscc, "2020-02", Part.unit_medical)
    assert (item.assessed, item.reduced, item.net) == (
        Decimal("622.23"),
        Decimal("311.11"),
        Decimal("311.12"),
    )


def test_lincang_leaves_the_individual_part_whole(agency: Agency) -> None:
    agency.region(LINCANG)
    uscc = agency.unit(LINCANG)
    agency.person(uscc, "3333.33")
    agency.person(uscc, "4444.44")

    agency.assess(uscc, "2020-03", date(2020, 4, 1))

    # 3333.33 x 0.02 = 66.6666 -> 66.67; 4444.44 x 0.02 = 88.8888 -> 88.89; sum 155.56
    item = agency.item(uscc, "2020-03", Part.individual)
    assert (item.assessed, item.reduced, item.net) == (
        Decimal("155.56"),
        Decimal("0.00"),
        Decimal("155.56"),
    )


def test_chifeng_halves_the_six_percent_medical_share_and_not_the_maternity_share(
    agency: Agency,
) -> None:
    """赤医保发〔2020〕3号 二: 对6%部分实行减半征收; 原生育保险缴费不变."""
    agency.region(CHIFENG)
    uscc = agency.unit(CHIFENG)
    agency.person(uscc, "4321.09")
    agency.person(uscc, "5000.00")

    agency.assess(uscc, "2020-02", date(2020, 3, 20))

    # medical 6%:   4321.09 x 0.06 = 259.2654 -> 259.27;  5000 x 0.06 = 300.00;  sum 559.27
    # reduction:    4321.09 x 0.06 x 0.5 = 129.6327 -> 129.63;  5000 x 0.03 = 150.00;  279.63
    # net medical:  559.27 - 279.63 = 279.64
    # maternity 1%: 4321.09 x 0.01 = 43.2109 -> 43.21;  5000 x 0.01 = 50.00;  93.21, whole
    # individual 2%: 4321.09 x 0.02 = 86.4218 -> 86.42;  5000 x 0.02 = 100.00;  186.42, whole
    unit = agency.state(uscc)
    feb = period("2020-02")
    assert {part: (i.assessed, i.net) for (_, part), i in unit.items.items()} == {
        Part.unit_medical: (Decimal("559.27"), Decimal("279.64")),
        Part.unit_maternity: (Decimal("93.21"), Decimal("93.21")),
        Part.individual: (Decimal("186.42"), Decimal("186.42")),
    }
    (reduction,) = agency.decisions(uscc, Unit.ReductionApplied)
    assert amounts(reduction.totals) == {(str(feb), "unit_medical"): Decimal("279.63")}


@pytest.mark.parametrize("month", ["2020-02", "2020-03", "2020-04"])
def test_each_of_february_to_april_is_reduced(agency: Agency, month: str) -> None:
    """临医保联发〔2020〕14号 一(一): 2020年2月至4月, 减征执行期限为3个月."""
    agency.region(LINCANG)
    uscc = agency.unit(LINCANG)
    agency.person(uscc, "5000.00")

    agency.assess(uscc, month, date(2020, 5, 1))

    # 5000 x 0.08 = 400.00; half 200.00
    assert agency.item(uscc, month, Part.unit_medical).net == Decimal("200.00")


@pytest.mark.parametrize(
    ("month", "why"),
    [("2020-01", "arrears from before the policy"), ("2020-05", "after the policy ended")],
)
def test_contributions_of_other_periods_are_not_reduced(
    agency: Agency, month: str, why: str
) -> None:
    """临医保联发〔2020〕14号 一(一): 实施减征只能是费款所属期的职工医保费; 补缴减征政策实施前的欠费
    及政策终止后的职工医保费均不在此次减征政策范围内. January is assessed late (in May,
    inside the reduction months) and is still not reduced: it is the period that counts."""
    agency.region(LINCANG)
    uscc = agency.unit(LINCANG)
    agency.person(uscc, "5000.00")

    agency.assess(uscc, month, date(2020, 5, 20))

    assert agency.decisions(uscc, Unit.ReductionApplied) == [], why
    # 5000 x 0.08 = 400.00, in full
    assert agency.item(uscc, month, Part.unit_medical).net == Decimal("400.00")


@pytest.mark.parametrize(
    ("unit_type", "reduced_to"),
    [
        ("enterprise", "200.00"),
        ("individual_business", "200.00"),
        ("social_organisation", "200.00"),
        ("government_organ", "400.00"),
        ("public_institution", "400.00"),
    ],
)
def test_lincang_reduces_all_but_government_organs_and_public_institutions(
    agency: Agency, unit_type: str, reduced_to: str
) -> None:
    """临医保联发〔2020〕14号 一: 职工医保单位缴费部分(不含机关、事业单位及灵活就业人员)."""
    agency.region(LINCANG)
    uscc = agency.unit(LINCANG, unit_type=unit_type)
    agency.person(uscc, "5000.00")

    agency.assess(uscc, "2020-02", date(2020, 3, 20))

    # 5000 x 0.08 = 400.00, halved to 200.00 where eligible
    assert agency.item(uscc, "2020-02", Part.unit_medical).net == Decimal(reduced_to)


@pytest.mark.parametrize(
    ("unit_type", "reduced"),
    [
        ("enterprise", True),
        ("individual_business", False),
        ("government_organ", False),
        ("public_institution", False),
    ],
)
def test_chifeng_reduces_enterprises_only(agency: Agency, unit_type: str, reduced: bool) -> None:
    """赤医保发〔2020〕3号 二: 对城镇职工医疗保险参保企业单位缴费部分实行减半征收; 附件二 二:
    核准的减征企业在"单位类型"中维护成"企业"类. Read as: enterprises only."""
    agency.region(CHIFENG)
    uscc = agency.unit(CHIFENG, unit_type=unit_type)
    agency.person(uscc, "5000.00")

    agency.assess(uscc, "2020-03", date(2020, 4, 1))

    assert bool(agency.decisions(uscc, Unit.ReductionApplied)) is reduced


def test_a_reduction_cites_its_document_and_the_assessment_that_caused_it(
    agency: Agency,
) -> None:
    agency.region(LINCANG)
    uscc = agency.unit(LINCANG)
    agency.person(uscc, "5000.00")

    agency.assess(uscc, "2020-04", date(2020, 5, 10))

    (reduction,) = agency.decisions(uscc, Unit.ReductionApplied)
    assert reduction.document == "lincang-2020-14"
    assert reduction.policy.startswith("临医保联发〔2020〕14号 v1: ")
    assert reduction.caused_by == "PeriodAssessed 2020-04 (v3)"
    assert reduction.fraction == Decimal("0.5")
