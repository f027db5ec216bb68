"""The CLI at the ledger's edges (issue 13), on SQLite and PostgreSQL: a refusal is one
line naming the rule and exit status 2, nothing is written, and the reads keep answering."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import ledger.catalogue
from ledger.demo import make_uscc
from tests.conftest import StoreConfig

UNIT = make_uscc("91150402MA0N1ED00")
LATE_FEE = Path(ledger.catalogue.__file__).parent / "data" / "national-late-fee.toml"


def run(store: StoreConfig, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LEDGER_LOG_FORMAT": "json", "LEDGER_DATABASE_URL": store.database_url}
    if store.postgres_schema:
        env["LEDGER_POSTGRES_SCHEMA"] = store.postgres_schema
    return subprocess.run(
        [sys.executable, "-m", "ledger", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_an_amount_or_a_date_past_the_ledgers_bounds_is_refused_with_exit_2(
    store: StoreConfig, tmp_path: Path
) -> None:
    for setup in (
        ("policy", "enact", str(LATE_FEE)),
        ("region", "register", "150400", "赤峰市"),
        ("unit", "register", UNIT, "测试单位", "--region", "150400", "--agency", "150401"),
    ):
        done = run(store, tmp_path, *setup)
        assert done.returncode == 0, done.stderr

    refused = run(store, tmp_path, "unit", "pay", UNIT, "5000000000000.00", "--on", "2020-06-10")
    late = run(store, tmp_path, "unit", "pay", UNIT, "100.00", "--on", "9999-12-31")
    early = run(store, tmp_path, "balance", UNIT, "--as-of", "0001-01-01")
    far = run(store, tmp_path, "report", "reminders", "--as-of", "9999-12-31")
    largest = run(store, tmp_path, "unit", "pay", UNIT, "99999999999.99", "--on", "2020-06-10")
    balance = run(store, tmp_path, "balance", UNIT, "--as-of", "2020-06-30", "--format", "json")

    assert refused.returncode == 2, refused.stderr
    # (the refusal's wrapping at 80 columns is issue 13.11's, on another branch)
    assert "past 99,999,999,999.99, the largest amount" in " ".join(refused.stderr.split())
    for dated, field in ((late, "date"), (early, "as_of"), (far, "as_of")):
        # the ledger's years, 1990-01-01..2099-12-31 (issue 13.3)
        assert dated.returncode == 2, dated.stderr
        assert "outside the ledger's years" in " ".join(dated.stderr.split()), dated.stderr
        assert f"({field})" in dated.stderr
    assert largest.returncode == 0, largest.stderr
    assert balance.returncode == 0, balance.stderr
    # only the largest payment was recorded: all of it held as credit
    assert json.loads(balance.stdout)["credit_held"] == "99999999999.99"
