"""``ledger import`` end to end: a subprocess against a SQLite file, as an operator runs it."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from ledger.application import Ledger
from ledger.catalogue.loader import load_default_catalogue
from ledger.domain.period import Period
from ledger.settings import Settings
from tests.integration.test_import import ACTOR, CHIFENG, HEADER, A, B, person

MAY = Period(2024, 5)


def run_import(*args: str, db: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LEDGER_DATABASE_URL": db, "LEDGER_LOG_FORMAT": "json"}
    return subprocess.run(
        [sys.executable, "-m", "ledger", "import", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def db(tmp_path: Path) -> str:
    return chifeng_sqlite(tmp_path)


def chifeng_sqlite(tmp_path: Path) -> str:
    """A SQLite ledger with Chifeng, the packaged catalogue and units A and B."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    ledger = Ledger(env=Settings(database_url=url).eventsourcing_env())
    for file in load_default_catalogue():
        ledger.enact_policy(file, ACTOR)
    ledger.register_region(CHIFENG, "赤峰市", "150000", ACTOR)
    for code in (A, B):
        ledger.register_unit(
            uscc=code,
            name=code,
            unit_type="enterprise",
            region=CHIFENG,
            agency="150400001",
            unit_number="",
            established_on=date(2015, 1, 1),
            actor=ACTOR,
        )
    ledger.close()
    return url


def unwrapped(text: str) -> str:
    """Messages as one line: the console wraps stderr at 80 columns off a terminal."""
    return " ".join(text.split())


def read_ledger(url: str) -> Ledger:
    return Ledger(env=Settings(database_url=url).eventsourcing_env())


def test_the_import_command_writes_the_month_and_exits_0(db: str, tmp_path: Path) -> None:
    path = tmp_path / "may.csv"
    path.write_text(
        HEADER + f"{A},2024-05,{person(1)},5000.00\n{B},2024-05,{person(2)},6000.00\n",
        encoding="utf-8",
    )

    result = run_import(
        "assessments", str(path), "--assessed-on", "2024-06-05", db=db, cwd=tmp_path
    )

    assert result.returncode == 0, result.stderr
    assert "units: 2 written, 0 unchanged, 0 rejected" in result.stdout
    assessment = read_ledger(db).unit(B).assessments[MAY]
    assert assessment.assessed_on == date(2024, 6, 5)
    again = run_import("assessments", str(path), db=db, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "units: 0 written, 2 unchanged, 0 rejected" in again.stdout


def test_rejected_rows_go_to_stderr_and_the_report_and_exit_1(db: str, tmp_path: Path) -> None:
    path = tmp_path / "may.csv"
    path.write_text(
        HEADER + f"{A},2024-05,{person(1)},5000.00\n{B},2024-13,{person(2)},6000.00\n",
        encoding="utf-8",
    )
    report = tmp_path / "rejected.csv"

    result = run_import("assessments", str(path), "--report", str(report), db=db, cwd=tmp_path)

    assert result.returncode == 1
    assert "line 3: period month 13 is outside 1..12" in result.stderr
    assert "units: 1 written, 0 unchanged, 1 rejected" in result.stdout
    with report.open(encoding="utf-8", newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["line", "uscc", "reason"]
    assert rows[1][:2] == ["3", B]
    assert MAY in read_ledger(db).unit(A).assessments


def test_a_file_that_cannot_be_imported_is_refused_with_exit_2(db: str, tmp_path: Path) -> None:
    missing = run_import("payments", str(tmp_path / "nowhere.csv"), db=db, cwd=tmp_path)
    (tmp_path / "bad.csv").write_text("uscc,amount\n", encoding="utf-8")
    bad_header = run_import("payments", str(tmp_path / "bad.csv"), db=db, cwd=tmp_path)

    assert (missing.returncode, bad_header.returncode) == (2, 2)
    assert "no such file" in unwrapped(missing.stderr)
    assert "the header lacks period, part, paid_on" in unwrapped(bad_header.stderr)
