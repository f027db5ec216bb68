"""Malformed files given to ``ledger import``, on SQLite and PostgreSQL.

The importer's contract (README "CLI at a glance", ``ledger import --help``):
- a file that cannot be read as the format (empty, no header with the required
  columns, a header that is not UTF-8) is refused whole: an ``InvalidValue`` naming
  the file, exit status 2, nothing written;
- otherwise every bad row is reported with its line number and the reason, its
  unit's rows are all left out (nothing of that unit is written), the other units
  are written, and the exit status is 1.
Never a traceback, whatever the bytes.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.application import Ledger
from ledger.domain.errors import InvalidValue, LedgerError
from ledger.domain.identifiers import resident_id_check_char
from ledger.domain.period import Period
from ledger.importer import ImportSummary, import_assessments, import_payments
from ledger.importing.csvfile import MAX_LINE, split_fields
from tests.integration.test_import import (
    ACTOR,
    ASSESSED_ON,
    HEADER,
    A,
    B,
    C,
)
from tests.integration.test_import import person as resident
from tests.integration.test_import import uscc as unit_code
from tests.integration.test_import_cli import chifeng_sqlite, run_import, unwrapped

MAY = Period(2024, 5)
PAYMENTS = "uscc,period,part,amount,paid_on\n"


def versions(ledger: Ledger) -> dict[str, int]:
    return {code: ledger.unit(code).version for code in (A, B, C)}


def assess_bytes(ledger: Ledger, tmp_path: Path, content: bytes) -> ImportSummary:
    path = tmp_path / "month.csv"
    path.write_bytes(content)
    return import_assessments(ledger, path, actor=ACTOR, assessed_on=ASSESSED_ON)


def wrong_check(code: str) -> str:
    return code[:-1] + ("0" if code[-1] != "0" else "1")


GOOD = f"{A},2024-05,{resident(1)},5000.00\n".encode()
TAIL = f"{C},2024-05,{resident(9)},4000.00\n".encode()


def _born(birth: str, area: str = "150402") -> str:
    body = f"{area}{birth}001"
    return body + resident_id_check_char(body)


def row(text: str) -> bytes:
    return f"{B},{text}\n".encode()


# ------------------------------------------------------------- bad rows


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        pytest.param(
            # the file's only non-ASCII line: it is read as GB18030 (issue 12), and its
            # name is one field too many
            f"{B},2024-05,{resident(2)},5000.00,张三\n".encode("gbk"),
            "has 5 fields, the header 4",
            id="gbk-text",
        ),
        pytest.param(
            f"{B},2024-05,{resident(2)},5000.00\xff\n".encode("latin-1"),
            "not UTF-8 text (byte 0xff",
            id="neither-utf8-nor-gb18030",
        ),
        pytest.param(
            f"{B},2024-05,{resident(2)},5000.00".encode("utf-16-le") + b"\n",
            "is not 18 characters",
            id="utf16-row",
        ),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xd8\xff,\n", "", id="binary-garbage"),
        pytest.param(row(f"2024-05,{resident(2)},5000.00\x00"), "is not an amount", id="nul"),
        pytest.param(
            f"{wrong_check(B)},2024-05,{resident(2)},5000.00\n".encode(),
            "check character should be",
            id="uscc-check-character",
        ),
        pytest.param(
            row(f"2024-05,{wrong_check(resident(2))},5000.00"),
            "check character",
            id="resident-id-check-character",
        ),
        pytest.param(row(f"2024-05,{resident(2)},-5000.00"), "must be positive", id="negative"),
        pytest.param(row(f"2024-05,{resident(2)},0.00"), "must be positive", id="zero"),
        pytest.param(row(f"2024-05,{resident(2)},{'9' * 40}"), "too large", id="absurd"),
        pytest.param(
            row(f"2024-05,{resident(2)},5000000000000.00"), "the largest amount", id="past-max"
        ),
        pytest.param(
            # each base fits, the unit's total would not (17 x 6% of 99,999,999,999.99)
            b"".join(row(f"2024-05,{resident(n)},99999999999.99") for n in range(20, 37)),
            "the largest amount",
            id="total-past-max",
        ),
        pytest.param(row(f"2024-05,{resident(2)},1e30"), "is not an amount", id="exponent"),
        pytest.param(row(f"2024-05,{resident(2)},五千"), "is not an amount", id="text-money"),
        pytest.param(row(f'2024-05,{resident(2)},"5,000.00"'), "is not an amount", id="comma"),
        pytest.param(row(f"2024-05,{resident(2)},NaN"), "is not an amount", id="nan"),
        pytest.param(row(f"2024-05,{resident(2)},5000.005"), "more than two decimals", id="fen"),
        pytest.param(row(f"2024-13,{resident(2)},5000.00"), "outside 1..12", id="month-13"),
        pytest.param(row(f"24-05,{resident(2)},5000.00"), "YYYY-MM", id="period-form"),
        pytest.param(row(f"9999-12,{resident(2)},5000.00"), "outside 1900..2200", id="year"),
        pytest.param(
            row(f"2150-01,{resident(2)},5000.00"), "outside the ledger's years", id="years"
        ),
        pytest.param(row(f"1990-01,{resident(2)},5000.00"), "no contribution rates", id="no-rates"),
        pytest.param(row("2024-05,,5000.00"), "resident", id="no-resident-id"),
        pytest.param(row(f"2024-05,{_born('20990101')},5000.00"), "is after", id="born-in-2099"),
        pytest.param(
            row(f"2024-05,{_born('19850101', '000000')},5000.00"),
            "area code 000000",
            id="area-000000",
        ),
        pytest.param(row(f"2024-05,{resident(2)}"), "has 3 fields, the header 4", id="missing"),
        pytest.param(row(f"2024-05,{resident(2)},1.00,x"), "has 5 fields", id="extra"),
        pytest.param(row(f'"2024-05,{resident(2)},1.00'), "", id="open-quote"),
        pytest.param(row(f"2024-05,{resident(2)},1.00\rx"), "", id="stray-carriage-return"),
        pytest.param(
            row(f"2024-05,{resident(2)},5000.00") * 2, "appears twice", id="duplicate-row"
        ),
    ],
)
def test_a_bad_row_is_reported_with_its_line_and_nothing_of_its_unit_is_written(
    chifeng: Ledger, tmp_path: Path, bad: bytes, reason: str
) -> None:
    before = versions(chifeng)

    summary = assess_bytes(chifeng, tmp_path, HEADER.encode() + GOOD + bad + TAIL)

    tail_line = 3 + bad.count(b"\n")
    assert summary.rejections, "the bad row was not reported"
    assert all(3 <= r.line < tail_line for r in summary.rejections)
    assert not {r.uscc for r in summary.rejections} & {A, C}
    assert reason in " ".join(r.reason for r in summary.rejections)
    assert chifeng.unit(B).version == before[B]
    assert MAY in chifeng.unit(A).assessments
    assert MAY in chifeng.unit(C).assessments
    assert not summary.ok


def test_a_field_of_megabytes_is_reported_in_a_line_of_reasonable_length(
    chifeng: Ledger, tmp_path: Path
) -> None:
    huge = row(f"2024-05,{resident(2)},{'x' * 900_000}")

    summary = assess_bytes(chifeng, tmp_path, HEADER.encode() + huge + TAIL)

    (rejection,) = summary.rejections
    assert rejection.line == 2
    assert "(900002 characters) is not an amount" in rejection.reason
    assert len(rejection.reason) < 300
    assert MAY in chifeng.unit(C).assessments


def test_a_line_longer_than_any_record_is_skipped_not_read_whole(
    chifeng: Ledger, tmp_path: Path
) -> None:
    endless = f"{B},2024-05,{resident(2)},".encode() + b"9" * (3 * MAX_LINE) + b"\n"

    summary = assess_bytes(chifeng, tmp_path, HEADER.encode() + GOOD + endless + TAIL)

    (rejection,) = summary.rejections
    assert (rejection.line, rejection.uscc) == (3, B)
    assert f"is longer than {MAX_LINE:,} bytes" in rejection.reason
    assert MAY in chifeng.unit(A).assessments
    assert MAY in chifeng.unit(C).assessments


# ------------------------------------------------------------ bad files


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        pytest.param(b"", "is empty", id="empty"),
        pytest.param(
            (HEADER + f"{A},2024-05,{resident(1)},5000.00\n").encode("utf-16"),
            "(the header) is not UTF-8 text (byte 0xff",
            id="utf16-with-bom",
        ),
        pytest.param(
            (HEADER + f"{A},2024-05,{resident(1)},5000.00\n").encode("utf-16-le"),
            "the header lacks",
            id="utf16-without-bom",
        ),
        # read as GB18030 (issue 12); 身份证号 is resident_id, the others name no column
        pytest.param(
            "单位代码,期间,身份证号,基数\n".encode("gbk"),
            "lacks uscc, period, base",
            id="gbk-header",
        ),
        pytest.param(bytes(range(256)) * 64, "the header lacks", id="binary"),
        pytest.param(GOOD, "the header lacks", id="no-header"),
        pytest.param(b"uscc,period,base\n" + GOOD, "lacks resident_id", id="missing-column"),
        pytest.param(
            (HEADER + f"{A},2024-05,{resident(1)},5000.00\n").replace("\n", "\r").encode(),
            "the header lacks base",
            id="old-mac-line-ends",
        ),
        pytest.param(b"9" * (5 * MAX_LINE), "is longer than", id="no-line-break-at-all"),
    ],
)
def test_a_file_that_is_not_the_format_is_refused_whole_and_nothing_is_written(
    chifeng: Ledger, tmp_path: Path, content: bytes, reason: str
) -> None:
    before = chifeng.recorder.max_notification_id()

    with pytest.raises(InvalidValue) as refused:
        assess_bytes(chifeng, tmp_path, content)

    assert reason in refused.value.message
    assert len(refused.value.message) < 600
    assert chifeng.recorder.max_notification_id() == before


def test_a_header_alone_imports_nothing_and_is_no_error(chifeng: Ledger, tmp_path: Path) -> None:
    before = chifeng.recorder.max_notification_id()

    summary = assess_bytes(chifeng, tmp_path, HEADER.encode())

    assert (summary.lines, summary.ok) == (0, True)
    assert chifeng.recorder.max_notification_id() == before


# ------------------------------------------------------------- the CLI


@pytest.mark.parametrize(
    ("content", "status", "said"),
    [
        pytest.param(
            (HEADER + f"{A},2024-05,{resident(1)},5000.00\n").encode("utf-16"),
            2,
            "is not UTF-8 text",
            id="utf16",
        ),
        pytest.param(bytes(range(256)) * 64, 2, "the header lacks", id="binary"),
        pytest.param(
            # a GB18030 file (issue 12): its base is read, and is no amount
            HEADER.encode() + GOOD + f"{B},2024-05,{resident(2)},五千\n".encode("gbk"),
            1,
            "line 3: base '五千' is not an amount",
            id="gbk-row",
        ),
    ],
)
def test_the_command_exits_as_documented_without_a_traceback(
    tmp_path: Path, content: bytes, status: int, said: str
) -> None:
    db = chifeng_sqlite(tmp_path)
    path = tmp_path / "month.csv"
    path.write_bytes(content)

    result = run_import(
        "assessments", str(path), "--assessed-on", "2024-06-05", db=db, cwd=tmp_path
    )

    assert result.returncode == status, result.stderr
    assert said in unwrapped(result.stderr)
    assert "Traceback" not in result.stderr


# ------------------------------------------------------------- payments


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        pytest.param(f"{A},2024-05,individual,-1.00,2024-06-10", "must be positive", id="negative"),
        pytest.param(f"{A},2024-05,individual,0,2024-06-10", "must be positive", id="zero"),
        pytest.param(f"{A},2024-05,individual,一百,2024-06-10", "is not an amount", id="text"),
        pytest.param(f"{A},2024-05,individual,1.001,2024-06-10", "two decimals", id="fen"),
        pytest.param(f"{A},2024-05,individual,{'9' * 40},2024-06-10", "too large", id="absurd"),
        pytest.param(
            f"{A},2024-05,individual,5000000000000.00,2024-06-10",
            "the largest amount",
            id="past-max",
        ),
        pytest.param(
            f"{A},2024-05,individual,100.00,9999-12-31", "outside the ledger's years", id="years"
        ),
        pytest.param(f"{A},2024-05,unit,1.00,2024-06-10", "is not unit_medical", id="part"),
        pytest.param(f"{A},2024-05,individual,1.00,2024/06/10", "not a date", id="date"),
        pytest.param(f"{A},2031-01,individual,1.00,2024-06-10", "no assessment item", id="period"),
        pytest.param(
            f"{A},2024-05,individual,1.00,2024-06-10\n{A},2024-05,individual,1.00,2024-06-10",
            "duplicate row",
            id="duplicate",
        ),
    ],
)
def test_a_bad_payment_row_is_reported_and_nothing_of_its_unit_is_paid(
    chifeng: Ledger, tmp_path: Path, bad: str, reason: str
) -> None:
    for n, code in enumerate((A, B), 1):
        chifeng.assess(code, MAY, ASSESSED_ON, ACTOR, lines=[(resident(n), "5000")])
    before = versions(chifeng)
    path = tmp_path / "paid.csv"
    path.write_text(
        PAYMENTS
        + f"{A},2024-05,unit_medical,300.00,2024-06-10\n"
        + bad
        + f"\n{B},2024-05,individual,100.00,2024-06-10\n",
        encoding="utf-8",
    )

    summary = import_payments(chifeng, path, actor=ACTOR)

    assert reason in " ".join(r.reason for r in summary.rejections)
    assert {r.uscc for r in summary.rejections} == {A}
    assert chifeng.unit(A).version == before[A]
    assert chifeng.unit(B).version == before[B] + 1


# ------------------------------------------------------------------ fuzz

USCCS = [A, B, C, unit_code(77)]  # the last is not registered
good_rows = st.builds(
    lambda code, month, n, base: f"{code},2024-{month:02d},{resident(n)},{base}",
    st.sampled_from(USCCS),
    st.integers(min_value=1, max_value=12),
    st.integers(min_value=1, max_value=6),
    st.sampled_from(["5000.00", "3333.33", "12000", "4350.5"]),
)
noise = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["-1.00", "0", "1e3", "1.005", "NaN", "2024-13", "", '"', "\r", "\x00"]),
    st.sampled_from(["五千", "9" * 30, "1,000.00", "91150402MA00000010"]),
)


@st.composite
def rows(draw: st.DrawFn) -> bytes:
    """A row as the format wants it, or one of its fields replaced, or odd bytes."""
    text = draw(good_rows)
    kind = draw(st.sampled_from(["good", "field", "bytes", "cut"]))
    if kind == "field":
        fields = text.split(",")
        fields[draw(st.integers(min_value=0, max_value=3))] = draw(noise)
        text = ",".join(fields)
    data = text.encode()
    if kind == "bytes":
        at = draw(st.integers(min_value=0, max_value=len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=4)) + data[at:]
    if kind == "cut":
        data = data[: draw(st.integers(min_value=0, max_value=len(data)))]
    return data + b"\n"


def reappearing(lines: list[bytes]) -> set[str]:
    """USCCs whose rows are not contiguous (by the first field, as the importer groups)."""
    seen: set[str] = set()
    again: set[str] = set()
    previous = None
    for line in lines:
        text = line.decode("utf-8", errors="replace").removesuffix("\r")
        if not text:
            continue
        try:
            code = split_fields(text)[0].strip().upper()
        except (csv.Error, IndexError):
            code = previous or ""
        if code != previous and code in seen:
            again.add(code)
        seen.add(code)
        previous = code
    return again


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(lines=st.lists(rows(), max_size=8))
def test_any_file_is_imported_reported_or_refused_never_raised(
    chifeng: Ledger, tmp_path: Path, lines: list[bytes]
) -> None:
    """Whatever the rows: a summary or a refusal (LedgerError), never another exception;
    a unit with a reported row is not written; the counts add up.

    The examples share one ledger (a fresh one each would be most of the time): what
    is checked is relative to the state before each import."""
    before = versions(chifeng)
    high_water = chifeng.recorder.max_notification_id()
    content = HEADER.encode() + b"".join(lines)

    try:
        summary = assess_bytes(chifeng, tmp_path, content)
    except LedgerError:
        assert chifeng.recorder.max_notification_id() == high_water
        return

    physical = content.split(b"\n")[1:]
    assert summary.lines == sum(1 for line in physical if line.removesuffix(b"\r"))
    # A unit whose rows reappear further down is written from its first rows and
    # rejected where it reappears (the documented contract): check the others.
    rejected = {r.uscc for r in summary.rejections} - reappearing(physical)
    for code in rejected & set(before):
        assert chifeng.unit(code).version == before[code], f"{code} was rejected but written"
    if not summary.units_written:
        assert chifeng.recorder.max_notification_id() == high_water
    assert all(2 <= r.line <= len(physical) + 1 for r in summary.rejections)
    assert all(r.reason for r in summary.rejections)
