"""Amending and revoking a policy from the command line, on the demo's SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

from ledger.catalogue.loader import default_catalogue_dir
from ledger.demo import make_uscc
from tests.e2e.test_cli_demo import run_ledger

CHIFENG = make_uscc("91150402MA0N1CF00")
AMENDED = "PolicyAmended 赤医保发〔2020〕3号 v1 -> v2"


def test_an_amendment_enacted_from_a_file_shows_its_reversals_in_the_audit(
    demo_db: tuple[Path, str],
) -> None:
    where, url = demo_db
    text = (default_catalogue_dir() / "chifeng-2020-3.toml").read_text(encoding="utf-8")
    amended = where / "chifeng-v2.toml"
    amended.write_text(
        text.replace("version = 1", "version = 2")
        .replace("enacted_on = 2020-03-13", "enacted_on = 2020-05-01")
        .replace('fraction = "0.5"', 'fraction = "0.4"'),
        encoding="utf-8",
    )

    enacted = run_ledger("policy", "enact", str(amended), cwd=where, db=url)
    audit = run_ledger(
        "audit", CHIFENG, "--kind", "ReductionReversed", "--format", "json", cwd=where, db=url
    )
    balance = run_ledger(
        "balance", CHIFENG, "--as-of", "2020-06-01", "--format", "json", cwd=where, db=url
    )

    assert enacted.returncode == 0, enacted.stderr
    entries = json.loads(audit.stdout)
    # the demo's bases are 15,000.00: v1 reduced 15,000 x 0.03 = 450.00 of February and March
    assert [(e["detail"]["period"], e["detail"]["totals"]) for e in entries] == [
        ("2020-02", [["2020-02", "unit_medical", "450.00"]]),
        ("2020-03", [["2020-03", "unit_medical", "450.00"]]),
    ]
    assert all(e["policy"].startswith("赤医保发〔2020〕3号 v1: ") for e in entries)
    assert {(e["caused_by"], e["detail"]["superseded_by"]) for e in entries} == {
        (AMENDED, "赤医保发〔2020〕3号 v2")
    }
    # v2 reduces 15,000 x 0.024 = 360.00 a month, 90.00 less: March owes 180.00 more
    # (it had been settled); May, outside the window, 1,350.00 unpaid: 1,530.00
    assert json.loads(balance.stdout)["totals"]["outstanding"] == "1530.00"


def test_policy_revoke_records_the_revocation_and_refuses_a_date_before_enactment(
    demo_db: tuple[Path, str],
) -> None:
    where, url = demo_db

    early = run_ledger(
        "policy", "revoke", "chifeng-2020-3", "--on", "2020-01-01", cwd=where, db=url
    )
    revoked = run_ledger(
        "policy", "revoke", "chifeng-2020-3", "--on", "2020-04-01", cwd=where, db=url
    )

    assert early.returncode == 2
    assert "took effect on 2020-03-13" in early.stderr
    assert revoked.returncode == 0, revoked.stderr
    # February and March began before 2020-04-01 and keep their reductions
    assert [e["type"] for e in json.loads(revoked.stdout)["events"]] == [
        "Revoked",
        "PolicyIndexed",
    ]


def test_a_revocation_reaching_an_approved_deferral_on_application_is_refused(
    demo_db: tuple[Path, str],
) -> None:
    """The demo's Lincang unit holds a deferral of 2020-05..10 granted on its application:
    an approver's decision that a revocation does not re-decide automatically."""
    where, url = demo_db

    refused = run_ledger(
        "policy", "revoke", "lincang-2020-14", "--on", "2020-04-01", cwd=where, db=url
    )

    assert refused.returncode == 2
    assert "deferral of 2020-05..2020-10 on" in refused.stderr
