"""Reports as files from the command line: ``--format csv|xlsx`` on the demo's SQLite
file, read back and compared with ``--format json``."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook

from ledger.demo import make_uscc
from ledger.reports import REDUCTIONS
from tests.e2e.test_cli_demo import run_ledger

WUHAI = make_uscc("91150302MA0Q1WH00")


def test_xlsx_is_written_to_a_file_named_after_the_report(demo_db: tuple[Path, str]) -> None:
    where, url = demo_db

    written = run_ledger(
        "report", "deferral-list", "--month", "2022-09", "--format", "xlsx", cwd=where, db=url
    )
    listed = run_ledger(
        "report", "deferral-list", "--month", "2022-09", "--format", "json", cwd=where, db=url
    )

    assert written.returncode == 0, written.stderr
    assert written.stdout == ""
    assert "2 rows written to deferral-list-2022-09.xlsx" in written.stderr
    sheet = load_workbook(where / "deferral-list-2022-09.xlsx")["缓缴清单"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    document = json.loads(listed.stdout)
    assert [(r[0], r[6], r[9]) for r in rows] == [
        (r["uscc"], r["persons"], float(r["amount"])) for r in document["rows"]
    ]
    assert rows[0][:2] == (WUHAI, "乌海市示例零售有限公司")


def test_xlsx_to_standard_output_and_to_a_named_file(demo_db: tuple[Path, str]) -> None:
    where, url = demo_db
    env = {**os.environ, "LEDGER_DATABASE_URL": url, "LEDGER_LOG_FORMAT": "json"}
    command = [sys.executable, "-m", "ledger", "report", "reductions", "--format", "xlsx"]

    piped = subprocess.run(
        [*command, "--output", "-"], cwd=where, env=env, capture_output=True, check=False
    )
    named = run_ledger(
        "report", "reductions", "--format", "xlsx", "--output", "减征.xlsx", cwd=where, db=url
    )

    assert piped.returncode == 0, piped.stderr
    assert named.returncode == 0, named.stderr
    sheets = [
        load_workbook(io.BytesIO(piped.stdout)).worksheets[0],
        load_workbook(where / "减征.xlsx").worksheets[0],
    ]
    for sheet in sheets:
        # Chifeng 2,100.00 before, 900.00 off; Lincang 1,600.00, 800.00 off; and the total
        assert [c.value for c in sheet[1]] == [c.zh for c in REDUCTIONS.columns]
        assert [r[5:8] for r in sheet.iter_rows(min_row=2, values_only=True)] == [
            (2100, 900, 1200),
            (1600, 800, 800),
            (3700, 1700, 2000),
        ]


def test_a_balance_as_csv_has_a_byte_order_mark(demo_db: tuple[Path, str]) -> None:
    where, url = demo_db

    result = run_ledger(
        "balance", WUHAI, "--as-of", "2023-08-01", "--format", "csv", cwd=where, db=url
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("\ufeff所属期,缴费项目,")
    # each month's unit medical part carries 109.55 of late fee (see test_cli_reads)
    assert ",109.55," in result.stdout


def test_bad_headers_and_a_terminal_table_to_a_file_are_refused(demo_db: tuple[Path, str]) -> None:
    where, url = demo_db

    result = run_ledger(
        "report", "statistics", "--format", "csv", "--headers", "fr", cwd=where, db=url
    )
    table = run_ledger("report", "statistics", "--output", "x.txt", cwd=where, db=url)

    assert result.returncode == 2
    assert "headers" in result.stderr
    assert table.returncode == 2
    assert "give --format json, csv or xlsx" in table.stderr
