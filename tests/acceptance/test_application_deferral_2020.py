"""2020 deferral on application (申请缓缴): 临医保联发〔2020〕14号 二, 赤医保发〔2020〕3号 二.

Lincang: filed (备案) and granted at once, at most 6 months, not past 2020-12-31.
Chifeng: granted only on the city bureau's approval (经市医疗保障局评估核准), at most
3 months. The repayment deadline is the ledger's convention: the last day of the
month after the last deferred period (when that period would normally fall due).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ledger.domain.errors import Conflict, RuleViolation
from ledger.domain.period import PeriodRange
from ledger.domain.terms import Part
from ledger.domain.unit import Unit
from tests.acceptance.conftest import (
    ACTOR,
    CHIFENG,
    LINCANG,
    WUHAI,
    Agency,
    event_types,
    period,
)

PAPERS = ("书面申请.pdf", "资产负债表.xlsx")


def _apply(agency: Agency, uscc: str, periods: str, on: date = date(2020, 4, 20)) -> list[str]:
    result = agency.ledger.apply_for_deferral(uscc, PeriodRange.parse(periods), on, PAPERS, ACTOR)
    return event_types(result)


def test_lincang_grants_a_filed_application_at_once(agency: Agency) -> None:
    """临医保联发〔2020〕14号 二(三): 提交书面申请、资产负债表 ... 报备案 (filing, no approval)."""
    agency.region(LINCANG)
    uscc = agency.unit(LINCANG)

    recorded = _apply(agency, uscc, "2020-05..2020-10")

    assert recorded == ["DeferralApplied", "DeferralGranted"]
    (granted,) = agency.decisions(uscc, Unit.DeferralGranted)
    # last period 2020-10 would fall due in November: repay by 2020-11-30
    assert (granted.kind, granted.periods, granted.deadline, granted.late_fee_from) == (
        "application",
        "2020-05..2020-10",
        date(2020, 11, 30),
        date(2020, 12, 1),
    )
    assert granted.document == "lincang-2020-14"


def test_an_application_deferral_defers_every_part_of_the_periods(agency: Agency) -> None:
    """临医保联发〔2020〕14号 二: 缓缴职工医保费 (the contribution, not only the unit part);
    no late fee if repaid by the end of the deferral (不收取滞纳金)."""
    agency.region(LINCANG)
    uscc = agency.unit(LINCANG)
    agency.person(uscc, "5000.00")
    _apply(agency, uscc, "2020-05..2020-10")

    agency.assess(uscc, "2020-06", date(2020, 7, 1))

    (split,) = agency.decisions(uscc, Unit.AssessmentSplit)
    assert split.deferred_parts == ["unit_medical", "individual"]  # maternity is 0% here
    for part, owed in ((Part.unit_medical, "400.00"), (Part.individual, "100.00")):
        item = agency.item(uscc, "2020-06", part)
        # 5000 x 0.08 = 400.00; 5000 x 0.02 = 100.00; normally due 2020-07-15
        assert (item.due_date, item.deferred_until, item.late_fee_from) == (
            date(2020, 7, 15),
            date(2020, 11, 30),
            date(2020, 12, 1),
        )
        assert item.deferred_open == Decimal(owed)


def test_a_granted_application_splits_a_period_already_assessed(agency: Agency) -> None:
    """April was assessed (and halved) before the application: its net amounts are deferred."""
    agency.region(LINCANG)
    uscc = agency.unit(LINCANG)
    agency.person(uscc, "5000.00")
    agency.assess(uscc, "2020-04", date(2020, 4, 10))

    _apply(agency, uscc, "2020-04..2020-06")

    # 5000 x 0.08 = 400.00, halved for April (临医保联发〔2020〕14号 一): 200.00 deferred
    april = agency.item(uscc, "2020-04", Part.unit_medical)
    assert (april.deferred_until, april.deferred_open) == (date(2020, 7, 31), Decimal("200.00"))


def test_lincang_allows_six_months_ending_with_the_year(agency: Agency) -> None:
    """临医保联发〔2020〕14号 二(二): 原则上不超过6个月, 缓缴时间不得跨过2020年12月31日.
    2020-06..2020-11 is 6 months and must be repaid by 2020-12-31: the last allowed."""
    agency.region(LINCANG)
    uscc = agency.unit(LINCANG)

    _apply(agency, uscc, "2020-06..2020-11")

    (granted,) = agency.decisions(uscc, Unit.DeferralGranted)
    assert granted.deadline == date(2020, 12, 31)


def test_lincang_refuses_more_than_six_months(agency: Agency) -> None:
    agency.region(LINCANG)
    uscc = agency.unit(LINCANG)
    before = agency.high_water()

    with pytest.raises(RuleViolation) as refused:
        _apply(agency, uscc, "2020-03..2020-09")

    assert refused.value.message == (
        "a deferral of 7 months exceeds the 6 allowed by 临医保联发〔2020〕14号"
    )
    assert refused.value.rule == "application_deferral.max_months"
    assert agency.high_water() == before


def test_lincang_refuses_a_deferral_running_past_2020(agency: Agency) -> None:
    """临医保联发〔2020〕14号 二(二): 缓缴时间不得跨过2020年12月31日. A deferral of
    2020-07..2020-12 would be repaid by 2021-01-31 (ledger convention): it crosses the year."""
    agency.region(LINCANG)
    uscc = agency.unit(LINCANG)
    before = agency.high_water()

    with pytest.raises(RuleViolation) as refused:
        _apply(agency, uscc, "2020-07..2020-12")

    assert refused.value.message == (
        "a deferral of 2020-07..2020-12 would run to 2021-01-31, past 2020-12-31 "
        "(临医保联发〔2020〕14号)"
    )
    assert agency.high_water() == before


def test_a_second_application_cannot_stretch_the_deferral_past_six_months(
    agency: Agency,
) -> None:
    """临医保联发〔2020〕14号 二(二): 缓缴期限原则上不超过6个月 is the unit's deferral, read as
    all its applications together: 2020-05..2020-10 granted, one more month is refused."""
    agency.region(LINCANG)
    uscc = agency.unit(LINCANG)
    _apply(agency, uscc, "2020-05..2020-10")
    before = agency.high_water()

    with pytest.raises(RuleViolation) as refused:
        _apply(agency, uscc, "2020-11..2020-11", on=date(2020, 10, 20))

    assert refused.value.message == (
        "a deferral of 1 more months on top of the 6 granted exceeds the 6 allowed "
        "by 临医保联发〔2020〕14号"
    )
    assert agency.high_water() == before


def test_a_second_application_for_months_already_deferred_is_refused(agency: Agency) -> None:
    agency.region(LINCANG)
    uscc = agency.unit(LINCANG)
    _apply(agency, uscc, "2020-05..2020-06")

    with pytest.raises(Conflict, match=r"already defers 2020-05\.\.2020-06 on application"):
        _apply(agency, uscc, "2020-06..2020-07", on=date(2020, 6, 1))


def test_chifeng_refuses_more_than_three_months(agency: Agency) -> None:
    """赤医保发〔2020〕3号 二: 缓缴期不超过3个月."""
    agency.region(CHIFENG)
    uscc = agency.unit(CHIFENG)
    before = agency.high_water()

    with pytest.raises(RuleViolation) as refused:
        _apply(agency, uscc, "2020-05..2020-08")

    assert refused.value.message == (
        "a deferral of 4 months exceeds the 3 allowed by 赤医保发〔2020〕3号"
    )
    assert agency.high_water() == before


def test_chifeng_grants_only_on_the_city_bureaus_approval(agency: Agency) -> None:
    """赤医保发〔2020〕3号 二: 经市医疗保障局评估核准后, 可缓缴医疗保险费."""
    agency.region(CHIFENG)
    uscc = agency.unit(CHIFENG)

    recorded = _apply(agency, uscc, "2020-05..2020-07")

    assert recorded == ["DeferralApplied"]
    assert agency.state(uscc).application is not None
    assert agency.decisions(uscc, Unit.DeferralGranted) == []


def test_chifeng_grants_the_approved_months(agency: Agency) -> None:
    agency.region(CHIFENG)
    uscc = agency.unit(CHIFENG)
    agency.person(uscc, "5000.00")
    agency.assess(uscc, "2020-05", date(2020, 6, 1))
    _apply(agency, uscc, "2020-05..2020-07", on=date(2020, 6, 2))

    result = agency.ledger.decide_deferral_application(
        uscc, True, date(2020, 6, 5), "赤峰市医疗保障局", ACTOR
    )

    assert event_types(result) == ["DeferralGranted", "AssessmentSplit"]
    (granted,) = agency.decisions(uscc, Unit.DeferralGranted)
    assert (granted.periods, granted.deadline) == ("2020-05..2020-07", date(2020, 8, 31))
    # May in full (缓缴期满后足额补缴): medical 300.00 + maternity 50.00 + individual 100.00
    may = agency.state(uscc).items_of(period("2020-05"))
    assert sum(i.deferred_open for i in may) == Decimal("450.00")


def test_chifeng_records_a_refused_application_and_defers_nothing(agency: Agency) -> None:
    agency.region(CHIFENG)
    uscc = agency.unit(CHIFENG)
    agency.person(uscc, "5000.00")
    agency.assess(uscc, "2020-05", date(2020, 6, 1))
    _apply(agency, uscc, "2020-05..2020-07", on=date(2020, 6, 2))

    agency.ledger.decide_deferral_application(
        uscc, False, date(2020, 6, 5), "赤峰市医疗保障局", ACTOR
    )

    (refusal,) = agency.decisions(uscc, Unit.DeferralRefused)
    assert refusal.refusal == "refused by 赤峰市医疗保障局"
    assert agency.item(uscc, "2020-05", Part.unit_medical).deferred_until is None


def test_a_second_application_waits_for_the_first_decision(agency: Agency) -> None:
    agency.region(CHIFENG)
    uscc = agency.unit(CHIFENG)
    _apply(agency, uscc, "2020-05..2020-07")
    before = agency.high_water()

    with pytest.raises(Conflict, match="has an application awaiting decision"):
        _apply(agency, uscc, "2020-06..2020-08")

    assert agency.high_water() == before


@pytest.mark.parametrize("unit_type", ["public_institution", "government_organ"])
def test_only_enterprises_may_apply(agency: Agency, unit_type: str) -> None:
    """临医保联发〔2020〕14号 二(一): 缴费仍有困难的企业, 可 ... 申请缓缴."""
    agency.region(LINCANG)
    uscc = agency.unit(LINCANG, unit_type=unit_type)

    with pytest.raises(RuleViolation) as refused:
        _apply(agency, uscc, "2020-05..2020-06")

    assert refused.value.message.startswith(f"unit type {unit_type} may not apply (")


def test_a_region_without_the_2020_deferral_refuses_applications(agency: Agency) -> None:
    agency.region(WUHAI)
    uscc = agency.unit(WUHAI)

    with pytest.raises(RuleViolation, match="no deferral on application is enacted for region"):
        _apply(agency, uscc, "2020-05..2020-06")
