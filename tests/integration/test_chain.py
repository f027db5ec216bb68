"""The hash chain on real stores: written with every save, broken by any edit of a row.

On SQLite and on PostgreSQL: the demo's history (five chains: four regions and the
global one) verifies; then one row is edited behind the ledger's back, the way
someone with database access would (an UPDATE of a state, a DELETE, two states
swapped, the last events cut off), and ``verify`` names the first broken link.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, ProgrammingError, StoredEvent
from psycopg import sql
from psycopg.rows import dict_row

from ledger.application import Actor, Ledger
from ledger.bootstrap import build_ledger
from ledger.catalogue.loader import load_default_catalogue
from ledger.chain import pgsave
from ledger.chain.verify import heads, verify
from ledger.demo import make_uscc
from ledger.domain.errors import Contention
from ledger.domain.identifiers import resident_id_check_char, uscc_check_char
from ledger.domain.region import unit_id
from ledger.domain.unit import Unit
from ledger.importer import import_assessments
from ledger.settings import Settings
from tests.conftest import StoreConfig
from tests.integration.conftest import opened_at_once, settings_of

ACTOR = Actor("case-worker:chain-test", "chain test", "req-chain")
#: the demo's Jinan unit: its events chain in 370100
JINAN_UNIT = unit_id("91370102MA3C1JN002")


def execute(store: StoreConfig, statement: str, params: tuple[Any, ...] = ()) -> list[Any]:
    """Runs SQL on the store directly, as an operator with database access would.
    ``{events}`` names the event table; ``?`` marks parameters on both stores."""
    if store.kind == "sqlite":
        path = settings_of(store).eventsourcing_env()["SQLITE_DBNAME"]
        with sqlite3.connect(path) as conn:
            rows = conn.execute(statement.format(events="stored_events", n="rowid"), params)
            return rows.fetchall()
    events = f'"{store.postgres_schema}".ledger_events'
    text = statement.format(events=events, n="notification_id").replace("?", "%s")
    with psycopg.connect(store.database_url, autocommit=True) as conn:
        cursor = conn.execute(sql.SQL(text), params)
        return cursor.fetchall() if cursor.description else []


def save_functions(postgres_url: str, schema: str) -> int:
    """How many versions of the chained save's function ``schema`` holds."""
    with psycopg.connect(postgres_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_proc p JOIN pg_namespace s ON s.oid = p.pronamespace "
            "WHERE s.nspname = %s AND p.proname LIKE 'ledger_chained_insert%%'",
            (schema,),
        ).fetchone()
    assert row is not None
    return int(row[0])


def jinan_events(store: StoreConfig) -> list[tuple[int, int]]:
    """(notification id, version) of the Jinan unit's events, in order."""
    oid = JINAN_UNIT.hex if store.kind == "sqlite" else JINAN_UNIT
    rows = execute(
        store,
        "SELECT {n}, originator_version FROM {events} WHERE originator_id = ? ORDER BY {n}",
        (oid,),
    )
    return [(int(n), int(v)) for n, v in rows]


# ------------------------------------------------------------------ intact


def test_the_demo_history_verifies_in_one_chain_per_region_and_a_global_one(
    demo: Ledger,
) -> None:
    events = demo.recorder.max_notification_id()

    report = verify(demo)

    assert report.intact, [b.describe() for b in report.breaks]
    assert report.total == events
    assert set(report.verified) == {"150400", "530900", "150300", "370100", "global"}
    assert [h.chain for h in heads(demo)] == sorted(report.verified)


def test_ledger_audit_verify_prints_the_count_and_exits_0(demo: Ledger, store: StoreConfig) -> None:
    done = run_cli(store, "audit", "verify")

    assert done.returncode == 0, done.stderr
    assert f"{demo.recorder.max_notification_id()} links verified in 5 chain(s)" in done.stdout


# ------------------------------------------------------------------ tampering


def test_an_updated_state_is_detected_and_named(demo: Ledger, store: StoreConfig) -> None:
    notification, version = jinan_events(store)[4]
    execute(
        store,
        "UPDATE {events} SET state = ? WHERE {n} = ?",
        (b'{"note":"edited by hand"}', notification),
    )

    report = verify(demo)

    [broken] = report.breaks
    assert (broken.chain, broken.notification_id) == ("370100", notification)
    assert (broken.originator_id, broken.originator_version) == (str(JINAN_UNIT), version)
    assert broken.expected != broken.found
    # the region's 3 links and the unit's 4 before it hold
    assert report.verified["370100"] == 3 + 4


def test_ledger_audit_verify_names_the_broken_link_and_exits_1(
    demo: Ledger, store: StoreConfig
) -> None:
    notification, _ = jinan_events(store)[2]
    execute(store, "UPDATE {events} SET topic = ? WHERE {n} = ?", ("ledger.unit.x", notification))

    done = run_cli(store, "audit", "verify", "--region", "370100")

    assert done.returncode == 1
    assert f"chain 370100, notification {notification}, originator {JINAN_UNIT}" in done.stderr


def test_a_deleted_event_is_detected_and_named(demo: Ledger, store: StoreConfig) -> None:
    notification, _ = jinan_events(store)[6]
    execute(store, "DELETE FROM {events} WHERE {n} = ?", (notification,))

    [broken] = verify(demo).breaks

    assert (broken.chain, broken.notification_id) == ("370100", notification)
    assert "no longer stored" in broken.problem


def test_two_swapped_events_are_detected_at_the_first(demo: Ledger, store: StoreConfig) -> None:
    (first, _), (second, _) = jinan_events(store)[3:5]
    states = dict(
        execute(store, "SELECT {n}, state FROM {events} WHERE {n} IN (?, ?)", (first, second))
    )
    execute(store, "UPDATE {events} SET state = ? WHERE {n} = ?", (states[second], first))
    execute(store, "UPDATE {events} SET state = ? WHERE {n} = ?", (states[first], second))

    [broken] = verify(demo).breaks

    assert (broken.chain, broken.notification_id) == ("370100", first)


def test_events_cut_off_with_their_links_do_not_reach_the_stored_head(
    demo: Ledger, store: StoreConfig
) -> None:
    last, _ = jinan_events(store)[-1]
    execute(store, "DELETE FROM {events} WHERE {n} = ?", (last,))
    links = (
        "ledger_chain_links"
        if store.kind == "sqlite"
        else f'"{store.postgres_schema}".ledger_chain_links'
    )
    execute(store, f"DELETE FROM {links} WHERE notification_id = ?", (last,))

    [broken] = verify(demo).breaks

    assert broken.chain == "370100"
    assert "does not end at its stored head" in broken.problem


# ------------------------------------------------------------------ writing


def test_a_save_that_fails_leaves_no_link_and_the_chain_intact(demo: Ledger) -> None:
    unit = demo.unit("91370102MA3C1JN002")
    stale = demo.unit("91370102MA3C1JN002")
    for copy, request in ((unit, "first"), (stale, "second")):
        copy.trigger_event(
            Unit.DeregistrationRequested,
            requested_on=date(2022, 11, 1),
            actor="a",
            reason="r",
            request_id=request,
        )
    demo.save(unit)
    links_before = verify(demo).total

    with pytest.raises(IntegrityError):
        demo.save(stale)  # the same version again: the whole save is refused

    report = verify(demo)
    assert report.intact
    assert report.total == links_before == demo.recorder.max_notification_id()


def test_one_save_across_chains_moves_each_head_to_its_own_last_event(demo: Ledger) -> None:
    # two units of two regions, their events interleaved in one save
    jinan = demo.unit("91370102MA3C1JN002")
    lincang = demo.unit(make_uscc("91530902MA6K1LC00"))
    events: list[Any] = []
    for n in range(3):
        for unit in (jinan, lincang) if n % 2 == 0 else (lincang, jinan):
            unit.trigger_event(
                Unit.DeregistrationRequested,
                requested_on=date(2022, 11, 1),
                actor="a",
                reason="r",
                request_id=f"save-across-{n}",
            )
            events.extend(unit.collect_events())

    recordings = demo.save(*events)

    ids = [r.notification.id for r in recordings]
    stored = demo.recorder.select_notifications(ids[0], len(ids))
    assert [(n.originator_id, n.originator_version) for n in stored] == [
        (e.originator_id, e.originator_version) for e in events
    ]
    assert [n.id for n in stored] == ids  # the ids returned in the events' order
    report = verify(demo)
    assert report.intact, [b.describe() for b in report.breaks]
    last = {"370100": ids[-2], "530900": ids[-1]}  # each unit's last event
    assert {h.chain: h.notification_id for h in heads(demo) if h.chain in last} == last


def test_concurrent_writers_keep_every_chain_whole(store: StoreConfig) -> None:
    ledger = build_ledger(settings_of(store), configure_logs=False)
    ledger.register_region("150400", "赤峰市", "150000", ACTOR)
    ledger.register_region("530900", "临沧市", "530000", ACTOR)

    # Each writer its own ledger (its own connections), built here: tables are not
    # created concurrently (two processes creating one new table at once can both try,
    # and one fails).
    writers = [Ledger(env={**ledger.env, "CREATE_TABLE": "n"}) for _ in range(4)]
    failures: list[BaseException] = []

    def register(writer: Ledger, start: int) -> None:
        try:
            for n in range(start, start + 15):
                region = "150400" if n % 2 else "530900"
                for _ in range(50):  # writers to one region's index collide: retry, as told
                    try:
                        writer.register_unit(**unit_fields(n, region))
                        break
                    except Contention:
                        continue
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=register, args=(w, k * 100)) for k, w in enumerate(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for writer in writers:
        writer.close()

    assert failures == []
    report = verify(ledger)
    assert report.intact, [b.describe() for b in report.breaks]
    stored = len(ledger.recorder.select_notifications(1, 10_000))
    # 2 regions and 60 units, 2 events each (PostgreSQL skips the ids of refused saves)
    assert report.total == stored == 2 * 2 + 60 * 2
    ledger.close()


def test_a_bulk_import_is_chained_like_any_save(store: StoreConfig, tmp_path: Path) -> None:
    ledger = build_ledger(settings_of(store), configure_logs=False)
    for file in load_default_catalogue():
        ledger.enact_policy(file, ACTOR)
    ledger.register_region("150400", "赤峰市", "150000", ACTOR)
    for n in range(30):
        ledger.register_unit(**unit_fields(n, "150400"))
    rows = [f"{uscc(n)},2024-05,{person(n * 3 + k)},5000.00\n" for n in range(30) for k in range(3)]
    path = tmp_path / "may.csv"
    path.write_text("uscc,period,resident_id,base\n" + "".join(rows), encoding="utf-8")

    summary = import_assessments(
        ledger, path, actor=ACTOR, assessed_on=date(2024, 6, 5), batch_units=7
    )

    assert summary.units_written == 30
    report = verify(ledger)
    assert report.intact, [b.describe() for b in report.breaks]
    # the region, each unit and its index entry, each unit's assessment
    assert report.verified["150400"] == 1 + 2 * 30 + 30
    ledger.close()


# ------------------------------------------------------------------ helpers


def uscc(n: int) -> str:
    body = f"91150402MA{n:07d}"
    return body + uscc_check_char(body)


def person(n: int) -> str:
    body = f"15040219800101{n:03d}"
    return body + resident_id_check_char(body)


def unit_fields(n: int, region: str) -> dict[str, Any]:
    return {
        "uscc": uscc(n),
        "name": f"unit {n}",
        "unit_type": "enterprise",
        "region": region,
        "agency": f"{region}001",
        "unit_number": "",
        "established_on": date(2015, 1, 1),
        "actor": ACTOR,
    }


def run_cli(store: StoreConfig, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "LEDGER_DATABASE_URL": store.database_url,
        "LEDGER_POSTGRES_SCHEMA": store.postgres_schema or "",
        "LEDGER_LOG_FORMAT": "json",
    }
    return subprocess.run(
        [sys.executable, "-m", "ledger", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.postgres
def test_a_save_takes_the_event_tables_lock_within_its_timeout_and_notifies_on_commit(
    postgres_url: str, pg_schema: str
) -> None:
    """The save's one statement (``ledger.chain.pgsave``): the lock timeout for the
    transaction only, the EXCLUSIVE lock that keeps notification ids in commit order, and
    the NOTIFY the views' follower wakes on."""
    settings = Settings(database_url=postgres_url, postgres_schema=pg_schema)
    settings = settings.model_copy(update={"postgres_lock_timeout": 1})
    ledger = build_ledger(settings, configure_logs=False)
    recorder: Any = ledger.recorder
    events = f'"{pg_schema}".ledger_events'

    def stored() -> list[StoredEvent]:
        return [StoredEvent(uuid.uuid4(), 1, "test.lock", b"{}")]

    try:
        ledger.register_region("110100", "北京市", "110000", ACTOR)
        with (
            psycopg.connect(postgres_url, autocommit=True) as listener,
            psycopg.connect(postgres_url, row_factory=dict_row) as saver,
            psycopg.connect(postgres_url, row_factory=dict_row) as other,
        ):
            listener.execute(sql.SQL("LISTEN {}").format(sql.Identifier(recorder.channel_name)))
            saved = recorder.insert_on(saver.cursor(), stored())
            held = saver.execute(
                "SELECT mode FROM pg_locks "
                "WHERE pid = pg_backend_pid() AND relation = %s::regclass",
                (events,),
            ).fetchall()
            timeout = saver.execute("SHOW lock_timeout").fetchone()
            # another save meanwhile waits one second, then gives up (the statement
            # timeout only keeps this test from hanging if it did not)
            other.execute("SET statement_timeout = '20s'")
            with pytest.raises(psycopg.errors.LockNotAvailable):
                recorder.insert_on(other.cursor(), stored())
            saver.commit()
            after = saver.execute("SHOW lock_timeout").fetchone()
            # the saver's own (other tests' saves, run beside this one, notify the
            # same channel in other schemas)
            notified = next(
                (n for n in listener.notifies(timeout=5) if n.pid == saver.info.backend_pid),
                None,
            )
    finally:
        ledger.close()

    assert len(saved) == 1
    assert {"mode": "ExclusiveLock"} in held
    assert (timeout, after) == ({"lock_timeout": "1s"}, {"lock_timeout": "0"})
    assert notified is not None
    assert notified.channel == recorder.channel_name


@pytest.mark.postgres
def test_a_schema_named_in_chinese_is_chained_over_a_gbk_connection_too(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The save's statements are composed in each connection's own encoding: composed
    once as UTF-8, a GBK connection sent a schema name the server could not read.
    (``Settings`` allows ASCII schema names only; the library's own setting does not.)"""
    schema = f"test_{uuid.uuid4().hex[:8]}_账本"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    monkeypatch.setenv("PGCLIENTENCODING", "GBK")
    env = Settings(database_url=postgres_url, postgres_schema="unused").eventsourcing_env()
    ledger = Ledger(env={**env, "POSTGRES_SCHEMA": schema})
    try:
        ledger.register_region("110100", "北京市", "110000", ACTOR)
        ledger.register_region("120100", "天津市", "120000", ACTOR)
        recorder: Any = ledger.recorder
        with recorder.datastore.get_connection() as conn:
            encoding = conn.info.encoding
        report = verify(ledger)
    finally:
        ledger.close()
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))

    assert encoding == "gbk"
    assert report.intact, [b.describe() for b in report.breaks]
    assert set(report.verified) == {"110100", "120100", "global"}


@pytest.mark.postgres
def test_a_store_of_text_originator_ids_is_refused_when_opened(
    postgres_url: str, pg_schema: str
) -> None:
    """The library's other id type: the ledger's queries and the save's function take
    UUIDs, so such a store is refused at once rather than at its first query."""
    env = Settings(database_url=postgres_url, postgres_schema=pg_schema).eventsourcing_env()
    with pytest.raises(ProgrammingError, match="ORIGINATOR_ID_TYPE uuid"):
        Ledger(env={**env, "ORIGINATOR_ID_TYPE": "text"})


@pytest.mark.postgres
def test_ledgers_opened_at_once_on_a_store_keep_its_one_save_function(
    postgres_url: str, pg_schema: str
) -> None:
    """As ``ledger serve --workers N`` starts: each process creates what is missing, and
    the save's function, once there, is left as it is (replacing it at once from several
    processes fails: "tuple concurrently updated")."""
    settings = Settings(database_url=postgres_url, postgres_schema=pg_schema)
    first = build_ledger(settings, configure_logs=False)
    first.close()
    opened, failures = opened_at_once(settings)
    try:
        for n, ledger in enumerate(opened):
            ledger.register_region(f"1{n}0100", "某市", f"1{n}0000", ACTOR)
        report = verify(opened[0])
    finally:
        for ledger in opened:
            ledger.close()
    functions = save_functions(postgres_url, pg_schema)

    assert failures == []
    assert report.intact, [b.describe() for b in report.breaks]
    assert functions == 1


@pytest.mark.postgres
def test_a_store_without_the_save_function_refuses_saves_naming_what_creates_it(
    postgres_url: str, pg_schema: str
) -> None:
    """A store whose processes all open it without creating (``CREATE_TABLE=n``) after an
    upgrade: the save says what to do, and one open with creation on mends it."""
    settings = Settings(database_url=postgres_url, postgres_schema=pg_schema)
    build_ledger(settings, configure_logs=False).close()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP FUNCTION {}.{}").format(
                sql.Identifier(pg_schema), sql.Identifier(pgsave.FUNCTION)
            )
        )
    opened = Ledger(env={**settings.eventsourcing_env(), "CREATE_TABLE": "n"})
    try:
        with pytest.raises(ProgrammingError, match="CREATE_TABLE"):
            opened.register_region("110100", "北京市", "110000", ACTOR)
    finally:
        opened.close()
    mended = build_ledger(settings, configure_logs=False)
    try:
        mended.register_region("110100", "北京市", "110000", ACTOR)
        report = verify(mended)
    finally:
        mended.close()

    assert report.intact
    assert report.total == 2


@pytest.mark.postgres
def test_processes_creating_the_save_function_at_once_leave_one(
    postgres_url: str, pg_schema: str
) -> None:
    """The function's creation run by several connections at the same moment (a store's
    first start by several processes): the ones that lose the race go on, one function."""
    settings = Settings(database_url=postgres_url, postgres_schema=pg_schema)
    ledger = build_ledger(settings, configure_logs=False)
    recorder: Any = ledger.recorder
    create = recorder.sql_create_statements[-1]
    ledger.close()
    drop = sql.SQL("DROP FUNCTION {}.{}").format(
        sql.Identifier(pg_schema), sql.Identifier(pgsave.FUNCTION)
    )
    failures: list[BaseException] = []
    for _ in range(3):  # the race is won at random: a few rounds
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(drop)
        start = threading.Barrier(4)

        def create_it(start: threading.Barrier) -> None:
            try:
                with psycopg.connect(postgres_url) as conn:
                    start.wait()
                    conn.execute(create)
            except BaseException as exc:
                failures.append(exc)

        threads = [threading.Thread(target=create_it, args=(start,)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    functions = save_functions(postgres_url, pg_schema)

    assert failures == []
    assert functions == 1
