"""Working days through the ledger: a commitment's review deadline (济医保发〔2022〕12号 二,
3个工作日内) follows the State Council's notice of each year it runs through, and is
refused, naming the year, where that year's notice is not enacted."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.catalogue.model import WorkingCalendarData
from ledger.domain.errors import Conflict, RuleViolation
from tests.acceptance.conftest import ACTOR, JINAN, Agency, catalogue, period


def _file_commitment(agency: Agency, uscc: str, on: date) -> None:
    agency.ledger.file_commitment(uscc, [period("2022-10")], on, ACTOR)


def _jinan_unit_without_the_2022_notice(agency: Agency) -> str:
    agency.enact_catalogue(but=["holidays-2022"])
    agency.region(JINAN, fund_months=12)
    return agency.unit(JINAN)


def test_a_review_deadline_in_a_year_without_its_notice_is_refused_and_nothing_recorded(
    bare_agency: Agency,
) -> None:
    uscc = _jinan_unit_without_the_2022_notice(bare_agency)
    before = bare_agency.high_water()

    with pytest.raises(RuleViolation, match="no working-day calendar for 2022 is enacted"):
        _file_commitment(bare_agency, uscc, date(2022, 9, 29))

    assert bare_agency.high_water() == before
    assert bare_agency.state(uscc).commitment is None


def test_once_the_years_notice_is_enacted_the_same_commitment_is_filed(
    bare_agency: Agency,
) -> None:
    uscc = _jinan_unit_without_the_2022_notice(bare_agency)

    bare_agency.enact("holidays-2022")
    _file_commitment(bare_agency, uscc, date(2022, 9, 29))

    commitment = bare_agency.state(uscc).commitment
    assert commitment is not None
    # 国办发明电〔2021〕11号 七: Friday 30 September, then Saturday 8 and Sunday 9 October.
    assert commitment.review_by == date(2022, 10, 9)


def test_a_second_different_calendar_for_a_year_is_refused_at_enactment(
    agency: Agency,
) -> None:
    packaged = catalogue()["holidays-2022"]
    calendar = packaged.working_calendar
    assert isinstance(calendar, WorkingCalendarData)
    # a draft that forgets the swapped Sunday of National Day (七: 10月9日上班)
    draft = packaged.model_copy(
        update={
            "document": packaged.document.model_copy(update={"id": "holidays-2022-draft"}),
            "working_calendar": calendar.model_copy(
                update={"extra_workdays": calendar.extra_workdays[:-1]}
            ),
        }
    )
    before = agency.high_water()

    with pytest.raises(Conflict, match=r"holidays-2022 .* and holidays-2022-draft .*"):
        agency.ledger.enact_policy(draft, ACTOR)

    assert agency.high_water() == before
    assert "holidays-2022-draft" not in agency.ledger.policies()
