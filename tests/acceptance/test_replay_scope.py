"""Replay in proportion to what changes (issue 11, item 4): the scoped replay, which
carries over the units and the parts of histories no changed document reaches and
reuses assessments whose rules are unchanged, gives the very report of the full replay
(every unit replayed whole, every assessment recomputed), on SQLite and PostgreSQL; and
so does a replay spread over worker processes.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ledger.application import Actor
from ledger.catalogue.loader import load_default_catalogue, parse_catalogue_file
from ledger.catalogue.policyset import PolicySet
from ledger.domain.unit import Unit
from ledger.replay import ReplayReport, render, run_replay, scratch
from ledger.replay.scope import compare
from ledger.replay.scratch import ScratchLedger
from tests.acceptance.conftest import ACTOR, CHIFENG, JINAN, LINCANG, WUHAI, Agency
from tests.acceptance.test_replay import EXAMPLES, chifeng_2020, example, wuhai_2022

AS_OF = date(2023, 8, 31)


def varied_history(agency: Agency) -> str:
    """Four regions, 2020 to 2023: Chifeng's 2020 reduction (enacted after February was
    paid), a Chifeng unit of 2021 only, Wuhai's 2022 deferral (an SME, and a unit whose
    history ends before the window), a Lincang unit of 2020 and a Jinan unit of 2022.
    Returns the Wuhai SME's USCC."""
    chifeng_2020(agency)
    agency.enact_catalogue()
    sme = wuhai_2022(agency, fund_months=10)
    later = agency.unit(CHIFENG)
    agency.person(later, "8000.00")
    for month in (3, 4, 5):
        agency.assess(later, f"2021-{month:02d}", date(2021, month + 1, 5))
    agency.pay(later, "1440.00", date(2021, 6, 30))
    early = agency.unit(WUHAI)
    agency.person(early, "6000.00")
    agency.assess(early, "2022-02", date(2022, 3, 5))
    agency.pay(early, "540.00", date(2022, 3, 10))
    agency.region(LINCANG)
    lincang = agency.unit(LINCANG)
    agency.person(lincang, "5000.00")
    for month in (1, 2, 3):
        agency.assess(lincang, f"2020-{month:02d}", date(2020, month + 1, 5))
    agency.pay(lincang, "500.00", date(2020, 4, 20))
    agency.region(JINAN)
    jinan = agency.unit(JINAN, size_class="small")
    agency.person(jinan, "7000.00")
    for month in (6, 7, 8):
        agency.assess(jinan, f"2022-{month:02d}", date(2022, month + 1, 5))
    return sme


def catalogue_with(*extra: Path, but: tuple[str, ...] = ()) -> PolicySet:
    """The packaged catalogue with documents added (files) or left out (ids)."""
    files = [f for f in load_default_catalogue() if f.document.id not in but]
    files += [parse_catalogue_file(path.read_text("utf-8"), path.name) for path in extra]
    return PolicySet(files)


def jinan_rates_raised() -> PolicySet:
    """The operator's locality file, version 2, with Jinan's unit medical rate at 9%."""
    files = load_default_catalogue()
    locality = next(f for f in files if f.document.id == "locality")
    rates = tuple(
        r.model_copy(update={"unit_medical": Decimal("0.09")}) if r.region == "3701" else r
        for r in locality.rates
    )
    v2 = locality.model_copy(
        update={"document": locality.document.model_copy(update={"version": 2}), "rates": rates}
    )
    return PolicySet([v2 if f is locality else f for f in files])


REFORMS = {
    "chifeng-whole-7-percent": lambda: example("chifeng-whole-7-percent"),
    "deadline-2022-12-31": lambda: example("deadline-2022-12-31"),
    "fund-months-above-3": lambda: example("fund-months-above-3"),
    "the record's own catalogue": lambda: catalogue_with(),
    "a 2023 deferral and Wuhai's 2024 rates added": lambda: catalogue_with(
        EXAMPLES / "notices" / "example-2023-deferral.toml",
        EXAMPLES / "notices" / "example-wuhai-2024.toml",
    ),
    "Chifeng's reduction left out": lambda: catalogue_with(but=("chifeng-2020-3",)),
    "Jinan's rate raised in the locality file": jinan_rates_raised,
}


def replay(agency: Agency, reform: PolicySet, **options: object) -> tuple[ReplayReport, int]:
    counts: list[int] = []
    report = run_replay(
        agency.ledger,
        reform,
        as_of=AS_OF,
        counted=lambda compared, replayed: counts.append(replayed),
        **options,  # type: ignore[arg-type]
    )
    return report, counts[0]


@pytest.mark.parametrize("name", list(REFORMS))
def test_a_scoped_replay_reports_exactly_what_replaying_every_unit_reports(
    bare_agency: Agency, name: str
) -> None:
    varied_history(bare_agency)
    reform = REFORMS[name]()

    scoped, replayed = replay(bare_agency, reform)
    full, replayed_full = replay(bare_agency, reform, full=True)

    assert render(scoped, "json") == render(full, "json")
    assert replayed_full == full.units_compared == 6
    assert replayed < replayed_full


@pytest.mark.parametrize("name", ["deadline-2022-12-31", "fund-months-above-3"])
def test_with_known_at_the_scoped_replay_reports_what_the_full_one_reports(
    bare_agency: Agency, name: str
) -> None:
    sme = varied_history(bare_agency)
    # before the Wuhai SME's 2,100.00 repayment (and the units registered after it)
    cut = bare_agency.ledger.unit_history(sme)[-2].timestamp
    reform = REFORMS[name]()

    scoped, _ = replay(bare_agency, reform, known_at=cut)
    full, _ = replay(bare_agency, reform, known_at=cut, full=True)

    assert render(scoped, "json") == render(full, "json")
    assert scoped.units_compared < 6  # units registered after the cut are not known


def test_the_record_s_own_catalogue_replays_no_unit_and_differs_nowhere(
    bare_agency: Agency,
) -> None:
    varied_history(bare_agency)

    report, replayed = replay(bare_agency, catalogue_with())

    assert replayed == 0
    assert report.units == ()
    assert not report.total.difference


def test_only_the_regions_and_units_a_changed_document_reaches_are_replayed(
    bare_agency: Agency,
) -> None:
    varied_history(bare_agency)

    # 内医保办发〔2022〕19号 v2 changes the deferral's deadline only: it reaches the units
    # the notice decided on (the Wuhai SME, from its classification) and facts dated
    # between the two deadlines (none here); not the 2020 Chifeng unit, though registered
    # before the notice's enactment (dated 2022-07-28: both versions decide alike then),
    # nor the Wuhai unit of February 2022, nor any unit elsewhere.
    _, deadline = replay(bare_agency, example("deadline-2022-12-31"))
    # 赤医保发〔2020〕3号 rules on Chifeng from 2020-02: both Chifeng units.
    _, chifeng = replay(bare_agency, example("chifeng-whole-7-percent"))

    assert (deadline, chifeng) == (1, 2)


def deadline_moved_to(deadline: date) -> PolicySet:
    """The packaged catalogue with 内医保办发〔2022〕19号 v2 repaid by ``deadline``."""
    files = load_default_catalogue()
    notice = next(f for f in files if f.document.id == "inner-mongolia-2022-19")
    assert notice.automatic_deferral is not None
    v2 = notice.model_copy(
        update={
            "document": notice.document.model_copy(update={"version": 2}),
            "automatic_deferral": notice.automatic_deferral.model_copy(
                update={
                    "repayment_deadline": deadline,
                    "late_fee_from": deadline + timedelta(days=1),
                }
            ),
        }
    )
    return PolicySet([v2 if f is notice else f for f in files])


@pytest.mark.parametrize(
    ("deadline", "expected"),
    [(date(2022, 12, 31), 3), (date(2023, 12, 31), 5)],
    ids=["earlier", "later"],
)
def test_a_moved_deadline_reaches_the_units_it_decided_on_and_facts_it_newly_decides(
    bare_agency: Agency, deadline: date, expected: int
) -> None:
    """Wuhai, fund months 10, the record's deadline 2023-06-30: an SME classified in
    July 2022 (granted), a large enterprise (refused: a decision naming the notice), an
    SME classified on 2023-03-01 and assessed for 2022-07..09 on 2023-03-05 (granted by
    the record, not under 2022-12-31), an SME classified and assessed in August 2023
    (after the record's deadline: never decided; granted under 2023-12-31), an
    unclassified unit and an SME set up in August 2023 (never decided on, under any).

    Moved earlier, the reach is the three units the record decided on; moved later, also
    the two units with facts dated after 2023-06-30 and by 2023-12-31."""
    bare_agency.enact_catalogue()
    bare_agency.region(WUHAI, fund_months=10)
    granted = bare_agency.unit(WUHAI, size_class="small")
    refused = bare_agency.unit(WUHAI, size_class="large")
    late = bare_agency.unit(WUHAI)
    bare_agency.classify(late, "small", on=date(2023, 3, 1))
    later = bare_agency.unit(WUHAI)
    bare_agency.classify(later, "small", on=date(2023, 8, 1))
    never = bare_agency.unit(WUHAI)
    after = bare_agency.unit(
        WUHAI, size_class="small", established_on=date(2023, 8, 1), classified_on=date(2023, 8, 2)
    )
    for uscc in (granted, refused, late, later, never, after):
        bare_agency.person(uscc, "10000.00")
    assessed_on = {late: date(2023, 3, 5), later: date(2023, 8, 5)}
    for uscc in (granted, refused, late, later, never):
        for month in (7, 8, 9):
            on = assessed_on.get(uscc, date(2022, month + 1, 5))
            bare_agency.assess(uscc, f"2022-{month:02d}", on)
    bare_agency.assess(after, "2023-08", date(2023, 9, 5))
    reform = deadline_moved_to(deadline)

    scoped, replayed = replay(bare_agency, reform)
    full, _ = replay(bare_agency, reform, full=True)

    assert render(scoped, "json") == render(full, "json")
    assert replayed == expected
    deferred = {u.uscc: u.comparison for u in scoped.units}
    if deadline < date(2023, 6, 30):
        # assessed on 2023-03-05: inside the record's window only
        assert deferred[late].baseline.deferred == Decimal("2100.00")
        assert deferred[late].reform.deferred == Decimal("0.00")
    else:
        # assessed on 2023-08-05: inside the reform's window only
        assert deferred[later].baseline.deferred == Decimal("0.00")
        assert deferred[later].reform.deferred == Decimal("2100.00")


def test_a_locality_file_with_one_regions_rates_changed_reaches_that_region_only(
    bare_agency: Agency,
) -> None:
    varied_history(bare_agency)

    report, replayed = replay(bare_agency, jinan_rates_raised())

    # The locality file rules on every region (due days, rates, local values); only its
    # Jinan rates differ: the Jinan unit is replayed, 1% more on 7,000.00 a month.
    assert replayed == 1
    (line,) = report.units
    assert line.region == JINAN
    assert line.comparison.difference.assessed == 3 * Decimal("70.00")


def test_an_assessment_whose_rules_the_reform_leaves_alone_is_reused_not_recomputed(
    bare_agency: Agency, monkeypatch: pytest.MonkeyPatch
) -> None:
    varied_history(bare_agency)
    reused: list[str] = []
    original = scratch._reuse_assessment

    def counting(s: ScratchLedger, unit: Unit, e: Any, actor: Actor) -> None:
        reused.append(e.period)
        original(s, unit, e, actor)

    monkeypatch.setattr(scratch, "_reuse_assessment", counting)

    # The deadline moves; the rates, due dates and limits of Wuhai's 2022 months do not:
    # the SME's three months are reused (their lines as recorded, decisions made again).
    replay(bare_agency, example("deadline-2022-12-31"))
    assert reused == ["2022-07", "2022-08", "2022-09"]
    # The full replay recomputes every line.
    reused.clear()
    replay(bare_agency, example("deadline-2022-12-31"), full=True)
    assert reused == []


def test_the_comparison_names_the_documents_that_differ_and_why(bare_agency: Agency) -> None:
    varied_history(bare_agency)
    reform = catalogue_with(
        EXAMPLES / "notices" / "example-2023-deferral.toml", but=("chifeng-2020-3",)
    )
    reform = reform.with_file(example("deadline-2022-12-31").files["inner-mongolia-2022-19"])

    scope = compare(bare_agency.ledger, reform, None)

    assert scope.changed == {
        "chifeng-2020-3": "not in the policy set",
        "example-2023-deferral": "new to the record",
        "inner-mongolia-2022-19": "content differs",
    }


def test_an_amended_document_is_replayed_even_where_the_set_holds_its_last_version(
    bare_agency: Agency,
) -> None:
    chifeng_2020(bare_agency)
    amended = load_default_catalogue()
    chifeng = next(f for f in amended if f.document.id == "chifeng-2020-3")
    assert chifeng.reduction is not None
    v2 = chifeng.model_copy(
        update={
            "document": chifeng.document.model_copy(update={"version": 2}),
            "reduction": chifeng.reduction.model_copy(update={"fraction": Decimal("0.4")}),
        }
    )
    bare_agency.ledger.enact_policy(v2, ACTOR)
    reform = catalogue_with().with_file(v2)

    assert compare(bare_agency.ledger, reform, None).changed["chifeng-2020-3"] == (
        "amended or revoked in the record"
    )
    scoped, replayed = replay(bare_agency, reform)
    full, _ = replay(bare_agency, reform, full=True)
    assert replayed == 1
    assert render(scoped, "json") == render(full, "json")


@pytest.mark.parametrize("name", ["deadline-2022-12-31", "chifeng-whole-7-percent"])
def test_worker_processes_give_the_report_of_one_process(bare_agency: Agency, name: str) -> None:
    varied_history(bare_agency)
    reform = REFORMS[name]()

    alone, _ = replay(bare_agency, reform, workers=1, batch=2)
    spread, _ = replay(bare_agency, reform, workers=2, batch=2)

    for fmt in ("json", "csv"):
        assert render(spread, fmt) == render(alone, fmt)
    assert spread.units_compared == 6
