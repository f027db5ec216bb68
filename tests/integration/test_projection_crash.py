"""A rebuild killed mid-way and finished by the next run equals a clean rebuild.

``ledger project --rebuild --page-size 50`` (and with ``--workers 2`` on PostgreSQL:
pages mapped by two processes, ``ranges``) runs as a subprocess and is killed with
SIGKILL (no clean-up of any kind) once the views' position has passed a third of
the log, before the end; ``ledger project --once`` finishes the work. On SQLite and on PostgreSQL:
at the kill the views hold exactly the events up to their position, and once
finished every view table, row by row, equals a rebuild into a fresh store.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from ledger.application import Ledger
from ledger.bootstrap import open_view_store
from ledger.projections import runner
from ledger.projections.schema import TABLES
from ledger.projections.sql import SqlViewStore
from ledger.settings import Settings
from tests.conftest import StoreConfig
from tests.integration.conftest import demo_and_history

Dump = dict[str, list[tuple[Any, ...]]]
REBUILD = (sys.executable, "-m", "ledger", "project", "--rebuild")


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_rebuild_killed_midway_and_finished_equals_a_clean_rebuild(
    store: StoreConfig, tmp_path: Path, workers: str
) -> None:
    if workers != "1" and store.kind == "sqlite":
        pytest.skip("a rebuild's pages are mapped by several processes on PostgreSQL only")
    settings = Settings(
        database_url=store.database_url, postgres_schema=store.postgres_schema or ""
    )
    ledger = demo_and_history(settings, units=150, months=12)  # ~4,000 events: 80 pages of 50
    last = ledger.recorder.max_notification_id() or 0
    env = {
        **os.environ,
        "LEDGER_DATABASE_URL": store.database_url,
        "LEDGER_POSTGRES_SCHEMA": store.postgres_schema or "",
        "LEDGER_LOG_FORMAT": "json",
        # inherited by the rebuild's mapping processes: found by it once it is killed
        "LEDGER_TEST_REBUILD": str(tmp_path),
    }

    with (tmp_path / "rebuild.log").open("w") as log:
        rebuilding = subprocess.Popen(
            [*REBUILD, "--page-size", "50", "--workers", workers],
            env=env,
            stdout=log,
            stderr=log,
        )
        moved = wait_for_the_position_to_pass(last // 3, settings, rebuilding)
        rebuilding.send_signal(signal.SIGKILL)
        rebuilding.wait()
    killed_at = tracked_position(settings)

    assert 0 < moved <= killed_at < last, (tmp_path / "rebuild.log").read_text()
    assert no_process_left_of(str(tmp_path)) == []  # its mapping processes ended with it
    at_kill = dump(settings)
    audited = sorted(row[0] for row in at_kill["view_audit"])
    ids = [n.id for n in ledger.recorder.select_notifications(1, killed_at)]
    assert audited == ids  # every event up to the position once, none after it

    finishing = subprocess.run(
        [sys.executable, "-m", "ledger", "project", "--once"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert finishing.returncode == 0, finishing.stderr
    with fresh_store(store, tmp_path, ledger) as (clean, clean_settings):
        runner.rebuild(ledger, clean)
        assert dump(settings) == dump(clean_settings)
    views = open_view_store(settings, ledger)
    assert runner.catch_up(ledger, views) == 0
    assert views.position() == last
    views.close()
    ledger.close()


# ------------------------------------------------------------------ helpers


def wait_for_the_position_to_pass(
    mark: int, settings: Settings, process: subprocess.Popen[bytes]
) -> int:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail("the rebuild finished before it could be killed: make the history longer")
        position = tracked_position(settings)
        if position >= mark:
            return position
        time.sleep(0.005)
    pytest.fail("the rebuild never moved the views' position")


def no_process_left_of(mark: str, within: float = 10.0) -> list[int]:
    """The processes still alive ``within`` seconds whose environment has the mark."""
    deadline = time.monotonic() + within
    while True:
        left = []
        for environ in Path("/proc").glob("[0-9]*/environ"):
            try:
                if f"LEDGER_TEST_REBUILD={mark}".encode() in environ.read_bytes():
                    left.append(int(environ.parent.name))
            except OSError:
                continue
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


def tracked_position(settings: Settings) -> int:
    """The views' position, read as another process sees it (0 before the tables exist)."""
    try:
        rows = query(settings, "SELECT position FROM {} WHERE name = 'views'", "view_tracking")
    except (sqlite3.OperationalError, psycopg.errors.UndefinedTable):
        return 0
    return int(rows[0][0]) if rows else 0


def dump(settings: Settings) -> Dump:
    """Every view table's rows, every column, in key order."""
    return {
        t.name: query(settings, "SELECT * FROM {} ORDER BY position, ordinal", t.name)
        for t in TABLES
    }


def query(settings: Settings, template: str, table: str) -> list[tuple[Any, ...]]:
    if settings.store_kind == "sqlite":
        path = settings.eventsourcing_env()["SQLITE_DBNAME"]
        with sqlite3.connect(path, timeout=30) as conn:
            return conn.execute(template.format(table)).fetchall()
    name = sql.Identifier(settings.postgres_schema, table)
    with psycopg.connect(settings.database_url, options="-c TimeZone=UTC") as conn:
        return conn.execute(sql.SQL(template).format(name)).fetchall()


@contextmanager
def fresh_store(
    store: StoreConfig, tmp_path: Path, ledger: Ledger
) -> Iterator[tuple[SqlViewStore, Settings]]:
    """An empty view store of the same kind, away from the one under test, reading the
    ledger's events as the store under test does (so its rows leave the same audit
    details to the events)."""
    if store.kind == "sqlite":
        settings = Settings(database_url=f"sqlite:///{tmp_path}/clean-views.db")
        clean = open_view_store(settings, ledger)
        yield clean, settings
        clean.close()
        return
    schema = f"{store.postgres_schema}_clean"
    settings = Settings(database_url=store.database_url, postgres_schema=schema)
    clean = open_view_store(settings, ledger)  # creates the schema
    try:
        yield clean, settings
    finally:
        clean.close()
        with psycopg.connect(store.database_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
