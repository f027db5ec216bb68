"""The import reads xlsx workbooks and GB18030 CSV as well as UTF-8, told apart by their
content, on SQLite and PostgreSQL; ambiguous or unusable input is refused naming the
line (the sheet's row) and writes nothing.

Chifeng's rates (packaged catalogue): 6% + 1% unit part, 2% individual, so a base of
5000.00 is assessed 300.00 / 50.00 / 100.00 and 4350.50 is 261.03 / 43.51 / 87.01.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from ledger.application import Ledger
from ledger.domain.errors import InvalidValue
from ledger.domain.terms import Part
from ledger.importer import import_assessments, import_payments
from tests.integration.test_import import (
    ACTOR,
    ASSESSED_ON,
    MAY,
    A,
    B,
    C,
    parts,
)
from tests.integration.test_import import person as resident
from tests.integration.test_import_cli import chifeng_sqlite, run_import, unwrapped

#: "2024-05" as a spreadsheet turns it into a date: a naive date-time, as cells hold
SPREADSHEET_MAY = datetime(2024, 5, 1)  # noqa: DTZ001
#: the columns as a spreadsheet exported in Chinese names them
CHINESE_HEADER = "统一社会信用代码,费款所属期,公民身份号码,缴费基数\n"


def workbook(
    path: Path, rows: list[list[Any]], number_formats: dict[int, str] | None = None
) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    for column, fmt in (number_formats or {}).items():
        for cells in sheet.iter_rows(min_col=column, max_col=column):
            cells[0].number_format = fmt
    book.save(path)
    return path


def assess(ledger: Ledger, path: Path) -> Any:
    return import_assessments(ledger, path, actor=ACTOR, assessed_on=ASSESSED_ON)


def versions(ledger: Ledger) -> dict[str, int]:
    return {code: ledger.unit(code).version for code in (A, B, C)}


# --------------------------------------------------------------------- CSV


def test_a_gb18030_file_with_chinese_headers_imports_as_utf8_would(
    chifeng: Ledger, tmp_path: Path
) -> None:
    text = (
        CHINESE_HEADER + f"{A},2024-05,{resident(1)},5000.00\n{B},2024-05,{resident(2)},4350.50\n"
    )
    path = tmp_path / "核定.csv"
    path.write_bytes(text.encode("gb18030"))

    summary = assess(chifeng, path)

    assert (summary.units_written, summary.lines_written, summary.ok) == (2, 2, True)
    assert parts(chifeng, A) == {
        Part.unit_medical: Decimal("300.00"),
        Part.unit_maternity: Decimal("50.00"),
        Part.individual: Decimal("100.00"),
    }
    assert parts(chifeng, B)[Part.unit_medical] == Decimal("261.03")


def test_a_gb18030_byte_order_mark_is_not_part_of_the_header(
    chifeng: Ledger, tmp_path: Path
) -> None:
    path = tmp_path / "month.csv"
    path.write_bytes(
        b"\x84\x31\x95\x33"
        + (CHINESE_HEADER + f"{A},2024-05,{resident(1)},5000.00\n").encode("gb18030")
    )

    assert assess(chifeng, path).lines_written == 1


def test_a_file_mixing_utf8_and_gb18030_lines_is_refused_naming_a_line_of_each(
    chifeng: Ledger, tmp_path: Path
) -> None:
    before = chifeng.recorder.max_notification_id()
    path = tmp_path / "month.csv"
    path.write_bytes(
        b"uscc,period,resident_id,base,name\n"
        + f"{A},2024-05,{resident(1)},5000.00,张三\n".encode()
        + f"{B},2024-05,{resident(2)},5000.00,李四\n".encode("gbk")
    )

    with pytest.raises(InvalidValue) as refused:
        assess(chifeng, path)

    assert "line 2 is UTF-8 text, line 3 is not but reads as GB18030" in refused.value.message
    assert chifeng.recorder.max_notification_id() == before


def test_an_old_xls_workbook_is_refused_with_what_to_do(chifeng: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "month.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))

    with pytest.raises(InvalidValue) as refused:
        assess(chifeng, path)

    assert "save it as .xlsx" in refused.value.message


# -------------------------------------------------------------------- xlsx


def test_a_workbook_imports_as_its_csv_would(chifeng: Ledger, tmp_path: Path) -> None:
    # the period typed as 2024-05 became a date; the bases are number cells
    path = workbook(
        tmp_path / "核定.xlsx",
        [
            ["统一社会信用代码", "费款所属期", "公民身份号码", "缴费基数"],
            [A, SPREADSHEET_MAY, resident(1), 5000],
            [A, SPREADSHEET_MAY, resident(2), 4350.5],
            [B, "2024-05", resident(3), "5000.00"],
        ],
        {2: "yyyy-mm"},
    )

    summary = assess(chifeng, path)

    assert (summary.units_written, summary.lines_written, summary.ok) == (2, 3, True)
    lines = chifeng.unit(A).assessments[MAY].lines
    # 4,350.50 x 6% = 261.03, x 1% = 43.505 -> 43.51 (half up), x 2% = 87.01
    assert (lines[resident(2)].unit_medical, lines[resident(2)].unit_maternity) == (
        Decimal("261.03"),
        Decimal("43.51"),
    )
    assert parts(chifeng, B)[Part.individual] == Decimal("100.00")


def test_a_resident_id_typed_as_a_number_is_refused_naming_the_row(
    chifeng: Ledger, tmp_path: Path
) -> None:
    before = versions(chifeng)
    path = workbook(
        tmp_path / "month.xlsx",
        [
            ["uscc", "period", "resident_id", "base"],
            [A, "2024-05", resident(1), 5000],
            [B, "2024-05", 150402198001010038, 5000],  # 18 digits: a double keeps ~15
            [C, "2024-05", resident(4), 5000],
        ],
    )

    summary = assess(chifeng, path)

    (rejection,) = summary.rejections
    assert (rejection.line, rejection.uscc) == (3, B)
    assert "identifiers must be text cells" in rejection.reason
    assert chifeng.unit(B).version == before[B]
    assert MAY in chifeng.unit(C).assessments


def test_a_base_not_to_the_fen_in_a_workbook_is_refused_not_rounded(
    chifeng: Ledger, tmp_path: Path
) -> None:
    # 0.1 + 0.2 computed in a spreadsheet is the double 0.30000000000000004, which Excel
    # stores with 17 digits (openpyxl would store "0.3": the cell is written as Excel does)
    path = workbook(
        tmp_path / "month.xlsx",
        [["uscc", "period", "resident_id", "base"], [A, "2024-05", resident(1), "x"]],
    )
    book = load_workbook(path)
    cell = book.worksheets[0]["D2"]
    cell.value, cell.data_type = "0.30000000000000004", "n"
    book.save(path)

    (rejection,) = assess(chifeng, path).rejections

    assert rejection.line == 2
    assert "0.30000000000000004" in rejection.reason
    assert MAY not in chifeng.unit(A).assessments


def test_payments_from_a_workbook(chifeng: Ledger, tmp_path: Path) -> None:
    chifeng.assess(A, MAY, ASSESSED_ON, ACTOR, lines=[(resident(1), "5000")])
    path = workbook(
        tmp_path / "回传.xlsx",
        [
            ["uscc", "period", "part", "amount", "paid_on"],
            [A, "2024-05", "unit_medical", 300, date(2024, 6, 10)],
            [A, "2024-05", "individual", 100.0, date(2024, 6, 10)],
        ],
        {5: "yyyy-mm-dd"},
    )

    summary = import_payments(chifeng, path, actor=ACTOR)

    assert (summary.lines_written, summary.ok) == (2, True), summary.rejections
    paid = {i.part: i.paid for i in chifeng.unit(A).items_of(MAY)}
    assert paid == {
        Part.unit_medical: Decimal("300.00"),
        Part.unit_maternity: Decimal("0.00"),
        Part.individual: Decimal("100.00"),
    }


def test_a_zip_that_is_no_workbook_is_refused(chifeng: Ledger, tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "month.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")

    with pytest.raises(InvalidValue) as refused:
        assess(chifeng, path)

    assert "is not an xlsx workbook" in refused.value.message


# --------------------------------------------------------------------- CLI


def test_the_command_imports_a_workbook_and_a_gb18030_file(tmp_path: Path) -> None:
    db = chifeng_sqlite(tmp_path)
    book = workbook(
        tmp_path / "核定.xlsx",
        [
            ["统一社会信用代码", "费款所属期", "公民身份号码", "缴费基数"],
            [A, "2024-05", resident(1), 5000],
        ],
    )
    paid = tmp_path / "回传.csv"
    paid.write_bytes(
        "统一社会信用代码,费款所属期,缴费项目,缴费金额,缴费日期\n"
        f"{A},2024-05,individual,100.00,2024-06-10\n".encode("gb18030")
    )

    assessed = run_import(
        "assessments", str(book), "--assessed-on", "2024-06-05", db=db, cwd=tmp_path
    )
    payments = run_import("payments", str(paid), db=db, cwd=tmp_path)

    assert assessed.returncode == 0, assessed.stderr
    assert "person-lines: 1 read, 1 written" in unwrapped(assessed.stdout)
    assert payments.returncode == 0, payments.stderr
    assert "payment rows: 1 read, 1 written" in unwrapped(payments.stdout)
