"""The ViewStore contract: the same answers from MemoryViewStore, SQLite and PostgreSQL.

The rows of the demo's worked examples and of a few synthetic units (every row
type: registrations, movements of every kind, person lines and reductions,
deferral decisions, audit entries) are appended in pages to each store; each
question is answered from the plain list of rows in the test and must come back
the same, rows equal field for field (Decimal amounts, dates, UTC instants, enums)
and in the order they were appended.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import pytest

from ledger.bootstrap import open_view_store
from ledger.projections.balance_ready import encode, ready_balance
from ledger.projections.journal import (
    AuditEntry,
    DeferralDecision,
    Kind,
    Movement,
    PersonLine,
    PersonReduction,
    Quarantined,
    Row,
    UnitRegistered,
    rows_of,
)
from ledger.projections.sql import SqlViewStore
from ledger.projections.store import MemoryViewStore, ViewStore
from ledger.settings import Settings
from tests.unit.projections.test_runner import filled_ledger

R = TypeVar("R")
PAGE = 40  # events per append


@pytest.fixture(scope="module")
def journal() -> list[tuple[int, list[Row]]]:
    """Each event's rows with its notification id."""
    ledger = filled_ledger(units=6, months=14)
    decode = ledger.mapper.to_domain_event
    return [(n.id, rows_of(decode(n))) for n in ledger.recorder.select_notifications(1, 100_000)]


@pytest.fixture
def rows(journal: list[tuple[int, list[Row]]]) -> list[Row]:
    return [row for _, event_rows in journal for row in event_rows]


@pytest.fixture(
    params=[
        pytest.param("memory"),
        pytest.param("sqlite"),
        pytest.param("postgres", marks=pytest.mark.postgres),
    ]
)
def view_store(
    request: pytest.FixtureRequest, tmp_path: Path, journal: list[tuple[int, list[Row]]]
) -> Iterator[ViewStore]:
    """A store of each kind holding the journal, appended a page of events at a time."""
    store: Any
    if request.param == "memory":
        store = MemoryViewStore()
    elif request.param == "sqlite":
        store = open_view_store(Settings(database_url=f"sqlite:///{tmp_path}/views.db"), None)
    else:
        url: str = request.getfixturevalue("postgres_url")
        schema: str = request.getfixturevalue("pg_schema")
        store = open_view_store(Settings(database_url=url, postgres_schema=schema), None)
    for start in range(0, len(journal), PAGE):
        page = journal[start : start + PAGE]
        store.append([row for _, event_rows in page for row in event_rows], page[-1][0])
    yield store
    if request.param != "memory":
        store.close()


def of(kind: type[R], rows: list[Row]) -> list[R]:
    return [r for r in rows if isinstance(r, kind)]


def test_position_is_that_of_the_last_page(
    view_store: ViewStore, journal: list[tuple[int, list[Row]]]
) -> None:
    assert view_store.position() == journal[-1][0]


def test_units_match_a_region_code_by_its_prefix_and_an_agency(
    view_store: ViewStore, rows: list[Row]
) -> None:
    units = of(UnitRegistered, rows)
    assert {u.region for u in units} >= {"150400", "530900", "150300", "370100"}

    assert view_store.units() == units
    assert view_store.units(region="150000") == [u for u in units if u.region[:2] == "15"]
    assert view_store.units(region="150400") == [u for u in units if u.region[:4] == "1504"]
    assert view_store.units(region="530000", agency="530900001") == [
        u for u in units if u.region[:2] == "53" and u.agency == "530900001"
    ]
    assert view_store.units(region="990000") == []


def test_a_unit_is_found_by_its_uscc(view_store: ViewStore, rows: list[Row]) -> None:
    unit = of(UnitRegistered, rows)[3]

    assert view_store.unit_by_uscc(unit.uscc) == unit
    assert view_store.unit_by_uscc("91110000000000000X") is None


def test_known_at_leaves_out_what_was_recorded_later(
    view_store: ViewStore, rows: list[Row]
) -> None:
    entries = of(AuditEntry, rows)
    cut = entries[len(entries) // 2].recorded_at
    units = of(UnitRegistered, rows)
    ids = [u.unit_id for u in units]

    assert view_store.units(known_at=cut) == [u for u in units if u.recorded_at <= cut]
    assert view_store.movements(ids, known_at=cut) == [
        m for m in of(Movement, rows) if m.recorded_at <= cut
    ]
    assert view_store.person_lines(known_at=cut) == [
        p for p in of(PersonLine, rows) if p.recorded_at <= cut
    ]
    assert view_store.audit(known_at=cut) == sorted(
        (e for e in entries if e.recorded_at <= cut),
        key=lambda e: (e.recorded_at, str(e.originator_id), e.version),
    )
    # the same instant seen from Beijing is the same cut
    beijing = cut.astimezone(timezone(timedelta(hours=8)))
    assert view_store.units(known_at=beijing) == view_store.units(known_at=cut)


def test_movements_of_the_units_asked_for_in_the_order_appended(
    view_store: ViewStore, rows: list[Row]
) -> None:
    units = of(UnitRegistered, rows)
    wanted = {units[0].unit_id, units[5].unit_id}
    movements = of(Movement, rows)
    assert {m.kind for m in movements} >= {"assessed", "paid", "reduced", "deferred", "called_due"}

    expected = [m for m in movements if m.unit_id in wanted]
    assert view_store.movements(wanted) == expected
    assert view_store.movements(iter(wanted)) == expected  # any iterable, even one-shot
    assert view_store.movements(dict.fromkeys(wanted)) == expected
    assert view_store.movements([]) == []


def test_person_lines_by_unit_resident_and_period(view_store: ViewStore, rows: list[Row]) -> None:
    lines = of(PersonLine, rows)
    one = lines[10]
    months = [one.period, one.period + 1]

    assert view_store.person_lines() == lines
    assert view_store.person_lines(unit_ids=[one.unit_id]) == [
        p for p in lines if p.unit_id == one.unit_id
    ]
    assert view_store.person_lines(resident_id=one.resident_id) == [
        p for p in lines if p.resident_id == one.resident_id
    ]
    assert view_store.person_lines(unit_ids=[one.unit_id], periods=months) == [
        p for p in lines if p.unit_id == one.unit_id and p.period in months
    ]
    assert view_store.person_lines(periods=[]) == []
    assert view_store.person_lines(unit_ids=[]) == []


def test_person_lines_keep_odd_identifiers_and_a_base_the_limits_held(
    view_store: ViewStore, rows: list[Row]
) -> None:
    # Lines of one assessment are stored together as arrays: no identifier may read as
    # an array's NULL or break its quoting, and a held base stays beside the base.
    one = of(PersonLine, rows)[0]
    odd = [
        replace(one, resident_id=rid)
        for rid in ("NULL", 'quote"back\\slash', "tab\there", "{brace,comma}", "", "中文")
    ]
    odd.append(replace(one, resident_id="held", declared_base=one.base + Decimal("1234.56")))
    position = view_store.position() + 1
    view_store.append(odd, position)

    assert view_store.person_lines(unit_ids=[one.unit_id])[-len(odd) :] == odd
    for line in odd:
        assert view_store.person_lines(resident_id=line.resident_id) == [line]
    assert view_store.person_lines(resident_id="NUL") == []


def test_person_reductions_by_unit_and_resident(view_store: ViewStore, rows: list[Row]) -> None:
    reductions = of(PersonReduction, rows)
    one = reductions[0]

    assert view_store.person_reductions() == reductions
    assert view_store.person_reductions(unit_ids=[one.unit_id]) == [
        r for r in reductions if r.unit_id == one.unit_id
    ]
    assert view_store.person_reductions(resident_id=one.resident_id) == [
        r for r in reductions if r.resident_id == one.resident_id
    ]


def test_deferral_decisions_of_the_units_asked_for(view_store: ViewStore, rows: list[Row]) -> None:
    decisions = of(DeferralDecision, rows)
    assert {d.outcome for d in decisions} >= {"granted", "shifted"}
    ids = list(dict.fromkeys(d.unit_id for d in decisions))

    assert view_store.deferral_decisions(ids) == decisions
    assert view_store.deferral_decisions(ids[:1]) == [d for d in decisions if d.unit_id == ids[0]]


def test_audit_in_recorded_order_filtered_by_originator_versions_resident_type_and_time(
    view_store: ViewStore, rows: list[Row]
) -> None:
    entries = sorted(
        of(AuditEntry, rows), key=lambda e: (e.recorded_at, str(e.originator_id), e.version)
    )
    unit = of(UnitRegistered, rows)[0].unit_id
    resident = next(e.resident_id for e in entries if e.resident_id)
    since, until = entries[20].recorded_at, entries[60].recorded_at

    assert view_store.audit() == entries
    assert view_store.audit(originator_id=unit) == [e for e in entries if e.originator_id == unit]
    assert view_store.audit(originator_id=unit, versions=[3, 1, 99]) == [
        e for e in entries if e.originator_id == unit and e.version in (1, 3)
    ]
    assert view_store.audit(originator_id=unit, versions=[]) == []
    assert view_store.audit(resident_id=resident) == [
        e for e in entries if e.resident_id == resident
    ]
    assert view_store.audit(types=["PaymentCollected", "ReductionApplied"]) == [
        e for e in entries if e.type in ("PaymentCollected", "ReductionApplied")
    ]
    assert view_store.audit(types=[]) == []
    assert view_store.audit(since=since, until=until) == [
        e for e in entries if since <= e.recorded_at <= until
    ]


def test_an_instant_without_a_time_zone_is_refused(view_store: ViewStore) -> None:
    naive = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=1)

    with pytest.raises(TypeError):
        view_store.units(known_at=naive)


def test_a_balance_kept_ready_is_given_back_until_a_later_movement_of_its_unit_lands(
    view_store: ViewStore, rows: list[Row], journal: list[tuple[int, list[Row]]]
) -> None:
    if isinstance(view_store, MemoryViewStore):
        pytest.skip("lists keep no balance: every read folds")
    moves = of(Movement, rows)
    unit = moves[0].unit_id
    mine = [m for m in moves if m.unit_id == unit]
    kept = ready_balance(mine)
    view_store.keep_ready_balance(unit, kept)
    older = ready_balance([m for m in mine if m.version < kept.through])
    view_store.keep_ready_balance(unit, older)  # a slower read's state never wins

    found, last = view_store.kept_balance(unit)
    later = replace(mine[-1], version=mine[-1].version + 1_000, kind=Kind.paid)
    view_store.append([later], journal[-1][0] + 1)
    stale, now_last = view_store.kept_balance(unit)

    assert found is not None
    assert encode(found) == encode(kept)
    assert last == kept.through
    assert stale is not None
    assert (stale.through, now_last) == (kept.through, later.version)  # the read carries on
    assert view_store.movements_after(unit, kept.through) == [later]
    assert view_store.kept_balance(moves[-1].unit_id)[0] is None  # never kept


def test_a_units_read_in_one_query_answers_as_the_separate_questions(
    view_store: ViewStore, rows: list[Row], journal: list[tuple[int, list[Row]]]
) -> None:
    if not isinstance(view_store, SqlViewStore):
        pytest.skip("one query is the SQL stores' business")
    moves = of(Movement, rows)
    unit = moves[0].unit_id
    mine = [m for m in moves if m.unit_id == unit]
    never = view_store.unit_read(moves[-1].unit_id)
    view_store.keep_ready_balance(unit, ready_balance(mine))

    first = view_store.unit_read(unit, [("SELECT ? + 1", [41])])
    again = view_store.unit_read(unit)  # the state this process decoded, not sent again
    kept, last = view_store.kept_balance(unit)
    later = replace(mine[-1], version=mine[-1].version + 1_000, kind=Kind.paid)
    view_store.append([later], journal[-1][0] + 1)
    view_store.keep_ready_balance(unit, ready_balance([*mine, later]))
    moved = view_store.unit_read(unit)
    set_aside = Quarantined(unit, later.version + 1, "ledger.domain.unit:Unit.Paid", "bad: x")
    view_store.append([set_aside], journal[-1][0] + 2)
    damaged = view_store.unit_read(unit)

    assert (never.kept, never.damaged) == (None, False)
    assert first.beside == (42,)
    assert first.position == journal[-1][0] == again.position
    assert first.kept is not None
    assert kept is not None
    assert encode(first.kept) == encode(kept)
    assert (first.last, first.damaged) == (last, False)
    assert again.kept is first.kept
    assert moved.kept is not None
    assert (moved.kept.through, moved.last, moved.position) == (
        later.version,
        later.version,
        journal[-1][0] + 1,
    )
    assert damaged.damaged
    assert not view_store.unit_read(moves[-1].unit_id).damaged


def test_emptying_the_views_drops_the_balances_kept(view_store: ViewStore, rows: list[Row]) -> None:
    if isinstance(view_store, MemoryViewStore):
        pytest.skip("lists keep no balance: every read folds")
    unit = of(Movement, rows)[0].unit_id
    view_store.keep_ready_balance(
        unit, ready_balance([m for m in of(Movement, rows) if m.unit_id == unit])
    )
    assert isinstance(view_store, SqlViewStore)

    view_store.clear()

    assert view_store.kept_balance(unit)[0] is None


def test_a_read_leaves_the_balance_unkept_while_sqlite_is_locked_by_a_writer(
    tmp_path: Path, rows: list[Row]
) -> None:
    store = open_view_store(Settings(database_url=f"sqlite:///{tmp_path}/views.db"), None)
    moves = of(Movement, rows)
    unit = moves[0].unit_id
    state = ready_balance([m for m in moves if m.unit_id == unit])
    store.append(moves, 1)
    writer = sqlite3.connect(tmp_path / "views.db", isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # a page or a command being written
        store.keep_ready_balance(unit, state)  # gives up at once instead of waiting
        writer.execute("ROLLBACK")
        unkept = store.kept_balance(unit)[0]
        store.keep_ready_balance(unit, state)

        assert unkept is None
        assert store.kept_balance(unit)[0] is not None
    finally:
        writer.close()
        store.close()
