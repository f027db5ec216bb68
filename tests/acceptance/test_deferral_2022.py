"""2022 phased deferral of the unit part (缓缴) and the split assessment (分拆核定).

医保发〔2022〕21号 一 as ruled for Inner Mongolia by 内医保办发〔2022〕19号 (Wuhai 150300:
unit 7%, individual 2%, deadline 2023-06-30, late fee from 2023-07-01) and forwarded
by 济医保发〔2022〕12号 (Jinan 370100: unit 8% + 1%, individual 2%, the operator's
example deadline 2022-12-31 from locality.toml).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ledger.domain.latefee import late_fee
from ledger.domain.period import Period
from ledger.domain.terms import Part
from ledger.domain.unit import Unit
from tests.acceptance.conftest import ACTOR, JINAN, LINCANG, WUHAI, Agency, amounts, period


def _wuhai_sme(agency: Agency) -> tuple[str, str, str]:
    """A small enterprise of Wuhai with two persons, 5000.00 and 4567.89.

    Per month: unit 350.00 + 319.75 (4567.89 x 0.07 = 319.7523) = 669.75;
    individual 100.00 + 91.36 (4567.89 x 0.02 = 91.3578) = 191.36.
    """
    agency.region(WUHAI, fund_months=9)
    uscc = agency.unit(WUHAI, size_class="small")
    first = agency.person(uscc, "5000.00")
    second = agency.person(uscc, "4567.89")
    return uscc, first, second


def test_an_sme_defers_the_unit_part_of_july_to_september_without_applying(
    agency: Agency,
) -> None:
    """内医保办发〔2022〕19号 二: 缓缴费款所属期为2022年7月—9月; 三(一)1 免申请."""
    agency.region(WUHAI, fund_months=9)
    uscc = agency.unit(WUHAI)

    agency.classify(uscc, "small", on=date(2022, 7, 25))

    (granted,) = agency.decisions(uscc, Unit.DeferralGranted)
    assert (granted.kind, granted.periods) == ("automatic", "2022-07..2022-09")
    assert (granted.deadline, granted.late_fee_from) == (date(2023, 6, 30), date(2023, 7, 1))
    assert granted.parts == ["unit_medical", "unit_maternity"]
    assert granted.triggers == ["resignation", "retirement", "transfer", "deregistration"]
    assert granted.document == "inner-mongolia-2022-19"
    assert granted.caused_by == "Classified small (v2)"


def test_the_assessment_is_split_into_a_deferred_unit_part_and_an_individual_part_due_as_usual(
    agency: Agency,
) -> None:
    """内医保办发〔2022〕19号 三(二)1: 缓缴期限内, 单位部分和个人部分分拆征集(核定);
    一: 个人应缴纳部分不适用缓缴政策."""
    uscc, _, _ = _wuhai_sme(agency)

    agency.assess(uscc, "2022-07", date(2022, 8, 1))

    (split,) = agency.decisions(uscc, Unit.AssessmentSplit)
    assert (split.period, split.deferred_parts) == ("2022-07", ["unit_medical"])
    unit_part = agency.item(uscc, "2022-07", Part.unit_medical)
    individual = agency.item(uscc, "2022-07", Part.individual)
    assert (unit_part.net, unit_part.deferred_until, unit_part.late_fee_from) == (
        Decimal("669.75"),
        date(2023, 6, 30),
        date(2023, 7, 1),
    )
    assert (individual.net, individual.deferred_until, individual.due_date) == (
        Decimal("191.36"),
        None,
        date(2022, 8, 15),
    )


def test_the_individual_part_is_paid_on_its_own_while_the_unit_part_stays_deferred(
    agency: Agency,
) -> None:
    """内医保办发〔2022〕19号 三(三)1: 支持按征集(核定)单独回传 ... 个人缴费部分."""
    uscc, _, _ = _wuhai_sme(agency)
    agency.assess(uscc, "2022-07", date(2022, 8, 1))

    agency.ledger.collect_payment(
        uscc,
        date(2022, 8, 10),
        "191.36",
        ACTOR,
        items=[(period("2022-07"), "individual", "191.36")],
    )

    assert agency.item(uscc, "2022-07", Part.individual).outstanding == Decimal("0.00")
    assert agency.item(uscc, "2022-07", Part.unit_medical).deferred_open == Decimal("669.75")


def test_each_of_the_three_months_is_split(agency: Agency) -> None:
    uscc, _, _ = _wuhai_sme(agency)

    for month, on in (("2022-07", 8), ("2022-08", 9), ("2022-09", 10)):
        agency.assess(uscc, month, date(2022, on, 1))

    # 3 x 669.75 = 2009.25 deferred
    assert [s.period for s in agency.decisions(uscc, Unit.AssessmentSplit)] == [
        "2022-07",
        "2022-08",
        "2022-09",
    ]
    assert agency.state(uscc).deferred_open() == Decimal("2009.25")


@pytest.mark.parametrize(
    ("month", "why"),
    [
        ("2022-06", "arrears of a period before the deferral (补缴缓缴期以前属期的费款)"),
        ("2022-10", "a period after the three months"),
    ],
)
def test_contributions_of_other_periods_are_not_deferred(
    agency: Agency, month: str, why: str
) -> None:
    """内医保办发〔2022〕19号 二: 缓缴费款所属期不包括补缴缓缴期以前属期的费款. June is
    assessed late, in August, and is still not deferred: the period is what counts."""
    uscc, _, _ = _wuhai_sme(agency)

    agency.assess(uscc, month, date(2022, 8, 20))

    assert agency.decisions(uscc, Unit.AssessmentSplit) == [], why
    due = Period.parse(month).next().first_day.replace(day=15)
    assert agency.item(uscc, month, Part.unit_medical).due_date == due
    assert agency.item(uscc, month, Part.unit_medical).deferred_until is None


def test_a_unit_may_repay_the_deferred_unit_part_early(agency: Agency) -> None:
    """内医保办发〔2022〕19号 二: 中小微企业根据实际需要, 可以正常缴纳或提前缴纳缓缴的费款."""
    uscc, _, _ = _wuhai_sme(agency)
    agency.assess(uscc, "2022-07", date(2022, 8, 1))

    agency.pay(uscc, "861.11", date(2022, 8, 10))

    # 191.36 individual + 669.75 deferred unit part = 861.11, all settled
    unit = agency.state(uscc)
    assert [(i.part, i.outstanding) for i in unit.items_of(period("2022-07"))] == [
        (Part.unit_medical, Decimal("0.00")),
        (Part.individual, Decimal("0.00")),
    ]
    assert unit.deferred_open() == Decimal("0.00")


def test_jinan_defers_both_unit_shares_until_the_operators_deadline(agency: Agency) -> None:
    """济医保发〔2022〕12号 forwards 鲁医保发〔2022〕21号, whose deadline is not among the
    seeds: the operator's example 2022-12-31 (locality.toml), late fee from 2023-01-01."""
    agency.region(JINAN, fund_months=12)
    uscc = agency.unit(JINAN, size_class="micro")
    agency.person(uscc, "5000.00")

    agency.assess(uscc, "2022-08", date(2022, 9, 1))

    (split,) = agency.decisions(uscc, Unit.AssessmentSplit)
    assert split.deferred_parts == ["unit_medical", "unit_maternity"]
    assert (split.deadline, split.late_fee_from) == (date(2022, 12, 31), date(2023, 1, 1))
    # 5000 x 0.08 = 400.00 medical + 5000 x 0.01 = 50.00 maternity
    assert agency.state(uscc).deferred_open() == Decimal("450.00")


def test_no_deferral_is_decided_where_the_locality_supplies_no_deadline(agency: Agency) -> None:
    """医保发〔2022〕21号 leaves the deadline to the locality; Lincang has none in
    locality.toml, so the ledger refuses to decide rather than guess."""
    agency.region(LINCANG)
    agency.ledger.declare_fund_months(LINCANG, 9, date(2022, 7, 1), ACTOR)
    uscc = agency.unit(LINCANG, size_class="small")
    agency.person(uscc, "5000.00")

    agency.assess(uscc, "2022-07", date(2022, 8, 1))

    history = agency.history(uscc)
    assert "DeferralGranted" not in history
    assert "DeferralRefused" not in history


def test_the_deferral_list_figures_are_the_unit_part_only(agency: Agency) -> None:
    """内医保办发〔2022〕19号 五 缓缴清单: 缓缴金额 只涉及单位缴纳部分. The split items carry it."""
    uscc, _, _ = _wuhai_sme(agency)

    agency.assess(uscc, "2022-07", date(2022, 8, 1))

    unit = agency.state(uscc)
    deferred = {
        (str(i.period), i.part.value): i.deferred_open
        for i in unit.items.values()
        if i.deferred_open
    }
    assert deferred == amounts([["2022-07", "unit_medical", "669.75"]])


@pytest.mark.parametrize(
    ("paid_on", "fee"),
    [
        (date(2023, 6, 30), "0.00"),  # repaid by the deadline: no late fee (缓缴期间免收滞纳金)
        (date(2023, 7, 31), "10.38"),  # 669.75 x 0.0005 x 31 days = 10.381125 -> 10.38
    ],
)
def test_the_deferred_unit_part_bears_a_late_fee_only_from_2023_07_01(
    agency: Agency, paid_on: date, fee: str
) -> None:
    """内医保办发〔2022〕19号 二: 应于2023年6月30日前补缴到位, 逾期未补缴的, 从2023年7月1日起
    计算加收滞纳金. The split item carries its deadline; the late-fee rule is the law's."""
    uscc, _, _ = _wuhai_sme(agency)
    agency.assess(uscc, "2022-07", date(2022, 8, 1))
    rate = agency.ledger.policies().late_fee(WUHAI, paid_on).rule.daily_rate

    item = agency.item(uscc, "2022-07", Part.unit_medical)

    assert item.deferred_until is not None
    assert late_fee(item.outstanding, item.deferred_until, paid_on, rate) == Decimal(fee)


def test_the_individual_part_bears_a_late_fee_from_its_usual_due_date(agency: Agency) -> None:
    """内医保办发〔2022〕19号 三(二)4: 应及时缴纳代扣代缴个人缴费部分, 避免逾期产生滞纳金."""
    uscc, _, _ = _wuhai_sme(agency)
    agency.assess(uscc, "2022-07", date(2022, 8, 1))
    rate = agency.ledger.policies().late_fee(WUHAI, date(2022, 9, 14)).rule.daily_rate

    item = agency.item(uscc, "2022-07", Part.individual)

    # due 2022-08-15, paid 2022-09-14: 30 days x 191.36 x 0.0005 = 2.8704 -> 2.87
    assert late_fee(item.outstanding, item.due_date, date(2022, 9, 14), rate) == Decimal("2.87")
