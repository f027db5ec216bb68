"""The runner on SQLite and PostgreSQL: the views hold what the fold says, exactly once."""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import Notification

from ledger.application import Actor, Ledger
from ledger.bootstrap import build_ledger, open_view_store
from ledger.clocks import ReadClocks
from ledger.domain.errors import Unavailable
from ledger.domain.region import unit_id
from ledger.domain.unit import Unit
from ledger.projections import postgres_store, runner
from ledger.projections.reading import page_reader
from ledger.projections.rights import RightsRecord, rights_record
from ledger.projections.schema import TABLES
from ledger.projections.sql import PositionMoved, SqlViewStore
from ledger.projections.store import MemoryViewStore, ViewStore
from ledger.settings import Settings
from tests.conftest import StoreConfig
from tests.integration.conftest import demo_and_history, settings_of

ACTOR = Actor("case-worker:runner", "runner test", "req-runner")


@pytest.fixture
def settings(store: StoreConfig) -> Settings:
    return settings_of(store)


@pytest.fixture
def ledger(settings: Settings) -> Iterator[Ledger]:
    ledger = demo_and_history(settings, units=8, months=8)
    yield ledger
    ledger.close()


@pytest.fixture
def views(settings: Settings, ledger: Ledger) -> Iterator[SqlViewStore]:
    store = open_view_store(settings, ledger)
    yield store
    store.close()


def everything(store: ViewStore) -> dict[str, list[Any]]:
    """Every row the store holds, through its reads."""
    ids = [u.unit_id for u in store.units()]
    return {
        "units": store.units(),
        "movements": store.movements(ids),
        "person_lines": store.person_lines(),
        "person_reductions": store.person_reductions(),
        "deferral_decisions": store.deferral_decisions(ids),
        "audit": store.audit(),
    }


def test_a_rebuild_holds_what_the_fold_over_the_log_holds(
    ledger: Ledger, views: SqlViewStore
) -> None:
    memory = MemoryViewStore()
    runner.catch_up(ledger, memory)

    applied = runner.rebuild(ledger, views, page_size=300)

    assert applied == ledger.recorder.max_notification_id() == views.position()
    assert everything(views) == everything(memory)
    assert runner.catch_up(ledger, views) == 0


def test_a_rebuild_commits_its_pages_without_waiting_for_the_disk_and_a_catch_up_waits(
    ledger: Ledger, views: SqlViewStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    flags: list[bool] = []
    write = views.write

    def spy(page: Any, position: int, *, after: int | None = None, durable: bool = True) -> None:
        flags.append(durable)
        write(page, position, after=after, durable=durable)

    monkeypatch.setattr(views, "write", spy)
    memory = MemoryViewStore()
    runner.catch_up(ledger, memory)

    runner.rebuild(ledger, views, page_size=50)
    rebuilt = len(flags)
    views.clear()
    runner.catch_up(ledger, views, page_size=50)

    assert rebuilt > 1
    assert flags == [False] * rebuilt + [True] * rebuilt
    assert everything(views) == everything(memory)


def test_a_persons_rights_record_is_the_same_after_a_rebuild_as_after_catching_up(
    ledger: Ledger, views: SqlViewStore
) -> None:
    # Catching up in small pages, with events recorded between two catch-ups, writes
    # the indexes row by row; a rebuild drops them and builds them at the end.
    runner.catch_up(ledger, views, page_size=53)
    ledger.register_region("110100", "北京市", "110000", ACTOR)
    runner.catch_up(ledger, views, page_size=7)
    memory = MemoryViewStore()
    runner.catch_up(ledger, memory)
    persons = sorted({line.resident_id for line in memory.person_lines()})
    assert len(persons) > 20
    caught_up = records(views, persons, ledger)

    runner.rebuild(ledger, views, page_size=300)

    assert records(views, persons, ledger) == caught_up
    assert records(memory, persons, ledger) == caught_up  # the reference store


EARLIER_LAYOUTS = {
    # the per-person table of the layout before person lines were kept by assessment
    "a row per person": "CREATE TABLE {} (position BIGINT, ordinal INTEGER)",
    # person lines' amounts in yuan, before whole fen (the columns had no suffix)
    "amounts in yuan": "ALTER TABLE {} RENAME COLUMN bases_fen TO bases",
}


@pytest.mark.parametrize("layout", EARLIER_LAYOUTS)
def test_views_of_an_earlier_layout_are_emptied_when_opened_and_refilled(
    ledger: Ledger, views: SqlViewStore, settings: Settings, layout: str
) -> None:
    runner.catch_up(ledger, views)
    filled = everything(views)
    assert views.position() > 0
    views.close()
    table = "view_person_lines" if layout == "a row per person" else "view_assessed_lines"
    execute(settings, EARLIER_LAYOUTS[layout], table)

    reopened = open_view_store(settings, ledger)
    try:
        assert reopened.position() == 0
        assert reopened.audit() == []
        assert "view_person_lines" not in table_names(settings)
        assert {"bases_fen", "declared_bases_fen"} <= column_names(settings, "view_assessed_lines")
        runner.catch_up(ledger, reopened)
        assert everything(reopened) == filled
    finally:
        reopened.close()


def test_views_of_an_earlier_layout_still_read_by_another_process_are_not_reset_but_refused(
    ledger: Ledger, views: SqlViewStore, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    if settings.store_kind == "sqlite":
        pytest.skip("SQLite's reset takes the file's write lock, with its own timeout")
    runner.catch_up(ledger, views)
    views.close()
    execute(settings, EARLIER_LAYOUTS["amounts in yuan"], "view_assessed_lines")
    monkeypatch.setattr(postgres_store, "RESET_LOCK_TIMEOUT", "200ms")
    table = f'"{settings.postgres_schema}".view_assessed_lines'
    with psycopg.connect(settings.database_url) as reader:  # an earlier version's read
        reader.execute(f"SELECT 1 FROM {table} LIMIT 1")
        # a reset waiting without bound would fail this test after 10 s, not hang it
        release = threading.Timer(10, reader.rollback)
        release.start()
        with pytest.raises(Unavailable, match="earlier layout and another process"):
            open_view_store(settings, ledger)
        release.cancel()
        # nothing reset: the earlier layout's rows are as they were
        assert "bases" in column_names(settings, "view_assessed_lines")
        reader.rollback()

    reopened = open_view_store(settings, ledger)
    try:
        assert reopened.position() == 0
        assert "bases_fen" in column_names(settings, "view_assessed_lines")
    finally:
        reopened.close()


def array_statistics(settings: Settings) -> dict[str, tuple[int, str]]:
    """Each array column's statistics target and the xmin of its catalog row (which an
    ALTER TABLE changes even when it sets what was set)."""
    with psycopg.connect(settings.database_url) as pg:
        rows = pg.execute(
            "SELECT c.relname || '.' || a.attname, a.attstattarget, a.xmin::text "
            "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relname = 'view_assessed_lines' "
            "AND a.atttypid IN ('text[]'::regtype, 'int8[]'::regtype)",
            (settings.postgres_schema,),
        ).fetchall()
    return {name: (target, xmin) for name, target, xmin in rows}


def test_postgres_keeps_no_statistics_on_the_arrays_and_sets_that_once(
    store: StoreConfig, settings: Settings, views: SqlViewStore
) -> None:
    if store.kind != "postgres":
        pytest.skip("SQLite has no statistics targets")
    first = array_statistics(settings)

    open_view_store(settings, None).close()  # opened again: an ALTER TABLE would wait behind
    # an index being built

    assert len(first) == 6  # resident IDs, bases, three parts, declared bases
    assert {target for target, _ in first.values()} == {0}
    assert array_statistics(settings) == first


def resident_ids_collation(settings: Settings) -> str:
    with psycopg.connect(settings.database_url) as pg:
        row = pg.execute(
            "SELECT a.attcollation::regcollation::text FROM pg_attribute a "
            "JOIN pg_class c ON c.oid = a.attrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relname = 'view_assessed_lines' "
            "AND a.attname = 'resident_ids'",
            (settings.postgres_schema,),
        ).fetchone()
    assert row is not None
    return str(row[0])


def test_postgres_compares_resident_ids_byte_wise_also_in_views_made_before_once_rebuilt(
    store: StoreConfig, settings: Settings, ledger: Ledger, views: SqlViewStore
) -> None:
    # byte order: the GIN index of resident IDs builds faster than under the database's
    # collation, and finds the same lines
    if store.kind != "postgres":
        pytest.skip("SQLite keeps resident IDs as JSON text")
    runner.catch_up(ledger, views)
    memory = MemoryViewStore()
    runner.catch_up(ledger, memory)
    persons = sorted({line.resident_id for line in memory.person_lines()})
    before = records(views, persons, ledger)
    assert resident_ids_collation(settings) == '"C"'
    views.clear()  # as made before the views collated them: the database's collation
    execute(
        settings,
        'ALTER TABLE {} ALTER COLUMN resident_ids TYPE text[] COLLATE "default"',
        "view_assessed_lines",
    )
    assert resident_ids_collation(settings) == '"default"'

    runner.rebuild(ledger, views)

    assert resident_ids_collation(settings) == '"C"'
    assert records(views, persons, ledger) == before


def test_the_runner_reads_the_log_as_the_library_does(ledger: Ledger) -> None:
    # PostgreSQL: its own query, in binary (see projections/reading.py)
    read = page_reader(ledger.recorder)
    last = ledger.recorder.max_notification_id() or 0
    assert last > 200

    for start, limit in [(1, 10_000), (1, 1), (137, 50), (last, 5), (last + 1, 5)]:
        library = ledger.recorder.select_notifications(start, limit)
        ours = read(start, limit)
        assert [fields(n) for n in ours] == [fields(n) for n in library], (start, limit)
        # PostgreSQL's rows bring the UUID's text too, as str() writes it
        texts = [getattr(n, "originator_text", str(n.originator_id)) for n in ours]
        assert texts == [str(n.originator_id) for n in library]
        assert [ledger.mapper.to_domain_event(n) for n in ours[:20]] == [
            ledger.mapper.to_domain_event(n) for n in library[:20]
        ]


def fields(n: Notification) -> tuple[Any, ...]:
    return (n.id, n.originator_id, n.originator_version, n.topic, bytes(n.state))


def test_the_views_know_each_aggregates_last_version_and_nothing_of_one_never_seen(
    ledger: Ledger, views: SqlViewStore
) -> None:
    """What a catch-up asks before it applies a page: each aggregate's last version the
    views hold (its audit entries), found one aggregate at a time from the index's end."""
    runner.catch_up(ledger, views)
    units = [u.unit_id for u in views.units()][:5]
    expected: dict[uuid.UUID, int] = {u: ledger.repository.get(u).version for u in units}
    never = uuid.uuid4()

    found = views.last_versions([*units, never, units[0]])

    assert found == expected
    assert min(expected.values()) > 1


def test_a_second_rebuild_starts_from_nothing(ledger: Ledger, views: SqlViewStore) -> None:
    runner.rebuild(ledger, views)
    first = everything(views)

    runner.rebuild(ledger, views, page_size=77)

    assert everything(views) == first


def test_catching_up_applies_only_the_events_recorded_since(
    ledger: Ledger, views: SqlViewStore
) -> None:
    runner.catch_up(ledger, views)
    before = views.position()
    ledger.register_region("110100", "北京市", "110000", ACTOR)

    applied = runner.catch_up(ledger, views)

    assert applied == 2  # the region and its index entry
    assert views.position() > before
    assert len(views.audit()) == len(ledger.recorder.select_notifications(1, 1_000_000))


def test_a_page_read_before_another_runner_moved_the_position_is_refused(
    ledger: Ledger, views: SqlViewStore, settings: Settings
) -> None:
    other = open_view_store(settings, ledger)
    runner.catch_up(ledger, other, page_size=100)
    other.close()
    audit_before = len(views.audit())
    page = views.new_page()
    page.add_rows(1, [])

    with pytest.raises(PositionMoved, match="another runner"):
        views.write(page, 1, after=0)

    assert len(views.audit()) == audit_before
    assert views.position() == ledger.recorder.max_notification_id()


def test_a_runner_waits_for_the_page_another_is_writing_then_is_refused(
    ledger: Ledger, views: SqlViewStore, settings: Settings
) -> None:
    failure: list[BaseException] = []
    page = views.new_page()
    page.add_rows(1, [])

    def write() -> None:
        try:
            views.write(page, 1, after=0)
        except BaseException as exc:
            failure.append(exc)

    with holding_the_tracking_row(settings) as move_to:
        writer = threading.Thread(target=write)
        writer.start()
        time.sleep(0.3)
        assert writer.is_alive()  # waiting for the other runner's transaction
        move_to(50)
    writer.join(10)

    assert [type(e) for e in failure] == [PositionMoved]
    assert views.position() == 50


def test_a_position_written_twice_is_refused_and_writes_nothing(
    ledger: Ledger, views: SqlViewStore
) -> None:
    decode = ledger.mapper.to_domain_event
    notifications = ledger.recorder.select_notifications(1, 10)
    page = views.new_page()
    for n in notifications:
        page.add_event(n.id, decode(n))
    views.write(page, notifications[-1].id)

    with pytest.raises((sqlite3.IntegrityError, psycopg.errors.UniqueViolation)):
        views.write(page, notifications[-1].id)  # unguarded: only the keys stop it

    assert len(views.audit()) == 10


def test_a_rebuild_takes_each_aggregates_last_version_from_its_own_pages_not_the_views(
    ledger: Ledger, views: SqlViewStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # on PostgreSQL the audit's unique index that a look-up would use is dropped while a
    # rebuild fills the views: a look-up per page would scan the table
    runner.rebuild(ledger, views, page_size=7)
    expected = views.audit()
    looked_up: list[Any] = []

    def last_versions(ids: Any) -> dict[Any, int]:
        looked_up.append(list(ids))
        return {}

    monkeypatch.setattr(views, "last_versions", last_versions)

    runner.rebuild(ledger, views, page_size=7)

    assert views.audit() == expected
    assert looked_up == []


def test_a_rebuild_by_processes_is_refused_on_sqlite_before_the_views_are_emptied(
    ledger: Ledger, views: SqlViewStore, settings: Settings
) -> None:
    if settings.store_kind != "sqlite":
        pytest.skip("PostgreSQL's rebuild by processes: test_rebuild_ranges")
    runner.catch_up(ledger, views)
    position = views.position()

    def never(store: Any, *, page_size: int, last: int, progress: Any, details: bool) -> Any:
        raise AssertionError("called")

    with pytest.raises(ValueError, match="PostgreSQL only"):
        runner.rebuild(ledger, views, in_processes=never)

    assert views.position() == position > 0


def test_a_rebuild_leaves_the_read_indexes_in_place(
    ledger: Ledger, views: SqlViewStore, settings: Settings
) -> None:
    runner.rebuild(ledger, views)

    # a person's lines: the GIN index on the array of IDs, or SQLite's side table
    person = (
        "view_person_index_resident_id_idx"
        if settings.store_kind == "sqlite"
        else "view_assessed_lines_resident_ids_idx"
    )
    assert person in index_names(settings)
    assert "view_audit_recorded_at_idx" in index_names(settings)


#: the audit's unique index on (originator_id, version): an event is in the views once
AUDIT_GUARD = "view_audit_originator_id_version_idx"


def keyless_tables(settings: Settings) -> set[str]:
    """PostgreSQL's view tables without a primary key."""
    with psycopg.connect(settings.database_url) as pg:
        rows = pg.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind = 'r' AND c.relname LIKE 'view%%' "
            "AND c.relname NOT IN ('view_tracking', 'view_balance_ready') AND NOT EXISTS ("
            "SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p')",
            (settings.postgres_schema,),
        ).fetchall()
    return {name for (name,) in rows}


def write_a_page_twice(ledger: Ledger, views: SqlViewStore) -> None:
    decode = ledger.mapper.to_domain_event
    notifications = ledger.recorder.select_notifications(1, 10)
    page = views.new_page()
    for n in notifications:
        page.add_event(n.id, decode(n))
    views.write(page, notifications[-1].id, after=views.position())
    views.write(page, notifications[-1].id)  # unguarded: only the keys stop it


def test_postgres_fills_the_views_of_a_rebuild_without_their_keys_and_builds_them_after(
    ledger: Ledger, views: SqlViewStore, settings: Settings
) -> None:
    if settings.store_kind == "sqlite":
        pytest.skip("SQLite keeps its rows in key order: the key is the table")
    views.clear()
    assert keyless_tables(settings) == {t.name for t in TABLES}  # while the views fill
    assert AUDIT_GUARD not in index_names(settings)  # kept up row by row, it cost COPY

    runner.rebuild(ledger, views)

    assert keyless_tables(settings) == set()
    assert AUDIT_GUARD in index_names(settings)
    views.clear()
    views.create_indexes()
    with pytest.raises(psycopg.errors.UniqueViolation):
        write_a_page_twice(ledger, views)


def test_a_rebuild_stopped_before_its_end_gets_its_keys_back_when_the_views_are_opened(
    ledger: Ledger, views: SqlViewStore, settings: Settings
) -> None:
    if settings.store_kind == "sqlite":
        pytest.skip("SQLite keeps its rows in key order: the key is the table")
    views.clear()  # the rebuild stops here

    again = open_view_store(settings, ledger)
    try:
        assert keyless_tables(settings) == set()
        assert AUDIT_GUARD in index_names(settings)
        with pytest.raises(psycopg.errors.UniqueViolation):
            write_a_page_twice(ledger, again)
    finally:
        again.close()


@pytest.mark.postgres
def test_following_postgres_wakes_on_a_save_not_on_the_interval(
    postgres_url: str, pg_schema: str
) -> None:
    settings = Settings(database_url=postgres_url, postgres_schema=pg_schema)
    ledger = build_ledger(settings, configure_logs=False)
    views = open_view_store(settings, ledger)
    stop = threading.Event()
    recorder: Any = ledger.recorder
    try:
        with runner.listening(postgres_url, recorder.channel_name, interval=30) as wait:
            following = threading.Thread(
                target=runner.follow, args=(ledger, views), kwargs={"wait": wait, "stop": stop}
            )
            following.start()
            time.sleep(0.3)
            ledger.register_region("110100", "北京市", "110000", ACTOR)
            deadline = time.monotonic() + 5
            while views.position() < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            caught_up = views.position()
            stop.set()
            ledger.register_region("120100", "天津市", "120000", ACTOR)  # wakes it to stop
            following.join(10)
    finally:
        views.close()
        ledger.close()

    assert caught_up == 2
    assert not following.is_alive()


# ------------------------------------------------------------------ helpers


def records(store: ViewStore, persons: list[str], ledger: Ledger) -> dict[str, RightsRecord]:
    """Each person's rights record at the end of the demo's story, everything known."""
    clocks = ReadClocks(date(2024, 12, 31))
    policies = ledger.policies_known_at(None)
    return {rid: rights_record(store, rid, clocks=clocks, policies=policies) for rid in persons}


@contextmanager
def holding_the_tracking_row(settings: Settings) -> Iterator[Callable[[int], None]]:
    """Another runner in the middle of a page: the tracking row locked until it commits."""
    if settings.store_kind == "sqlite":
        path = settings.eventsourcing_env()["SQLITE_DBNAME"]
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute("BEGIN IMMEDIATE")

        def commit_sqlite(position: int) -> None:
            conn.execute("UPDATE view_tracking SET position = ?", (position,))
            conn.execute("COMMIT")

        yield commit_sqlite
        conn.close()
        return
    schema = settings.postgres_schema
    with psycopg.connect(settings.database_url) as pg:
        pg.execute(f'SELECT position FROM "{schema}".view_tracking FOR UPDATE')

        def commit_postgres(position: int) -> None:
            pg.execute(f'UPDATE "{schema}".view_tracking SET position = %s', (position,))
            pg.commit()

        yield commit_postgres


def execute(settings: Settings, template: str, table: str) -> None:
    if settings.store_kind == "sqlite":
        with sqlite3.connect(settings.eventsourcing_env()["SQLITE_DBNAME"]) as conn:
            conn.execute(template.format(table))
    else:
        with psycopg.connect(settings.database_url) as pg:
            pg.execute(template.format(f'"{settings.postgres_schema}".{table}'))


def column_names(settings: Settings, table: str) -> set[str]:
    if settings.store_kind == "sqlite":
        with sqlite3.connect(settings.eventsourcing_env()["SQLITE_DBNAME"]) as conn:
            rows = conn.execute(f"SELECT name FROM pragma_table_info('{table}')").fetchall()
    else:
        with psycopg.connect(settings.database_url) as pg:
            rows = pg.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = %s AND table_name = %s",
                (settings.postgres_schema, table),
            ).fetchall()
    return {name for (name,) in rows}


def table_names(settings: Settings) -> set[str]:
    if settings.store_kind == "sqlite":
        with sqlite3.connect(settings.eventsourcing_env()["SQLITE_DBNAME"]) as conn:
            rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    else:
        with psycopg.connect(settings.database_url) as pg:
            rows = pg.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s",
                (settings.postgres_schema,),
            ).fetchall()
    return {name for (name,) in rows}


def index_names(settings: Settings) -> set[str]:
    if settings.store_kind == "sqlite":
        path = settings.eventsourcing_env()["SQLITE_DBNAME"]
        with sqlite3.connect(path) as conn:
            rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall()
    else:
        with psycopg.connect(settings.database_url) as pg:
            rows = pg.execute(
                "SELECT indexname FROM pg_indexes WHERE schemaname = %s",
                (settings.postgres_schema,),
            ).fetchall()
    return {name for (name,) in rows}


def test_a_nul_stored_before_names_were_checked_does_not_stop_the_views(
    ledger: Ledger, views: SqlViewStore
) -> None:
    # Saved as an older ledger could have (the use cases now refuse control characters):
    # PostgreSQL text cannot hold a NUL, so the views write U+FFFD in its place.
    uscc = "91150400MA0000002W"
    unit = Unit.register(
        unit_id(uscc),
        uscc=uscc,
        uscc_check_overridden=False,
        name="旧\x00名称",
        unit_type="enterprise",
        region="150400",
        agency="150401",
        unit_number="",
        established_on=date(2020, 1, 1),
        actor="old",
        reason="",
        request_id="",
    )
    ledger.save(unit)

    runner.catch_up(ledger, views)

    found = views.unit_by_uscc(uscc)
    assert found is not None
    assert found.name in ("旧\ufffd名称", "旧\x00名称")  # SQLite keeps it as it was
