"""``ledger replay`` as a user runs it, on the demo's SQLite file."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from ledger.catalogue.loader import default_catalogue_dir
from tests.e2e.test_cli_demo import run_ledger

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_the_deadline_example_on_the_demo_adds_181_days_of_late_fee_on_21000(
    demo_db: tuple[Path, str],
) -> None:
    where, url = demo_db

    result = run_ledger(
        "replay",
        "--policies",
        str(EXAMPLES / "deadline-2022-12-31"),
        "--as-of",
        "2023-08-31",
        "--format",
        "csv",
        cwd=where,
        db=url,
    )

    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    total = {r["measure"]: r for r in rows if r["section"] == "total"}
    # Wuhai's 21,000.00 repaid on 2023-07-31: late fee from 2023-01-01 instead of
    # 2023-07-01, 212 - 31 = 181 more days: 21,000.00 x 0.05% x 181 = 1,900.50.
    assert total["late_fee"]["difference"] == "1900.50"
    assert {r["key"] for r in rows if r["section"] == "unit"} == {"91150302MA0Q1WH00Y"}


def test_the_packaged_catalogue_replayed_over_the_demo_changes_nothing(
    demo_db: tuple[Path, str],
) -> None:
    where, url = demo_db

    result = run_ledger(
        "replay",
        "--policies",
        str(default_catalogue_dir()),
        "--as-of",
        "2023-08-31",
        cwd=where,
        db=url,
    )

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["units_compared"], report["units_changed"]) == (5, 0)


def test_an_html_report_is_written_to_a_file(demo_db: tuple[Path, str]) -> None:
    where, url = demo_db

    result = run_ledger(
        "replay",
        "--policies",
        str(EXAMPLES / "chifeng-whole-7-percent"),
        "--as-of",
        "2020-12-31",
        "--format",
        "html",
        "--output",
        "replay.html",
        cwd=where,
        db=url,
    )

    assert result.returncode == 0, result.stderr
    page = (where / "replay.html").read_text(encoding="utf-8")
    assert page.count("<svg") == 2
    assert "<script" not in page


def test_a_directory_without_catalogue_files_is_refused_with_status_2(
    demo_db: tuple[Path, str], tmp_path: Path
) -> None:
    where, url = demo_db

    result = run_ledger("replay", "--policies", str(tmp_path), cwd=where, db=url)

    assert result.returncode == 2
    assert "holds no catalogue files" in " ".join(result.stderr.split())
