"""The CLI as a new user meets it (issue 13 item 11), run as a subprocess whose stdout and
stderr are pipes, as in a script: every refusal one unwrapped line and an exit status,
the API's rules in the API's words, tables at their own width, no log lines among the
refusals unless asked for, help that reads.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ledger.demo import make_resident_id, make_uscc
from ledger.domain.errors import InvalidValue
from ledger.domain.identifiers import parse_uscc
from ledger.domain.money import money_text
from tests.conftest import json_lines

WUHAI = make_uscc("91150302MA0Q1WH00")
LEAVER = make_resident_id("150302", "19920202", 99)
NEWCOMER = make_resident_id("150302", "19950505", 7)


def ledger(*args: str, cwd: Path, db: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    """``ledger ARGS`` with the user's environment: no LEDGER_LOG_* set."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    environment.pop("COLUMNS", None)
    if db:
        environment["LEDGER_DATABASE_URL"] = db
    return subprocess.run(
        [sys.executable, "-m", "ledger", *args],
        cwd=cwd,
        env={**environment, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def one_line_refusal(result: subprocess.CompletedProcess[str], status: int = 2) -> str:
    assert result.returncode == status, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def refusal_words(error: type[Exception], call: object, *args: str) -> str:
    """The words the domain (hence the API) refuses a value with."""
    with pytest.raises(error) as refused:
        call(*args)  # type: ignore[operator]
    return str(refused.value)


@pytest.mark.parametrize("item", ["2020-04-individual-100", "2020-04:individual"])
def test_a_payment_item_of_the_wrong_form_is_one_line_naming_the_form(
    demo_db: tuple[Path, str], item: str
) -> None:
    where, url = demo_db

    paid = ledger(
        "unit", "pay", WUHAI, "100.00", "--on", "2022-08-01", "--item", item, cwd=where, db=url
    )

    line = one_line_refusal(paid)
    assert f"--item '{item}' is not PERIOD:PART:AMOUNT" in line


def test_a_negative_amount_is_refused_as_negative_not_taken_for_an_option(
    demo_db: tuple[Path, str],
) -> None:
    where, url = demo_db

    line = one_line_refusal(ledger("unit", "pay", WUHAI, "-5", cwd=where, db=url))

    assert "amount '-5' is negative" in line


def test_an_amount_is_refused_by_the_api_s_rule_in_the_api_s_words(
    demo_db: tuple[Path, str],
) -> None:
    where, url = demo_db

    line = one_line_refusal(
        ledger("unit", "pay", WUHAI, "300", "--on", "2022-08-01", cwd=where, db=url)
    )

    # the API's _money validator raises exactly these words (tests/api/test_payments.py)
    assert refusal_words(InvalidValue, money_text, "300") in line
    assert "is not of the form 1234.50" in line


def test_a_uscc_of_the_wrong_form_is_an_invalid_identifier_as_over_http(
    demo_db: tuple[Path, str],
) -> None:
    where, url = demo_db

    for command in (("balance", "U"), ("audit", "U"), ("unit", "show", "U")):
        line = one_line_refusal(ledger(*command, cwd=where, db=url))
        assert refusal_words(InvalidValue, parse_uscc, "U") in line
        assert "GB 32100" in line


def test_an_unknown_database_scheme_is_one_unwrapped_line(tmp_path: Path) -> None:
    line = one_line_refusal(ledger("balance", WUHAI, cwd=tmp_path, db="mysql://x"))

    assert len(line) > 80  # would have been folded at 80 columns
    assert "LEDGER_DATABASE_URL 'mysql://x': the scheme must be sqlite or postgresql" in line


def test_a_sqlite_file_in_a_missing_directory_is_named(tmp_path: Path) -> None:
    url = "sqlite:///nowhere/ledger.db"

    line = one_line_refusal(ledger("balance", WUHAI, cwd=tmp_path, db=url))

    assert f"the directory {tmp_path / 'nowhere'} of the SQLite file nowhere/ledger.db" in line


def test_a_setting_of_the_wrong_form_is_one_line(tmp_path: Path) -> None:
    line = one_line_refusal(ledger("policy", "list", cwd=tmp_path, LEDGER_LOG_LEVEL="loud"))

    assert line.startswith("refused (configuration): LEDGER_LOG_LEVEL")


def test_a_mistyped_option_is_one_line_naming_the_command(tmp_path: Path) -> None:
    line = one_line_refusal(ledger("unit", "assess", WUHAI, "2022-07", "--onn", "x", cwd=tmp_path))

    assert line.startswith("usage: ledger unit assess: No such option: --onn")


def test_a_person_joins_with_base_as_an_option_or_after_the_id(
    demo_db: tuple[Path, str],
) -> None:
    where, url = demo_db
    other = make_resident_id("150302", "19960606", 8)

    by_option = ledger(
        "person",
        "join",
        WUHAI,
        NEWCOMER,
        "--base",
        "4000.00",
        "--on",
        "2022-08-01",
        cwd=where,
        db=url,
    )
    by_position = ledger(
        "person", "join", WUHAI, other, "4000.00", "--on", "2022-08-01", cwd=where, db=url
    )
    neither = ledger("person", "join", WUHAI, other, "--on", "2022-08-01", cwd=where, db=url)

    assert by_option.returncode == 0, by_option.stderr
    assert by_position.returncode == 0, by_position.stderr
    assert "give the contribution base" in one_line_refusal(neither)


def test_a_command_in_a_script_writes_no_log_lines_unless_asked(
    demo_db: tuple[Path, str], tmp_path: Path
) -> None:
    where, url = demo_db
    log = tmp_path / "ledger.log"

    quiet = ledger("region", "register", "150500", "通辽市", cwd=where, db=url)
    logged = ledger(
        "region", "register", "150600", "鄂尔多斯市", cwd=where, db=url, LEDGER_LOG_FILE=str(log)
    )

    assert (quiet.returncode, quiet.stderr) == (0, "")
    assert (logged.returncode, logged.stderr) == (0, "")
    assert [line["event"] for line in json_lines(log.read_text(encoding="utf-8"))] == [
        "register_region"
    ]


@pytest.mark.parametrize(
    ("command", "subject"),
    [("balance", WUHAI), ("audit", WUHAI), ("rights", LEAVER)],
)
def test_the_reads_write_csv_as_their_help_offers(
    demo_db: tuple[Path, str], command: str, subject: str
) -> None:
    where, url = demo_db

    read = ledger(command, subject, "--format", "csv", cwd=where, db=url)

    assert read.returncode == 0, read.stderr
    rows = list(csv.reader(io.StringIO(read.stdout.removeprefix("\ufeff"))))
    assert len(rows) > 1


def test_a_piped_audit_trail_keeps_what_each_event_recorded_on_its_line(
    demo_db: tuple[Path, str],
) -> None:
    where, url = demo_db

    trail = ledger("audit", WUHAI, cwd=where, db=url)

    assert trail.returncode == 0, trail.stderr
    *_headers, rows = trail.stdout.splitlines()[:3], trail.stdout.splitlines()[3:]
    assert rows
    # one line per event: no row folded onto continuation lines
    assert all(row[:2] == "20" for row in rows), "\n".join(rows)
    registered = next(row for row in rows if " Registered " in row)
    assert f"uscc={WUHAI}," in registered
    assert "established_on=" in registered  # the "what" column whole, not folded


def test_a_piped_audit_trail_of_narrow_columns_does_not_fold_what_was_recorded(
    tmp_path: Path,
) -> None:
    # Few, narrow columns (no reason, no policy) and a long "what": the probe saw that
    # column folded to 12 characters in a pipe (a regression test: main already printed
    # a table wider than the console at its own width when this was written).
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    uscc = make_uscc("91150402MA0N1CF00")
    for command in (
        ("region", "register", "150400", "赤峰市"),
        (
            "unit",
            "register",
            uscc,
            "赤峰市红山区示例商贸有限公司",
            "--region",
            "150400",
            "--agency",
            "150401",
            "--established",
            "2012-05-01",
            "--number",
            "1504021234567",
        ),
    ):
        assert ledger(*command, cwd=tmp_path, db=url).returncode == 0

    trail = ledger("audit", uscc, cwd=tmp_path, db=url)

    assert trail.returncode == 0, trail.stderr
    rows = trail.stdout.splitlines()[3:]
    assert len(rows) == 1, trail.stdout  # the one event, on one line
    assert "unit_number=1504021234567" in rows[0]
    assert "established_on=2012-05-01" in rows[0]


def test_help_reads_whole_sentences_and_flags_show_no_type(tmp_path: Path) -> None:
    top = ledger("--help", cwd=tmp_path, COLUMNS="200")
    decide = ledger("deferral", "decide", "--help", cwd=tmp_path)

    assert top.returncode == decide.returncode == 0
    assert "with actor, reason and, for decisions, the policy applied" in top.stdout
    assert "<bool>" not in top.stdout + decide.stdout
    assert "--approve" in decide.stdout
