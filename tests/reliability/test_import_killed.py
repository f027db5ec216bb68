"""A bulk import killed mid-way (SIGKILL, no clean-up) and simply run again.

``ledger import assessments`` of a month for 400 synthetic units, 4 units per save,
is killed once some units are saved and before all are. Afterwards, on SQLite and
on PostgreSQL: the batches saved before the kill are whole (no unit half-written),
running the import again completes it, running it a third time changes nothing,
the stored events are exactly those of a clean import of the same file into a fresh
store (none lost, none twice), the hash chains verify, and the views, caught up
from before the import, equal a clean rebuild.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from benchmarks import generate
from benchmarks.region import prepare_ledger, register_units
from psycopg import sql

from ledger.application import Ledger
from ledger.bootstrap import build_ledger, open_view_store
from ledger.projections import runner
from ledger.settings import Settings
from tests.conftest import StoreConfig
from tests.reliability.helpers import (
    assert_chains_whole,
    assert_views_equal_a_clean_rebuild,
    inventory,
    kill_when,
    run,
    settings_of,
    start,
)

UNITS = 400
ASSESSED = "ledger.unit.period-assessed"


def test_an_import_killed_midway_and_run_again_equals_a_clean_import(
    store: StoreConfig, tmp_path: Path
) -> None:
    units_csv, month_csv, _ = generate.write(tmp_path / "data", UNITS, seed=7)
    settings = settings_of(store)
    ledger = region_with_units(settings, units_csv)
    views = open_view_store(settings, ledger)
    runner.catch_up(ledger, views)  # the views are current before the import starts
    views.close()
    command = (
        "import",
        "assessments",
        str(month_csv),
        "--assessed-on",
        "2024-06-05",
        "--batch",
        "4",
        "--no-progress",
    )

    importing = start(settings, tmp_path / "import.log", *command)
    kill_when(importing, lambda: assessed(ledger) > 0, "the first save")
    at_kill = assessed(ledger)
    again = run(settings, *command)
    high_water = ledger.recorder.max_notification_id()
    third = run(settings, *command)

    assert 0 < at_kill < UNITS
    assert at_kill % 4 == 0, "a save of 4 units was half-written"
    assert again.returncode == 0, again.stderr
    assert third.returncode == 0, third.stderr
    assert ledger.recorder.max_notification_id() == high_water  # the third run wrote nothing
    assert assessed(ledger) == UNITS
    with clean_store(store, tmp_path) as clean_settings:
        clean = region_with_units(clean_settings, units_csv)
        done = run(clean_settings, *command)
        assert done.returncode == 0, done.stderr
        assert inventory(ledger) == inventory(clean)
        clean.close()
    assert_chains_whole(ledger)
    assert_views_equal_a_clean_rebuild(ledger, store, settings, tmp_path)
    ledger.close()


def region_with_units(settings: Settings, units_csv: Path) -> Ledger:
    ledger = build_ledger(settings, configure_logs=False)
    prepare_ledger(ledger, generate.REGION, generate.REGION_NAME, fund_months=12)
    register_units(ledger, units_csv)
    return ledger


def assessed(ledger: Ledger) -> int:
    """Units assessed so far, counted by their stored assessments."""
    count = 0
    start = 1
    while page := ledger.recorder.select_notifications(start, 5_000, topics=[ASSESSED]):
        count += len(page)
        start = page[-1].id + 1
    return count


@contextmanager
def clean_store(store: StoreConfig, tmp_path: Path) -> Iterator[Settings]:
    """An empty store of the same kind beside the one under test."""
    if store.kind == "sqlite":
        yield Settings(database_url=f"sqlite:///{tmp_path}/clean.db")
        return
    schema = f"{store.postgres_schema}_reference"
    try:
        yield Settings(database_url=store.database_url, postgres_schema=schema)
    finally:
        with psycopg.connect(store.database_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
