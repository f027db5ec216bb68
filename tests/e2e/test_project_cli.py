"""``ledger project --workers N``: a rebuild's pages mapped by N processes, on
PostgreSQL only (the views' rows: ``tests/integration/test_rebuild_ranges.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.settings import Settings
from tests.e2e.test_cli_demo import run_ledger
from tests.integration.conftest import demo_and_history


@pytest.mark.parametrize("args", [["--once"], []], ids=["catch-up", "follow"])
def test_workers_without_a_rebuild_are_refused_with_exit_2(
    demo_db: tuple[Path, str], args: list[str]
) -> None:
    cwd, db = demo_db
    result = run_ledger("project", *args, "--workers", "2", cwd=cwd, db=db)

    assert result.returncode == 2
    assert "--workers spreads a rebuild (--rebuild)" in result.stderr


def test_workers_on_sqlite_are_refused_with_exit_2_and_the_views_untouched(
    demo_db: tuple[Path, str],
) -> None:
    cwd, db = demo_db
    before = (cwd / "demo.db").read_bytes()
    result = run_ledger("project", "--rebuild", "--workers", "2", cwd=cwd, db=db)

    assert result.returncode == 2
    assert "PostgreSQL's views" in result.stderr
    assert (cwd / "demo.db").read_bytes() == before


@pytest.mark.postgres
def test_a_rebuild_with_two_workers_writes_every_event_the_pipeline_writes(
    postgres_url: str, pg_schema: str, tmp_path: Path
) -> None:
    settings = Settings(database_url=postgres_url, postgres_schema=pg_schema)
    ledger = demo_and_history(settings, units=6, months=6)
    last = ledger.recorder.max_notification_id() or 0
    ledger.close()
    env = {"LEDGER_POSTGRES_SCHEMA": pg_schema}

    one = run_ledger("project", "--rebuild", cwd=tmp_path, db=postgres_url, env=env)
    two = run_ledger(
        "project", "--rebuild", "--workers", "2", "--page-size", "20",
        cwd=tmp_path, db=postgres_url, env=env,
    )  # fmt: skip

    assert one.returncode == 0, one.stderr
    assert two.returncode == 0, two.stderr
    assert f"position {last:,}" in two.stdout
    assert two.stdout.split("views rebuilt:")[1] == one.stdout.split("views rebuilt:")[1]
