"""The written commitment (承诺书) path: 济医保发〔2022〕12号 二 and its 附件.

Where data cannot classify a unit, its commitment does (医保发〔2022〕21号 三). Jinan
reviews it within 3 working days; the unit chooses its months, consecutive, within
2022-08..2022-10; a false commitment makes the deferred principal due with late
fees (补缴缓缴的职工医保单位缴费本金和滞纳金). Jinan rates: unit 8% + 1%, individual 2%.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import pytest

from ledger.application import Result
from ledger.domain.errors import Conflict, RuleViolation
from ledger.domain.terms import Part
from ledger.domain.unit import Unit
from tests.acceptance.conftest import ACTOR, JINAN, WUHAI, Agency, amounts, event_types, period

JINAN_COMMITMENT = "济医保发〔2022〕12号 v1: 济医保发〔2022〕12号 二"


def _commit(
    agency: Agency, uscc: str, months: Sequence[str], on: date = date(2022, 8, 5)
) -> Result:
    return agency.ledger.file_commitment(uscc, [period(m) for m in months], on, ACTOR)


def _review(agency: Agency, uscc: str, accepted: bool, on: date = date(2022, 8, 8)) -> Result:
    return agency.ledger.review_commitment(uscc, accepted, on, ACTOR)


def test_a_commitment_is_due_for_review_within_three_working_days(agency: Agency) -> None:
    """济医保发〔2022〕12号 二: 落实在3个工作日内完成审核. Filed Friday 2022-08-05:
    Monday 8th, Tuesday 9th, Wednesday 10th."""
    agency.region(JINAN, fund_months=12)
    uscc = agency.unit(JINAN)

    _commit(agency, uscc, ["2022-08", "2022-09", "2022-10"])

    commitment = agency.state(uscc).commitment
    assert commitment is not None
    assert (str(commitment.periods), commitment.review_by) == (
        "2022-08..2022-10",
        date(2022, 8, 10),
    )


def test_the_review_deadline_skips_the_national_day_holidays(agency: Agency) -> None:
    """国办发明电〔2021〕11号: 10-01..10-07 off, Saturday 10-08 and Sunday 10-09 worked.
    Filed Thursday 2022-09-29: Friday 30th, then Saturday 8th and Sunday 9th October."""
    agency.region(JINAN, fund_months=12)
    uscc = agency.unit(JINAN)

    _commit(agency, uscc, ["2022-10"], on=date(2022, 9, 29))

    commitment = agency.state(uscc).commitment
    assert commitment is not None
    assert commitment.review_by == date(2022, 10, 9)


def test_an_accepted_commitment_defers_the_months_the_unit_chose(agency: Agency) -> None:
    agency.region(JINAN, fund_months=12)
    uscc = agency.unit(JINAN)
    _commit(agency, uscc, ["2022-09", "2022-10"])

    result = _review(agency, uscc, True)

    assert event_types(result) == ["CommitmentReviewed", "Classified", "DeferralGranted"]
    (granted,) = agency.decisions(uscc, Unit.DeferralGranted)
    assert (granted.kind, granted.periods) == ("commitment", "2022-09..2022-10")
    assert (granted.deadline, granted.late_fee_from) == (date(2022, 12, 31), date(2023, 1, 1))
    assert "false_commitment" in granted.triggers


def test_only_the_chosen_months_are_split(agency: Agency) -> None:
    agency.region(JINAN, fund_months=12)
    uscc = agency.unit(JINAN)
    agency.person(uscc, "5000.00")
    _commit(agency, uscc, ["2022-09", "2022-10"])
    _review(agency, uscc, True)

    for month, on in (("2022-08", 9), ("2022-09", 10), ("2022-10", 11)):
        agency.assess(uscc, month, date(2022, on, 1))

    assert [s.period for s in agency.decisions(uscc, Unit.AssessmentSplit)] == [
        "2022-09",
        "2022-10",
    ]
    # 2 x (5000 x 0.08 = 400.00 + 5000 x 0.01 = 50.00) = 900.00 deferred
    assert agency.state(uscc).deferred_open() == Decimal("900.00")


def test_a_commitment_with_months_that_are_not_consecutive_is_refused(agency: Agency) -> None:
    """济医保发〔2022〕12号 附件: 申请时间限于2022年8月-10月之间的连续月份."""
    agency.region(JINAN, fund_months=12)
    uscc = agency.unit(JINAN)
    before = agency.high_water()

    with pytest.raises(RuleViolation) as refused:
        _commit(agency, uscc, ["2022-08", "2022-10"])

    assert refused.value.message.startswith(
        f"months 2022-08, 2022-10 are not consecutive ({JINAN_COMMITMENT}"
    )
    assert refused.value.rule == "commitment.consecutive"
    assert agency.high_water() == before


@pytest.mark.parametrize(
    ("months", "outside"),
    [(["2022-07", "2022-08"], "2022-07"), (["2022-10", "2022-11"], "2022-11")],
)
def test_a_commitment_outside_august_to_october_is_refused(
    agency: Agency, months: list[str], outside: str
) -> None:
    agency.region(JINAN, fund_months=12)
    uscc = agency.unit(JINAN)
    before = agency.high_water()

    with pytest.raises(RuleViolation) as refused:
        _commit(agency, uscc, months)

    assert refused.value.message.startswith(
        f"months {outside} are outside the window 2022-08..2022-10 ({JINAN_COMMITMENT}"
    )
    assert agency.high_water() == before


def test_a_rejected_commitment_defers_nothing(agency: Agency) -> None:
    agency.region(JINAN, fund_months=12)
    uscc = agency.unit(JINAN)
    _commit(agency, uscc, ["2022-08"])

    result = _review(agency, uscc, False)

    assert event_types(result) == ["CommitmentReviewed"]
    assert agency.state(uscc).size_class is None


def test_a_review_after_three_working_days_is_recorded_as_late(agency: Agency) -> None:
    agency.region(JINAN, fund_months=12)
    uscc = agency.unit(JINAN)
    _commit(agency, uscc, ["2022-08"])

    _review(agency, uscc, True, on=date(2022, 8, 11))

    (reviewed,) = agency.decisions(uscc, Unit.CommitmentReviewed)
    assert reviewed.late is True


def test_a_unit_classified_from_data_cannot_commit_instead(agency: Agency) -> None:
    """医保发〔2022〕21号 三: 现有数据可以确定企业类型的, 直接采用相关部门的划型结论."""
    agency.region(JINAN, fund_months=12)
    uscc = agency.unit(JINAN, size_class="large")

    with pytest.raises(Conflict, match="classified from data"):
        _commit(agency, uscc, ["2022-08"])


def test_a_false_commitment_calls_every_deferred_amount_due_from_its_original_due_date(
    agency: Agency,
) -> None:
    """济医保发〔2022〕12号 附件: 如有不实 ... 补缴缓缴的职工医保单位缴费本金和滞纳金."""
    agency.region(JINAN, fund_months=12)
    uscc = agency.unit(JINAN)
    agency.person(uscc, "5000.00")
    _commit(agency, uscc, ["2022-08", "2022-09", "2022-10"])
    _review(agency, uscc, True)
    agency.assess(uscc, "2022-08", date(2022, 9, 1))
    agency.assess(uscc, "2022-09", date(2022, 10, 1))

    agency.ledger.find_commitment_false(uscc, date(2022, 10, 20), ACTOR)

    (called,) = agency.decisions(uscc, Unit.DeferredAmountCalledDue)
    assert (called.trigger, called.from_original_due, called.due_on) == (
        "false_commitment",
        True,
        date(2022, 10, 20),
    )
    # per month 400.00 medical + 50.00 maternity
    assert amounts(called.items) == {
        ("2022-08", "unit_medical"): Decimal("400.00"),
        ("2022-08", "unit_maternity"): Decimal("50.00"),
        ("2022-09", "unit_medical"): Decimal("400.00"),
        ("2022-09", "unit_maternity"): Decimal("50.00"),
    }
    # the late fee runs from August's own due date, 2022-09-15
    assert agency.item(uscc, "2022-08", Part.unit_medical).due_date == date(2022, 9, 15)


def test_after_a_false_commitment_the_remaining_months_are_not_deferred(agency: Agency) -> None:
    agency.region(JINAN, fund_months=12)
    uscc = agency.unit(JINAN)
    agency.person(uscc, "5000.00")
    _commit(agency, uscc, ["2022-08", "2022-09", "2022-10"])
    _review(agency, uscc, True)
    agency.ledger.find_commitment_false(uscc, date(2022, 9, 20), ACTOR)

    agency.assess(uscc, "2022-10", date(2022, 11, 1))

    assert agency.decisions(uscc, Unit.AssessmentSplit) == []


def test_an_inner_mongolia_unit_data_cannot_classify_defers_on_its_commitment(
    agency: Agency,
) -> None:
    """内医保办发〔2022〕19号 三(一)3 告知承诺制: 现有数据无法满足企业划型需求的, 可由企业
    向所属医保经办机构出具书面承诺. The unit does not choose months: once accepted it defers
    as a classified SME would, 2022-07..2022-09 (二)."""
    agency.region(WUHAI, fund_months=9)
    uscc = agency.unit(WUHAI)

    _commit(agency, uscc, [], on=date(2022, 7, 29))
    result = _review(agency, uscc, True, on=date(2022, 8, 1))

    assert event_types(result) == ["CommitmentReviewed", "Classified", "DeferralGranted"]
    (granted,) = agency.decisions(uscc, Unit.DeferralGranted)
    assert (granted.kind, granted.periods) == ("commitment", "2022-07..2022-09")
    assert (granted.deadline, granted.late_fee_from) == (date(2023, 6, 30), date(2023, 7, 1))
    assert granted.document == "inner-mongolia-2022-19"


def test_an_inner_mongolia_commitment_is_reviewed_within_the_localitys_working_days(
    agency: Agency,
) -> None:
    """The notice fixes no review period: locality.toml gives Inner Mongolia 3 working days.
    Filed Friday 2022-07-29: Monday 1st, Tuesday 2nd, Wednesday 3rd August."""
    agency.region(WUHAI, fund_months=9)
    uscc = agency.unit(WUHAI)

    _commit(agency, uscc, [], on=date(2022, 7, 29))

    commitment = agency.state(uscc).commitment
    assert commitment is not None
    assert (commitment.periods, commitment.review_by) == (None, date(2022, 8, 3))


def test_an_inner_mongolia_unit_does_not_choose_its_months(agency: Agency) -> None:
    agency.region(WUHAI, fund_months=9)
    uscc = agency.unit(WUHAI)
    before = agency.high_water()

    with pytest.raises(RuleViolation) as refused:
        _commit(agency, uscc, ["2022-08", "2022-09"], on=date(2022, 7, 29))

    assert refused.value.rule == "commitment.months_chosen"
    assert agency.high_water() == before


def test_an_inner_mongolia_unit_that_paid_july_defers_august_to_october_on_its_commitment(
    agency: Agency,
) -> None:
    """内医保办发〔2022〕19号 二: 已缴纳所属期为2022年7月费款的企业, 可从8月起缓缴, 顺延为
    2022年8月-10月: a unit classified by its commitment shifts like one classified by data."""
    agency.region(WUHAI, fund_months=9)
    uscc = agency.unit(WUHAI)
    agency.person(uscc, "5000.00")
    agency.assess(uscc, "2022-07", date(2022, 8, 1))
    agency.pay(uscc, "450.00", date(2022, 8, 10))  # 5000 x (7% + 2%): July paid in full

    _commit(agency, uscc, [], on=date(2022, 8, 12))
    _review(agency, uscc, True, on=date(2022, 8, 15))

    state = agency.state(uscc)
    (deferral,) = state.deferrals
    assert (deferral.kind.value, str(deferral.periods)) == ("commitment", "2022-08..2022-10")
    assert agency.decisions(uscc, Unit.AssessmentSplit) == []


def test_a_false_inner_mongolia_commitment_calls_the_deferral_due_from_the_original_dates(
    agency: Agency,
) -> None:
    """As in Jinan (济医保发〔2022〕12号 附件): the deferred principal is due at once, with late
    fees from each month's original due date."""
    agency.region(WUHAI, fund_months=9)
    uscc = agency.unit(WUHAI)
    agency.person(uscc, "5000.00")
    _commit(agency, uscc, [], on=date(2022, 7, 29))
    _review(agency, uscc, True, on=date(2022, 8, 1))
    agency.assess(uscc, "2022-07", date(2022, 8, 1))

    agency.ledger.find_commitment_false(uscc, date(2022, 9, 20), ACTOR)

    (called,) = agency.decisions(uscc, Unit.DeferredAmountCalledDue)
    assert (called.trigger, called.from_original_due) == ("false_commitment", True)
    assert amounts(called.items) == {("2022-07", "unit_medical"): Decimal("350.00")}
