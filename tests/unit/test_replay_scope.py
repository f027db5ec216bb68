"""What a changed document reaches (no I/O): the days an event names, the claims two
versions of a document differ in, and the finer reach of a deferral's deadline."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

from ledger.catalogue.claims import Claim
from ledger.catalogue.loader import load_default_catalogue
from ledger.catalogue.model import CatalogueFile
from ledger.replay import load_policy_set
from ledger.replay.scope import (
    Span,
    _claims_changed,
    _consequences_only,
    days_named,
    touches,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CATALOGUE = {f.document.id: f for f in load_default_catalogue()}
NOTICE = CATALOGUE["inner-mongolia-2022-19"]
EVERYONE: list[Claim] = []  # no other document contests the claims compared here


def test_an_event_names_its_dates_periods_and_ranges_but_not_its_instant_or_lines() -> None:
    event = SimpleNamespace(
        timestamp=datetime(2024, 5, 1, tzinfo=UTC),
        paid_on=date(2023, 1, 10),
        allocations=[["2022-08", "unit_medical", "700.00"]],
        periods="2022-07..2022-09",
        lines=[["150302198001010011", "1999-12", "1.00"]],
        uscc="91150300MA0000001X",
        amount=Decimal("700.00"),
    )

    assert sorted(days_named(event)) == [
        (date(2022, 7, 1), date(2022, 9, 30)),
        (date(2022, 8, 1), date(2022, 8, 31)),
        (date(2023, 1, 10), date(2023, 1, 10)),
    ]
    assert touches(event, [Span("15", date(2022, 9, 30), None)])
    assert not touches(event, [Span("15", date(2023, 1, 11), date(2023, 6, 30))])
    assert not touches(event, [])


def test_a_locality_file_with_one_regions_rates_changed_differs_in_that_entry_only() -> None:
    locality = CATALOGUE["locality"]
    rates = tuple(
        r.model_copy(update={"individual": Decimal("0.03")}) if r.region == "3701" else r
        for r in locality.rates
    )
    v2 = _version_2(locality, rates=rates)

    changed = _claims_changed(locality, v2, EVERYONE)

    assert {(c.kind, c.region, c.start, c.document.version) for c in changed} == {
        ("rates", "3701", date(2022, 1, 1), 1),
        ("rates", "3701", date(2022, 1, 1), 2),
    }


def test_a_document_issued_on_another_day_differs_in_every_claim() -> None:
    v2 = NOTICE.model_copy(
        update={"document": NOTICE.document.model_copy(update={"issued_on": date(2022, 6, 1)})}
    )

    changed = _claims_changed(NOTICE, v2, EVERYONE)

    assert {c.kind for c in changed} == {"automatic_deferral", "commitment"}
    assert _consequences_only(NOTICE, v2, changed) is None


def test_a_deadline_moved_earlier_decides_no_fact_anew() -> None:
    earlier = load_policy_set(EXAMPLES / "deadline-2022-12-31").files["inner-mongolia-2022-19"]
    changed = _claims_changed(NOTICE, earlier, EVERYONE)

    days = _consequences_only(NOTICE, earlier, changed)

    assert {c.kind for c in changed} == {"automatic_deferral"}  # the commitment is alike
    assert days is not None
    assert days[0] > days[1]  # no days: the record's 2023-06-30 is the later deadline


def test_a_deadline_moved_later_decides_anew_the_facts_dated_in_the_days_it_adds() -> None:
    later = load_policy_set(EXAMPLES / "deadline-2022-12-31").files["inner-mongolia-2022-19"]
    changed = _claims_changed(later, NOTICE, EVERYONE)

    # the record holds 2022-12-31, the reform 2023-06-30
    assert _consequences_only(later, NOTICE, changed) == (date(2023, 1, 1), date(2023, 6, 30))


def test_a_changed_threshold_is_no_consequence_of_a_grant() -> None:
    assert NOTICE.automatic_deferral is not None
    lower = _version_2(
        NOTICE,
        automatic_deferral=NOTICE.automatic_deferral.model_copy(update={"fund_months_above": 3}),
    )

    assert _consequences_only(NOTICE, lower, _claims_changed(NOTICE, lower, EVERYONE)) is None


def _version_2(file: CatalogueFile, **update: object) -> CatalogueFile:
    document = file.document.model_copy(update={"version": 2})
    return file.model_copy(update={"document": document, **update})
