"""``ledger replay`` as a user runs it, on the demo's SQLite file."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from pathlib import Path

from ledger.bootstrap import build_ledger
from ledger.catalogue.loader import default_catalogue_dir
from ledger.settings import Settings
from tests.acceptance.conftest import WUHAI, Agency
from tests.conftest import json_lines
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
        "--full",  # every unit replayed whole (scoped, nothing differs: none would be)
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


def test_the_html_reports_charts_can_be_read(demo_db: tuple[Path, str]) -> None:
    where, url = demo_db

    result = run_ledger(
        "replay",
        "--policies",
        str(EXAMPLES / "deadline-2022-12-31"),
        "--as-of",
        "2023-08-31",
        "--format",
        "html",
        cwd=where,
        db=url,
    )

    assert result.returncode == 0, result.stderr
    chart = result.stdout.split("<svg")[1].split("</svg>")[0]
    # the demo's months run 2020-02..2023-07: years on the axis, not bare month numbers
    assert re.findall(r">(\d{4})</text>", chart) == ["2021", "2022", "2023"]
    assert len(re.findall(r'text-anchor="end" dominant-baseline="middle">', chart)) > 2
    assert re.findall(r'class="axis-title"[^>]*>([^<]+)<', chart) == [
        "net, yuan",
        "month (flows drawn on the first day of each month)",
    ]
    assert len(re.findall(r'class="legend-sample"', chart)) == 2
    # the record under the reform, wider and lighter; the reform dashed on top
    record, reform = re.findall(r'<polyline class="series"[^>]*>', chart)
    assert 'stroke-width="7"' in record
    assert 'stroke-dasharray="7 4"' in reform


def test_a_directory_without_catalogue_files_is_refused_with_status_2(
    demo_db: tuple[Path, str], tmp_path: Path
) -> None:
    where, url = demo_db

    result = run_ledger("replay", "--policies", str(tmp_path), cwd=where, db=url)

    assert result.returncode == 2
    assert "holds no catalogue files" in " ".join(result.stderr.split())


def test_a_shipped_example_set_is_named_from_any_directory(demo_db: tuple[Path, str]) -> None:
    where, url = demo_db  # the demo's directory holds no examples/

    result = run_ledger(
        "replay", "--policies", "deadline-2022-12-31", "--as-of", "2023-08-31", cwd=where, db=url
    )
    unknown = run_ledger("replay", "--policies", "no-such-set", cwd=where, db=url)

    assert result.returncode == 0, result.stderr
    # the same 1,900.50 as the deadline example given by its directory, above
    assert json.loads(result.stdout)["total"]["difference"]["late_fee"] == "1900.50"
    assert unknown.returncode == 2
    assert "chifeng-whole-7-percent" in unknown.stderr


def test_full_and_worker_processes_print_the_report_of_the_scoped_replay(
    demo_db: tuple[Path, str],
) -> None:
    where, url = demo_db
    command = ("replay", "--policies", "deadline-2022-12-31", "--as-of", "2023-08-31")

    scoped = run_ledger(*command, "--workers", "1", cwd=where, db=url)
    full = run_ledger(*command, "--full", "--workers", "1", cwd=where, db=url)
    spread = run_ledger(*command, "--workers", "2", "--output", "spread.json", cwd=where, db=url)

    assert scoped.returncode == full.returncode == spread.returncode == 0, spread.stderr
    assert scoped.stdout == full.stdout == (where / "spread.json").read_text(encoding="utf-8")
    # Of the demo's 5 units, the changed notice reaches those of Inner Mongolia it may
    # decide on; the message says how many were replayed.
    assert re.search(r"5 units compared \(\d replayed", " ".join(spread.stderr.split()))


def test_fewer_than_one_worker_is_refused_with_status_2(demo_db: tuple[Path, str]) -> None:
    where, url = demo_db

    result = run_ledger(
        "replay", "--policies", "deadline-2022-12-31", "--workers", "0", cwd=where, db=url
    )

    assert result.returncode == 2
    assert "--workers 0: at least 1" in result.stderr


def test_two_worker_processes_print_on_stdout_the_report_of_one(tmp_path: Path) -> None:
    """120 units: more than one batch, so ``--workers 2`` starts two processes (the
    demo's 5 units are one batch, replayed in the process itself)."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    ledger = build_ledger(Settings(database_url=url), configure_logs=False)
    try:
        agency = Agency(ledger)
        agency.enact_catalogue()
        agency.region(WUHAI, fund_months=10)
        for n in range(120):
            uscc = agency.unit(WUHAI, size_class="small" if n % 3 else None)
            agency.person(uscc, f"{5000 + n}.00")
            agency.assess(uscc, "2022-07", date(2022, 8, 5))
    finally:
        ledger.close()
    command = ("replay", "--policies", "deadline-2022-12-31", "--as-of", "2023-08-31")

    alone = run_ledger(*command, "--workers", "1", cwd=tmp_path, db=url)
    spread = run_ledger(*command, "--workers", "2", cwd=tmp_path, db=url)

    assert alone.returncode == spread.returncode == 0, spread.stderr
    assert spread.stdout == alone.stdout
    report = json.loads(spread.stdout)
    assert (report["units_compared"], report["units_changed"]) == (120, 80)
    assert any(line.get("workers") == 2 for line in json_lines(spread.stderr))
