"""Large values compressed with lz4 on PostgreSQL (``ledger.pgsql``): the events' states
and the views' wide columns, set when a store is opened, once, and read back alike.

On a server without lz4 (PostgreSQL before 14, or built without it, as the pgserver
wheel's that ``scripts/ensure-postgres`` falls back to) the same tests check that opening
a store leaves every column as it was (``offered``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from ledger.application import Ledger
from ledger.bootstrap import build_ledger, open_view_store
from ledger.chain.verify import verify
from ledger.pgsql import lz4_statement
from ledger.projections import runner
from ledger.settings import Settings
from tests.integration.conftest import demo_and_history, opened_at_once

pytestmark = pytest.mark.postgres

#: what ``pg_attribute.attcompression`` holds for lz4 (pglz is 'p', the default '')
LZ4 = "l"
#: tables of short values only (names, hashes, the views' position): left as they are
SHORT = {"ledger_chain_links", "ledger_chain_heads", "ledger_chain_members", "view_tracking"}


def lz4_offered(url: str) -> bool:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT 'lz4' = ANY (enumvals) FROM pg_settings "
            "WHERE name = 'default_toast_compression'"
        ).fetchone()
    return bool(row and row[0])


def methods(url: str, schema: str) -> dict[str, str]:
    """``table.column`` -> its compression method, for every compressible column of the
    schema's tables that may hold large values (not ``SHORT``)."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT c.relname || '.' || a.attname, a.attcompression FROM pg_attribute a "
            "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped "
            "AND a.attstorage IN ('x', 'm')",
            (schema,),
        ).fetchall()
    return {column: method for column, method in rows if column.split(".")[0] not in SHORT}


def stored_methods(url: str, schema: str, table: str, column: str) -> set[str]:
    """The methods the values of ``table.column`` are stored compressed with."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            sql.SQL(
                "SELECT DISTINCT pg_column_compression({column}) FROM {table} "
                "WHERE pg_column_compression({column}) IS NOT NULL"
            ).format(column=sql.Identifier(column), table=sql.Identifier(schema, table))
        ).fetchall()
    return {method for (method,) in rows}


def as_before(url: str, schema: str, tables: tuple[str, ...] | None = None) -> None:
    """The columns of ``tables`` (default: all of them) set to pglz, as a store made
    before this version has them."""
    with psycopg.connect(url, autocommit=True) as conn:
        for column in methods(url, schema):
            table, name = column.split(".")
            if tables is None or table in tables:
                conn.execute(
                    sql.SQL("ALTER TABLE {} ALTER COLUMN {} SET COMPRESSION pglz").format(
                        sql.Identifier(schema, table), sql.Identifier(name)
                    )
                )


@pytest.fixture
def offered(postgres_url: str) -> bool:
    """Whether this server offers lz4: if not, opening a store changes no column."""
    return lz4_offered(postgres_url)


def set_by_the_open(offered: bool, before: str) -> str:
    """A column's method after a store is opened, where it was ``before``."""
    return LZ4 if offered else before


def stored_by_the_server(offered: bool) -> set[str]:
    """How the values stored from then on are compressed."""
    return {"lz4"} if offered else {"pglz"}


@pytest.fixture
def settings(postgres_url: str, pg_schema: str) -> Settings:
    return Settings(database_url=postgres_url, postgres_schema=pg_schema)


@pytest.fixture
def ledger(settings: Settings) -> Iterator[Ledger]:
    # units of up to 200 persons: their assessments' states pass 2 kB
    ledger = demo_and_history(settings, units=30, months=1)
    yield ledger
    ledger.close()


def test_every_large_value_of_a_ledger_and_its_views_is_stored_compressed_with_lz4(
    ledger: Ledger, settings: Settings, offered: bool
) -> None:
    views = open_view_store(settings, ledger)
    try:
        runner.catch_up(ledger, views)
    finally:
        views.close()
    schema = settings.postgres_schema

    found = methods(settings.database_url, schema)

    assert {"ledger_events.state", "view_assessed_lines.resident_ids"} <= set(found)
    assert {c for c, m in found.items() if m != set_by_the_open(offered, "")} == set()
    stored = stored_by_the_server(offered)
    assert stored_methods(settings.database_url, schema, "ledger_events", "state") == stored
    assert stored_methods(settings.database_url, schema, "view_assessed_lines", "resident_ids") == (
        stored
    )


def test_a_store_made_before_with_pglz_has_its_columns_set_to_lz4_when_opened_again(
    ledger: Ledger, settings: Settings, offered: bool
) -> None:
    schema, url = settings.postgres_schema, settings.database_url
    views = open_view_store(settings, ledger)
    views.close()
    as_before(url, schema)
    assert set(methods(url, schema).values()) == {"p"}

    again = build_ledger(settings, configure_logs=False)
    views = open_view_store(settings, again)
    try:
        found = methods(url, schema)
    finally:
        views.close()
        again.close()

    assert {c for c, m in found.items() if m != set_by_the_open(offered, "p")} == set()


def test_a_history_stored_with_pglz_reads_back_byte_for_byte_once_its_column_is_lz4(
    ledger: Ledger, settings: Settings
) -> None:
    """A column's method applies to what is stored from then on: a history stored with
    pglz reads back byte for byte after the column is set to lz4 (its chain verifies)."""
    schema, url = settings.postgres_schema, settings.database_url
    events = sql.Identifier(schema, "ledger_events")
    with psycopg.connect(url, autocommit=True) as conn:
        before = conn.execute(
            sql.SQL("SELECT notification_id, md5(state) FROM {} ORDER BY 1").format(events)
        ).fetchall()
        # the history recorded again with pglz, as a store of an earlier version holds it
        conn.execute(
            sql.SQL("ALTER TABLE {} ALTER COLUMN state SET COMPRESSION pglz").format(events)
        )
        conn.execute(sql.SQL("UPDATE {} SET state = state || ''::bytea").format(events))
        conn.execute(lz4_statement(schema, "ledger_events"))
        after = conn.execute(
            sql.SQL("SELECT notification_id, md5(state) FROM {} ORDER BY 1").format(events)
        ).fetchall()
    methods_now = stored_methods(url, schema, "ledger_events", "state")
    report = verify(ledger)

    assert methods_now == {"pglz"}
    assert after == before
    assert report.intact, [b.describe() for b in report.breaks]


def test_a_reader_of_the_events_leaves_their_columns_to_the_next_open_instead_of_queueing_saves(
    ledger: Ledger, settings: Settings, offered: bool
) -> None:
    """Behind a long reader (a dump, a replay's read) the ALTER TABLE would wait, and
    every save after it in the lock's queue: it gives up after ``LOCK_WAIT`` instead."""
    schema, url = settings.postgres_schema, settings.database_url
    events = sql.Identifier(schema, "ledger_events")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("ALTER TABLE {} ALTER COLUMN state SET COMPRESSION pglz").format(events)
        )
    with psycopg.connect(url) as reader:
        reader.execute(sql.SQL("SELECT count(*) FROM {}").format(events))  # holds its lock
        started = time.monotonic()
        waiting = build_ledger(settings, configure_logs=False)
        waited = time.monotonic() - started
        waiting.close()
        behind_reader = methods(url, schema)["ledger_events.state"]
    again = build_ledger(settings, configure_logs=False)
    again.close()

    assert behind_reader == "p"
    assert waited < 5  # LOCK_WAIT, and the open's own work
    assert methods(url, schema)["ledger_events.state"] == set_by_the_open(offered, "p")


def test_ledgers_opening_an_older_store_at_once_all_open_and_leave_it_compressed_with_lz4(
    ledger: Ledger, settings: Settings, offered: bool
) -> None:
    """``ledger serve --workers N``'s first start after the upgrade: in the tables'
    transaction, each opener's share lock of the event table (its index's CREATE ... IF
    NOT EXISTS) deadlocked with the others' ALTER TABLE."""
    url, schema = settings.database_url, settings.postgres_schema
    as_before(url, schema, ("ledger_events",))
    opened, failed = opened_at_once(settings)
    for each in opened:
        each.close()

    assert failed == []
    assert methods(url, schema)["ledger_events.state"] == set_by_the_open(offered, "p")


def test_a_reader_of_one_view_table_holds_up_no_reader_of_another_while_the_views_open(
    ledger: Ledger, settings: Settings, offered: bool
) -> None:
    """Each table is set in a transaction of its own: one set is not held (exclusively
    locked) while the open waits for the next one's reader."""
    url, schema = settings.database_url, settings.postgres_schema
    open_view_store(settings, ledger).close()
    as_before(url, schema, ("view_units", "view_audit"))
    probe_failed: list[BaseException] = []
    with psycopg.connect(url) as reader:
        reader.execute(
            sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, "view_audit"))
        )
        opening = threading.Thread(target=lambda: open_view_store(settings, ledger).close())
        opening.start()
        time.sleep(0.8)  # view_units is set by then; the open waits for view_audit's reader
        try:
            with psycopg.connect(url, autocommit=True) as probe:
                probe.execute("SET lock_timeout = '500ms'")
                probe.execute(
                    sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, "view_units"))
                )
        except psycopg.Error as exc:
            probe_failed.append(exc)
        opening.join()
        behind_reader = methods(url, schema)["view_audit.detail"]

    assert probe_failed == []
    assert methods(url, schema)["view_units.uscc"] == set_by_the_open(offered, "p")
    assert behind_reader == "p"


def test_a_rebuild_that_collates_the_resident_ids_again_keeps_them_compressed_with_lz4(
    ledger: Ledger, settings: Settings, offered: bool
) -> None:
    """Views made before the resident IDs were collated "C" get the collation when
    emptied (``clear``), and a column's type set again forgets its compression."""
    url, schema = settings.database_url, settings.postgres_schema
    views = open_view_store(settings, ledger)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                sql.SQL(
                    'ALTER TABLE {} ALTER COLUMN resident_ids TYPE text[] COLLATE "default"'
                ).format(sql.Identifier(schema, "view_assessed_lines"))
            )
        runner.rebuild(ledger, views)
    finally:
        views.close()

    assert methods(url, schema)["view_assessed_lines.resident_ids"] == set_by_the_open(offered, "")
    assert stored_methods(url, schema, "view_assessed_lines", "resident_ids") == (
        stored_by_the_server(offered)
    )
