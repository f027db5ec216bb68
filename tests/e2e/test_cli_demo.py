"""The README's first command: ``ledger demo`` on a fresh SQLite file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_ledger(
    *args: str, cwd: Path, db: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LEDGER_LOG_FORMAT": "json", **(env or {})}
    if db:
        env["LEDGER_DATABASE_URL"] = db
    return subprocess.run(
        [sys.executable, "-m", "ledger", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_demo_records_the_seed_examples_in_a_fresh_sqlite_file(tmp_path: Path) -> None:
    result = run_ledger("demo", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "ledger-demo.db").exists()
    out = result.stdout
    assert "450.00 held as credit" in out
    assert "CreditCarriedForward" in out
    assert "RefundOwed" in out
    assert "deadline=2020-11-30" in out
    assert "DeferralShifted" in out
    assert "periods=2022-08..2022-10" in out
    assert "late fee 325.50" in out
    assert "cannot deregister: 4320.00 of deferred contributions are unpaid" in out
    assert "DeregistrationCompleted" in out


def test_demo_starts_afresh_each_time(tmp_path: Path) -> None:
    first = run_ledger("demo", cwd=tmp_path)

    second = run_ledger("demo", cwd=tmp_path)

    assert first.returncode == second.returncode == 0
    assert first.stdout.count("PeriodAssessed") == second.stdout.count("PeriodAssessed")


def test_a_bad_check_character_is_refused_with_a_message_and_exit_status_2(
    tmp_path: Path,
) -> None:
    db = f"sqlite:///{tmp_path / 'x.db'}"
    run_ledger("region", "register", "150400", "赤峰市", cwd=tmp_path, db=db)

    result = run_ledger(
        "unit",
        "register",
        "91110108MA01XKQ329",
        "X",
        "--region",
        "150400",
        "--agency",
        "150401",
        cwd=tmp_path,
        db=db,
    )

    assert result.returncode == 2
    assert "check character should be 8, got 9" in result.stderr
    assert "Traceback" not in result.stderr
