"""Repayment triggers: a person leaving calls that person's deferred unit part due.

医保发〔2022〕21号 四 (and 内医保办发〔2022〕19号 三(四)1): 参保人出现离职、申请办理职工医保
退休人员待遇、办理关系转移等情形的, 企业应为其补齐缓缴的职工医保单位缴费.
Wuhai rates: unit 7%, individual 2%.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ledger.domain.errors import Conflict
from ledger.domain.period import PeriodRange
from ledger.domain.terms import Part
from ledger.domain.unit import Unit
from tests.acceptance.conftest import ACTOR, LINCANG, WUHAI, Agency, amounts, event_types


def _wuhai_sme_deferring_july_and_august(agency: Agency) -> tuple[str, str, str]:
    """Persons 5000.00 (unit part 350.00) and 4567.89 (4567.89 x 0.07 = 319.7523 -> 319.75).

    Each month: unit 669.75 deferred; individual 100.00 + 91.36 = 191.36 due as usual.
    """
    agency.region(WUHAI, fund_months=9)
    uscc = agency.unit(WUHAI, size_class="small")
    stays = agency.person(uscc, "5000.00")
    leaves = agency.person(uscc, "4567.89")
    agency.assess(uscc, "2022-07", date(2022, 8, 1))
    agency.assess(uscc, "2022-08", date(2022, 9, 1))
    return uscc, stays, leaves


@pytest.mark.parametrize("trigger", ["resignation", "retirement", "transfer"])
def test_a_person_leaving_calls_their_deferred_unit_part_due(agency: Agency, trigger: str) -> None:
    uscc, _, leaves = _wuhai_sme_deferring_july_and_august(agency)

    result = agency.ledger.person_left(uscc, leaves, trigger, date(2022, 9, 5), ACTOR)

    assert event_types(result) == ["PersonLeft", "DeferredAmountCalledDue"]
    (called,) = agency.decisions(uscc, Unit.DeferredAmountCalledDue)
    assert (called.trigger, called.resident_id, called.due_on) == (
        trigger,
        leaves,
        date(2022, 9, 5),
    )
    # 319.75 for each of July and August: 639.50
    assert amounts(called.items) == {
        ("2022-07", "unit_medical"): Decimal("319.75"),
        ("2022-08", "unit_medical"): Decimal("319.75"),
    }


def test_the_colleagues_deferred_unit_part_stays_deferred(agency: Agency) -> None:
    uscc, _, leaves = _wuhai_sme_deferring_july_and_august(agency)

    agency.ledger.person_left(uscc, leaves, "resignation", date(2022, 9, 5), ACTOR)

    # each month: 669.75 outstanding, 319.75 called due, 350.00 (the colleague's) deferred
    for month in ("2022-07", "2022-08"):
        item = agency.item(uscc, month, Part.unit_medical)
        assert (item.outstanding, item.called_due_open, item.deferred_open) == (
            Decimal("669.75"),
            Decimal("319.75"),
            Decimal("350.00"),
        )


def test_paying_the_called_amount_settles_it_before_what_is_still_deferred(
    agency: Agency,
) -> None:
    """DOMAIN.md payment allocation: undeferred before deferred. Principal called due is
    no longer deferred, so a payment of exactly 639.50 settles it and nothing else."""
    uscc, _, leaves = _wuhai_sme_deferring_july_and_august(agency)
    agency.pay(uscc, "382.72", date(2022, 8, 10))  # both individual parts, 2 x 191.36
    agency.ledger.person_left(uscc, leaves, "resignation", date(2022, 9, 5), ACTOR)

    agency.pay(uscc, "639.50", date(2022, 9, 6))

    unit = agency.state(uscc)
    assert sum(i.called_due_open for i in unit.items.values()) == Decimal("0.00")
    # the colleague's 2 x 350.00 remain deferred until 2023-06-30
    assert unit.deferred_open() == Decimal("700.00")


def test_the_next_month_is_assessed_and_deferred_without_the_person_who_left(
    agency: Agency,
) -> None:
    uscc, _, leaves = _wuhai_sme_deferring_july_and_august(agency)
    agency.ledger.person_left(uscc, leaves, "retirement", date(2022, 9, 5), ACTOR)

    agency.assess(uscc, "2022-09", date(2022, 10, 1))

    # September: only the 5000.00 person, 350.00 deferred
    assert agency.item(uscc, "2022-09", Part.unit_medical).deferred_open == Decimal("350.00")


def test_a_person_with_nothing_deferred_leaves_without_a_call(agency: Agency) -> None:
    uscc, _, _ = _wuhai_sme_deferring_july_and_august(agency)
    newcomer = agency.person(uscc, "6000.00", joined_on=date(2022, 9, 1))

    result = agency.ledger.person_left(uscc, newcomer, "transfer", date(2022, 9, 20), ACTOR)

    assert event_types(result) == ["PersonLeft"]


def test_a_person_who_already_left_cannot_leave_again(agency: Agency) -> None:
    uscc, _, leaves = _wuhai_sme_deferring_july_and_august(agency)
    agency.ledger.person_left(uscc, leaves, "resignation", date(2022, 9, 5), ACTOR)
    before = agency.high_water()

    with pytest.raises(Conflict, match="is not a current member"):
        agency.ledger.person_left(uscc, leaves, "resignation", date(2022, 9, 6), ACTOR)

    assert agency.high_water() == before


def test_a_2020_deferral_on_application_has_no_person_triggers(agency: Agency) -> None:
    """临医保联发〔2020〕14号 二 names no repayment triggers: deferred amounts are repaid
    together when the deferral ends (缓缴期满后, 职工医保费用统一补缴)."""
    agency.region(LINCANG)
    uscc = agency.unit(LINCANG)
    leaves = agency.person(uscc, "5000.00")
    agency.ledger.apply_for_deferral(
        uscc, PeriodRange.parse("2020-05..2020-07"), date(2020, 4, 20), ["申请.pdf"], ACTOR
    )
    agency.assess(uscc, "2020-05", date(2020, 6, 1))

    result = agency.ledger.person_left(uscc, leaves, "resignation", date(2020, 6, 10), ACTOR)

    assert event_types(result) == ["PersonLeft"]
