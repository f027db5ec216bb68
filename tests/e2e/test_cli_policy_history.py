"""Adding notices from the command line, on the demo's SQLite file: the dry run first
(``ledger policy check``), then the enactment; a batch with an overlap enacts nothing."""

from __future__ import annotations

import json
from pathlib import Path

from ledger.demo import make_uscc
from tests.e2e.test_cli_demo import run_ledger

NOTICES = Path(__file__).resolve().parents[2] / "examples" / "notices"
#: the demo's Wuhai small retailer (乌海市示例零售有限公司)
RETAILER = make_uscc("91150302MA0Q1WH00")


def test_a_dry_run_lists_the_decisions_unit_by_unit_and_writes_nothing(
    demo_db: tuple[Path, str],
) -> None:
    where, url = demo_db
    before = run_ledger("policy", "list", cwd=where, db=url).stdout

    checked = run_ledger("policy", "check", "--dir", str(NOTICES), cwd=where, db=url)
    as_json = run_ledger(
        "policy", "check", "--dir", str(NOTICES), "--format", "json", cwd=where, db=url
    )

    assert checked.returncode == 0, checked.stderr
    assert "example-2023-deferral): new" in checked.stdout
    assert f"{RETAILER} 乌海市示例零售有限公司 (150300)" in checked.stdout
    assert "DeferralGranted" in checked.stdout
    assert "periods=2023-01..2023-03" in checked.stdout
    assert "Nothing was written" in checked.stdout
    previews = {p["document"]: p for p in json.loads(as_json.stdout)}
    assert previews["example-wuhai-2024"]["units"] == []
    assert "rates 1503 from 2024-01" in previews["example-wuhai-2024"]["rules_on"]
    assert run_ledger("policy", "list", cwd=where, db=url).stdout == before


def test_enacting_a_batch_with_an_overlap_enacts_none_of_it(demo_db: tuple[Path, str]) -> None:
    where, url = demo_db
    text = (NOTICES / "example-2023-deferral.toml").read_text(encoding="utf-8")
    clash = where / "clash.toml"
    clash.write_text(
        text.replace('id = "example-2023-deferral"', 'id = "clash"').replace(
            '"2023-01..2023-03"', '"2022-08..2022-12"'
        ),
        encoding="utf-8",
    )
    before = run_ledger("policy", "list", cwd=where, db=url).stdout

    enacted = run_ledger(
        "policy", "enact", str(NOTICES / "example-wuhai-2024.toml"), str(clash), cwd=where, db=url
    )

    assert enacted.returncode == 2
    assert "clash" in enacted.stderr
    assert "inner-mongolia-2022-19" in enacted.stderr
    assert "Traceback" not in enacted.stderr
    assert run_ledger("policy", "list", cwd=where, db=url).stdout == before
