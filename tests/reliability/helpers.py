"""What the fault tests share: the CLI as a subprocess, killing it, and the checks
that follow every recovery (nothing lost or doubled, chains whole, views equal to a
clean rebuild)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ledger.application import Ledger
from ledger.bootstrap import open_view_store
from ledger.chain.verify import verify
from ledger.projections import runner
from ledger.settings import Settings
from tests.conftest import StoreConfig
from tests.integration.test_projection_crash import dump, fresh_store

#: a record of the store: (originator, version, topic) for every stored event
Inventory = Counter[tuple[str, int, str]]


def settings_of(store: StoreConfig, **more: Any) -> Settings:
    return Settings(
        database_url=store.database_url, postgres_schema=store.postgres_schema or "", **more
    )


def cli_env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "LEDGER_DATABASE_URL": settings.database_url,
        "LEDGER_POSTGRES_SCHEMA": settings.postgres_schema,
        "LEDGER_LOG_FORMAT": "json",
    }


def start(settings: Settings, log: Path, *args: str) -> subprocess.Popen[bytes]:
    """``ledger ARGS`` in a session of its own, so that a kill takes its workers too."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "ledger", *args],
            env=cli_env(settings),
            stdout=out,
            stderr=out,
            start_new_session=True,
        )


def run(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ledger", *args],
        env=cli_env(settings),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def kill_when(
    process: subprocess.Popen[bytes], ready: Callable[[], bool], what: str, seconds: float = 120
) -> None:
    """SIGKILL to the process and its children as soon as ``ready()``: no clean-up at all."""
    deadline = time.monotonic() + seconds
    while not ready():
        if process.poll() is not None:
            pytest.fail(f"the process ended before {what}: make the work longer")
        if time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail(f"{what} never happened")
        time.sleep(0.005)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def inventory(ledger: Ledger) -> Inventory:
    """Every stored event once per time it is stored: a duplicate would count 2."""
    found: Inventory = Counter()
    start = 1
    while page := ledger.recorder.select_notifications(start, 5_000):
        found.update((str(n.originator_id), n.originator_version, n.topic) for n in page)
        start = page[-1].id + 1
    return found


def assert_chains_whole(ledger: Ledger) -> None:
    report = verify(ledger)
    assert report.intact, [b.describe() for b in report.breaks]
    assert report.total == sum(inventory(ledger).values())


def assert_views_equal_a_clean_rebuild(
    ledger: Ledger, store: StoreConfig, settings: Settings, tmp_path: Path
) -> None:
    """The views as recovered (caught up from where they were) against a fresh rebuild."""
    views = open_view_store(settings, ledger)
    runner.catch_up(ledger, views)
    views.close()
    with fresh_store(store, tmp_path, ledger) as (clean, clean_settings):
        runner.rebuild(ledger, clean)
        assert dump(settings) == dump(clean_settings)
