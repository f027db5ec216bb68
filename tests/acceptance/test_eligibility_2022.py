"""Who may defer in 2022: by unit type and by size class (企业划型).

医保发〔2022〕21号 一: 中小微企业、以单位方式参保的个体工商户 ...; 社会团体、基金会、社会服务机构、
律师事务所、会计师事务所等社会组织参照执行. 内医保办发〔2022〕19号 一: 不包括机关事业单位和大型企业.
Size classes per 工信部联企业〔2011〕300号, from department data or a written commitment.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ledger.domain.errors import Conflict
from ledger.domain.unit import Unit
from tests.acceptance.conftest import ACTOR, WUHAI, Agency


@pytest.mark.parametrize("unit_type", ["enterprise", "individual_business", "social_organisation"])
def test_smes_individual_businesses_and_social_organisations_defer(
    agency: Agency, unit_type: str
) -> None:
    agency.region(WUHAI, fund_months=9)

    uscc = agency.unit(WUHAI, unit_type=unit_type, size_class="micro")

    (granted,) = agency.decisions(uscc, Unit.DeferralGranted)
    assert granted.periods == "2022-07..2022-09"


@pytest.mark.parametrize("unit_type", ["government_organ", "public_institution"])
def test_government_organs_and_public_institutions_are_refused(
    agency: Agency, unit_type: str
) -> None:
    """内医保办发〔2022〕19号 一: (不包括机关事业单位和大型企业). Refused at the unit's first
    fact inside the notice's time (here its July 2022 assessment): no size class can make
    them eligible. Registered long before, nothing is decided at registration."""
    agency.region(WUHAI, fund_months=9)
    uscc = agency.unit(WUHAI, unit_type=unit_type)
    agency.person(uscc, "5000.00")
    assert agency.decisions(uscc, Unit.DeferralRefused) == []

    agency.assess(uscc, "2022-07", date(2022, 7, 5))

    (refusal,) = agency.decisions(uscc, Unit.DeferralRefused)
    assert refusal.refusal == f"unit type {unit_type} is not eligible"
    assert refusal.document == "inner-mongolia-2022-19"
    assert agency.decisions(uscc, Unit.DeferralGranted) == []


@pytest.mark.parametrize("size_class", ["medium", "small", "micro"])
def test_medium_small_and_micro_enterprises_defer(agency: Agency, size_class: str) -> None:
    agency.region(WUHAI, fund_months=9)
    uscc = agency.unit(WUHAI)

    agency.classify(uscc, size_class)

    assert len(agency.decisions(uscc, Unit.DeferralGranted)) == 1


def test_a_large_enterprise_is_refused(agency: Agency) -> None:
    agency.region(WUHAI, fund_months=9)
    uscc = agency.unit(WUHAI)

    agency.classify(uscc, "large")

    (refusal,) = agency.decisions(uscc, Unit.DeferralRefused)
    assert refusal.refusal == "size class large is not an SME"
    assert refusal.kind == "automatic"


def test_an_unclassified_enterprise_waits_for_its_class(agency: Agency) -> None:
    """医保发〔2022〕21号 三: eligibility follows from the size class; until data (or a
    commitment) gives one, nothing is decided and the assessment is not split."""
    agency.region(WUHAI, fund_months=9)
    uscc = agency.unit(WUHAI)
    agency.person(uscc, "5000.00")

    agency.assess(uscc, "2022-07", date(2022, 8, 1))

    history = agency.history(uscc)
    assert "DeferralGranted" not in history
    assert "DeferralRefused" not in history


def test_classifying_later_defers_the_periods_already_assessed(agency: Agency) -> None:
    agency.region(WUHAI, fund_months=9)
    uscc = agency.unit(WUHAI)
    agency.person(uscc, "5000.00")
    agency.assess(uscc, "2022-07", date(2022, 8, 1))

    agency.classify(uscc, "micro", on=date(2022, 8, 3))

    # 5000 x 0.07 = 350.00 of July deferred
    assert agency.state(uscc).deferred_open() == Decimal("350.00")


@pytest.mark.parametrize(
    ("employees", "revenue", "decision"),
    [
        # retail: SME if employees < 300 or revenue < 20000 (10,000 yuan); medium from 50 and 500
        (250, "25000", "DeferralGranted"),
        # 300 employees and 20000 revenue: at both ceilings, a large enterprise
        (300, "20000", "DeferralRefused"),
    ],
)
def test_the_size_class_is_computed_from_department_figures(
    agency: Agency, employees: int, revenue: str, decision: str
) -> None:
    """工信部联企业〔2011〕300号 第四条(五) 零售业: 从业人员300人以下或营业收入20000万元以下."""
    agency.region(WUHAI, fund_months=9)
    uscc = agency.unit(WUHAI)

    agency.ledger.classify_unit(
        uscc,
        industry="retail",
        classified_on=date(2022, 7, 20),
        actor=ACTOR,
        employees=employees,
        revenue=Decimal(revenue),
    )

    assert decision in agency.history(uscc)


def test_a_confirmed_class_is_not_changed(agency: Agency) -> None:
    """内医保办发〔2022〕19号 三(一)2: 划型结果一经确认, 原则上不再进行变更."""
    agency.region(WUHAI, fund_months=9)
    uscc = agency.unit(WUHAI, size_class="large")
    before = agency.high_water()

    with pytest.raises(Conflict, match="already classified"):
        agency.classify(uscc, "small")

    assert agency.high_water() == before
