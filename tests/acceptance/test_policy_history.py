"""A region's policy history over the years (issue 10): the notices of examples/notices/
enacted on top of the packaged catalogue, over a history that runs from 2020 to 2024.

The example notices are invented to show an operator's workflow (their files say so):
``example-2023-deferral`` defers Inner Mongolia's unit part for 2023-01..2023-03, to
2023-12-31; ``example-wuhai-2024`` sets Wuhai's unit rate to 7.5% from 2024-01, the base
between 4,200.00 and 21,000.00, and adds 5.00 a person a month to the individual part.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ledger.catalogue.loader import load_catalogue_dir, load_default_catalogue
from ledger.catalogue.model import CatalogueFile
from ledger.catalogue.policyset import PolicySet
from ledger.domain.errors import Conflict
from ledger.domain.terms import Part
from ledger.domain.unit import Unit
from ledger.replay import run_replay
from tests.acceptance.conftest import ACTOR, CHIFENG, WUHAI, Agency

NOTICES = Path(__file__).resolve().parents[2] / "examples" / "notices"


def notices() -> dict[str, CatalogueFile]:
    return {f.document.id: f for f in load_catalogue_dir(NOTICES)}


def enact_notice(agency: Agency, document_id: str) -> None:
    agency.ledger.enact_policy(notices()[document_id], ACTOR)


def decisions_of(agency: Agency, uscc: str) -> list[tuple[str, str]]:
    """Every decision recorded on a unit: its type and the document it cites."""
    return [
        (type(e).__name__, e.document)
        for e in agency.ledger.unit_history(uscc)
        if isinstance(e, Unit.Decision)
    ]


def chifeng_2020(agency: Agency) -> str:
    """February paid, then the 2020 reduction enacted: halved retroactively, credit held."""
    agency.region(CHIFENG)
    uscc = agency.unit(CHIFENG)
    agency.person(uscc, "10000.00")
    agency.assess(uscc, "2020-02", date(2020, 3, 5))
    agency.pay(uscc, "900.00", date(2020, 3, 10))
    return uscc


def wuhai_small_enterprise(agency: Agency) -> tuple[str, str, str]:
    """A small enterprise of Wuhai with two persons (5,000.00 and 3,000.00), assessed from
    2022-07 to 2023-03; the 2022 deferral splits 2022-07..09."""
    agency.region(WUHAI, fund_months=9)
    uscc = agency.unit(WUHAI, size_class="small")
    high = agency.person(uscc, "5000.00")
    low = agency.person(uscc, "3000.00")
    for year, month in [(2022, m) for m in range(7, 13)] + [(2023, m) for m in (1, 2, 3)]:
        on = date(year + month // 12, month % 12 + 1, 5)
        agency.assess(uscc, f"{year}-{month:02d}", on)
    return uscc, high, low


@pytest.fixture
def history(agency: Agency) -> tuple[Agency, str, str, str, str]:
    agency.enact_catalogue()
    chifeng = chifeng_2020(agency)
    wuhai, high, low = wuhai_small_enterprise(agency)
    return agency, chifeng, wuhai, high, low


def test_new_notices_leave_every_2020_and_2022_decision_as_it_was(
    history: tuple[Agency, str, str, str, str],
) -> None:
    agency, chifeng, wuhai, _, _ = history
    before = {uscc: decisions_of(agency, uscc) for uscc in (chifeng, wuhai)}
    split_2022 = {
        (i.period, i.part): i.deferred_until
        for i in agency.state(wuhai).items.values()
        if i.period.year == 2022
    }

    enact_notice(agency, "example-2023-deferral")
    enact_notice(agency, "example-wuhai-2024")

    assert decisions_of(agency, chifeng) == before[chifeng]
    after = decisions_of(agency, wuhai)
    assert after[: len(before[wuhai])] == before[wuhai]
    assert {doc for _, doc in after[len(before[wuhai]) :]} == {"example-2023-deferral"}
    assert {
        (i.period, i.part): i.deferred_until
        for i in agency.state(wuhai).items.values()
        if i.period.year == 2022
    } == split_2022


def test_the_2023_months_are_deferred_under_the_2023_notice(
    history: tuple[Agency, str, str, str, str],
) -> None:
    agency, _, wuhai, _, _ = history

    enact_notice(agency, "example-2023-deferral")

    state = agency.state(wuhai)
    windows = {d.document: str(d.periods) for d in state.deferrals}
    assert windows == {
        "inner-mongolia-2022-19": "2022-07..2022-09",
        "example-2023-deferral": "2023-01..2023-03",
    }
    for month in ("2023-01", "2023-02", "2023-03"):
        item = agency.item(wuhai, month, Part.unit_medical)
        assert (item.deferred_until, item.deferral_policy) == (
            date(2023, 12, 31),
            "example-2023-deferral",
        )
    assert agency.item(wuhai, "2022-12", Part.unit_medical).deferred_until is None


def test_a_2024_assessment_takes_the_new_rate_the_base_limits_and_the_fixed_amount(
    history: tuple[Agency, str, str, str, str],
) -> None:
    agency, _, wuhai, high, low = history
    big = agency.person(wuhai, "30000.00")
    enact_notice(agency, "example-wuhai-2024")

    agency.assess(wuhai, "2024-01", date(2024, 2, 5))

    (assessed,) = [
        e
        for e in agency.ledger.unit_history(wuhai)
        if isinstance(e, Unit.PeriodAssessed) and e.period == "2024-01"
    ]
    lines = {row[0]: row for row in assessed.lines}
    # 5,000.00 within the limits: 7.5% = 375.00, 2% = 100.00 + 5.00 fixed
    assert lines[high] == [high, "5000.00", "375.00", "0.00", "105.00"]
    # 3,000.00 under the floor: assessed at 4,200.00 (315.00, 84.00 + 5.00), declared kept
    assert lines[low] == [low, "4200.00", "315.00", "0.00", "89.00", "3000.00"]
    # 30,000.00 over the ceiling: assessed at 21,000.00 (1,575.00, 420.00 + 5.00)
    assert lines[big] == [big, "21000.00", "1575.00", "0.00", "425.00", "30000.00"]
    assert assessed.limits == ["4200.00", "21000.00"]
    assert assessed.fixed == [["individual", "5.00"]]
    assert assessed.rates.startswith("示例〔2024〕2号 (example, not a real notice) v1")
    assert agency.item(wuhai, "2024-01", Part.individual).assessed == Decimal("619.00")


def test_a_2023_assessment_is_not_changed_by_the_2024_rules(
    history: tuple[Agency, str, str, str, str],
) -> None:
    agency, _, wuhai, high, _ = history
    enact_notice(agency, "example-wuhai-2024")

    agency.assess(wuhai, "2023-04", date(2023, 5, 5))

    (assessed,) = [
        e
        for e in agency.ledger.unit_history(wuhai)
        if isinstance(e, Unit.PeriodAssessed) and e.period == "2023-04"
    ]
    assert {row[0]: row for row in assessed.lines}[high] == [
        high,
        "5000.00",
        "350.00",
        "0.00",
        "100.00",
    ]
    assert (assessed.limits, assessed.fixed) == ([], [])


def test_a_notice_overlapping_an_enacted_one_is_refused_naming_both(
    history: tuple[Agency, str, str, str, str],
) -> None:
    agency, _, _, _, _ = history
    overlapping = notices()["example-2023-deferral"].model_copy(deep=True)
    data = overlapping.model_dump(mode="json")
    data["document"]["id"] = "another-2022-deferral"
    data["automatic_deferral"]["periods"] = "2022-09..2022-12"
    before = agency.high_water()

    with pytest.raises(Conflict) as refused:
        agency.ledger.enact_policy(CatalogueFile.model_validate(data), ACTOR)

    assert "another-2022-deferral" in refused.value.message
    assert "inner-mongolia-2022-19" in refused.value.message
    assert agency.high_water() == before


def test_replaying_the_catalogue_in_force_over_the_years_reproduces_the_record(
    history: tuple[Agency, str, str, str, str],
) -> None:
    agency, _, wuhai, _, _ = history
    enact_notice(agency, "example-2023-deferral")
    enact_notice(agency, "example-wuhai-2024")
    agency.assess(wuhai, "2024-01", date(2024, 2, 5))
    agency.pay(wuhai, "1000.00", date(2024, 2, 10))
    in_force = PolicySet([*load_default_catalogue(), *notices().values()])

    # Every unit replayed whole (the scoped replay would carry both over: nothing differs).
    report = run_replay(agency.ledger, in_force, as_of=date(2024, 12, 31), full=True)

    assert report.units == ()
    assert report.units_compared == 2


def test_a_replay_adding_a_later_deferral_leaves_the_2022_deferral_alone(
    history: tuple[Agency, str, str, str, str],
) -> None:
    """The analyst's what-if that once undid the record: a notice of the 2022 kind for
    2024-01..03 added to the policy set. Only 2024 could differ; nothing of 2022 does."""
    agency = history[0]
    data = notices()["example-2023-deferral"].model_dump(mode="json")
    data["document"]["id"] = "what-if-2024"
    data["automatic_deferral"]["periods"] = "2024-01..2024-03"
    data["automatic_deferral"]["repayment_deadline"] = "2024-12-31"
    data["automatic_deferral"]["late_fee_from"] = "2025-01-01"
    what_if = PolicySet([*load_default_catalogue(), CatalogueFile.model_validate(data)])

    report = run_replay(agency.ledger, what_if, as_of=date(2023, 12, 31))

    assert report.units == ()


def test_a_replay_without_the_2024_file_assesses_the_declared_bases_at_the_old_rates(
    history: tuple[Agency, str, str, str, str],
) -> None:
    """The declared base is the fact a replay records again: without the 2024 limits the
    person declared at 3,000.00 is assessed at 3,000.00. Record: 5,000.00 at 7.5% + 2% +
    5.00 = 480.00 and 4,200.00 held = 404.00, 884.00; reform at 7% + 2%: 450.00 + 270.00."""
    agency, _, wuhai, _, _ = history
    enact_notice(agency, "example-2023-deferral")
    enact_notice(agency, "example-wuhai-2024")
    agency.assess(wuhai, "2024-01", date(2024, 2, 5))
    without_2024 = PolicySet([*load_default_catalogue(), notices()["example-2023-deferral"]])

    report = run_replay(agency.ledger, without_2024, as_of=date(2024, 3, 31))

    (unit,) = report.units
    assert unit.uscc == wuhai
    assert unit.comparison.difference.assessed == Decimal("-164.00")
