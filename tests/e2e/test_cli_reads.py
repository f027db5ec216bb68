"""The read commands as a user runs them: on the demo's SQLite file, as subprocesses.

Each command catches the views up with the events first, so the first one run here
also builds the view tables of the demo file.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from ledger.demo import make_resident_id, make_uscc
from tests.e2e.test_cli_demo import run_ledger

WUHAI = make_uscc("91150302MA0Q1WH00")
LINCANG = make_uscc("91530902MA6K1LC00")
LEAVER = make_resident_id("150302", "19920202", 99)


def ledger_json(demo_db: tuple[Path, str], *args: str) -> Any:
    where, url = demo_db
    result = run_ledger(*args, "--format", "json", cwd=where, db=url)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_balance_shows_the_late_fee_of_the_late_repayment(demo_db: tuple[Path, str]) -> None:
    view = ledger_json(demo_db, "balance", WUHAI, "--as-of", "2023-08-01")

    # 21,000.00 x 0.05% x 31 days = 325.50, + 3 x 420.00 x 0.05% x 5 days = 3.15
    assert view["totals"]["late_fee"] == "328.65"
    assert view["totals"]["outstanding"] == "0.00"
    assert [i["late_fee"] for i in view["items"] if i["part"] == "unit_medical"] == [
        "109.55",
        "109.55",
        "109.55",
    ]


def test_balance_of_lincang_after_its_deferral_deadline(demo_db: tuple[Path, str]) -> None:
    view = ledger_json(demo_db, "balance", LINCANG, "--as-of", "2020-12-15")

    # February and March paid and half refunded (March paid 03-12, before its assessment
    # dated 04-01: it still settles it); May and June, 1,000.00 each, deferred to
    # 2020-11-30 and never repaid: 2,000.00 x 0.05% x 15 days = 15.00
    assert (view["totals"]["outstanding"], view["totals"]["late_fee"]) == ("2000.00", "15.00")
    assert view["totals"]["refunded"] == "800.00"


def test_balance_as_a_table_and_an_unknown_unit_refused(demo_db: tuple[Path, str]) -> None:
    where, url = demo_db

    table = run_ledger("balance", WUHAI, "--as-of", "2023-07-10", cwd=where, db=url)
    unknown = run_ledger("balance", make_uscc("91110108MA01XKQ32"), cwd=where, db=url)
    before = run_ledger("balance", WUHAI, "--known-at", "2000-01-01", cwd=where, db=url)

    # 10 days after the deadline: 21,000.00 x 0.05% x 10 = 105.00, + 3.15
    assert table.returncode == 0, table.stderr
    assert "108.15" in table.stdout
    assert (unknown.returncode, before.returncode) == (2, 2)
    assert "no unit registered" in unknown.stderr
    # a bare date is the end of that day, China Standard Time
    assert "as known at 2000-01-01T23:59:59+08:00" in before.stderr.replace("\n", "")


def test_rights_show_the_called_due_part_and_the_credits(demo_db: tuple[Path, str]) -> None:
    record = ledger_json(demo_db, "rights", LEAVER, "--as-of", "2022-10-21")

    months = record["months"]
    assert [m["period"] for m in months] == ["2022-07", "2022-08", "2022-09"]
    # 6,000.00 x 7% = 420.00 called due on 2022-10-20, unpaid the day after: arrears
    assert {(m["unit_part"], m["unit_state"], m["in_arrears"]) for m in months} == {
        ("420.00", "called_due", True)
    }
    # 6,000.00 x 2% = 120.00 to the personal account, credited as the part was paid
    assert [(m["credit"], m["credited_on"]) for m in months] == [
        ("120.00", "2022-08-10"),
        ("120.00", "2022-09-10"),
        ("120.00", "2022-10-10"),
    ]


def test_audit_shows_decisions_with_their_policy(demo_db: tuple[Path, str]) -> None:
    entries = ledger_json(demo_db, "audit", LINCANG, "--kind", "RefundOwed")

    # February and March, 400.00 each, refunded when 临医保联发〔2020〕14号 was enacted
    assert [(e["type"], e["on"], e["detail"]["items"]) for e in entries] == [
        ("RefundOwed", "2020-03-14", [["2020-02", "unit_medical", "400.00"]]),
        ("RefundOwed", "2020-03-14", [["2020-03", "unit_medical", "400.00"]]),
    ]
    assert all(e["policy"].startswith("临医保联发〔2020〕14号 v1: ") for e in entries)


def test_the_deferral_list_as_csv_with_the_notices_headers(demo_db: tuple[Path, str]) -> None:
    where, url = demo_db

    result = run_ledger(
        "report", "deferral-list", "--month", "2022-09", "--format", "csv", cwd=where, db=url
    )

    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["统一社会信用代码"], r["缓缴人数"], r["缓缴金额"]) for r in rows] == [
        (WUHAI, "21", "7420.00"),  # as of 2022-10-01, before the resignation
        (make_uscc("92150302MA0Q2WH00"), "0", "0.00"),  # window shifted, 09 not assessed
    ]
    assert {(r["缓缴类型"], r["险种类型代码"], r["缓缴期限"]) for r in rows} == {
        ("66", "310", "20230630")
    }
    assert all(len(r["传输时间"]) == 14 for r in rows)


def test_statistics_sum_upward(demo_db: tuple[Path, str]) -> None:
    stats = ledger_json(demo_db, "report", "statistics", "--month", "2022-09")

    assert [
        (s["level"], s["code"], s["units"], s["persons"], s["amount"]) for s in stats["lines"]
    ] == [
        ("province", "150000", 1, 21, "7420.00"),
        ("prefecture", "150300", 1, 21, "7420.00"),
        ("agency", "150301", 1, 21, "7420.00"),
        ("total", "", 1, 21, "7420.00"),
    ]


def test_the_reduction_table_of_the_demo(demo_db: tuple[Path, str]) -> None:
    table = ledger_json(demo_db, "report", "reductions")

    # Chifeng Feb and Mar: (900.00 + 150.00) x 2 = 2,100.00, 450.00 x 2 off;
    # Lincang Feb and Mar: 800.00 x 2 = 1,600.00, half off
    assert [(u["uscc"][:8], u["before"], u["reduction"], u["after"]) for u in table["lines"]] == [
        ("91150402", "2100.00", "900.00", "1200.00"),
        ("91530902", "1600.00", "800.00", "800.00"),
    ]
    assert table["totals"] == {
        "units": 2,
        "persons": 5,
        "before": "3700.00",
        "reduction": "1700.00",
        "after": "2000.00",
    }


def test_reminders_a_month_before_the_deadline(demo_db: tuple[Path, str]) -> None:
    found = ledger_json(demo_db, "report", "reminders", "--as-of", "2023-06-01")

    assert [(r["uscc"], r["due_on"], r["days_left"], r["amount"]) for r in found] == [
        (WUHAI, "2023-06-30", 29, "21000.00")
    ]
