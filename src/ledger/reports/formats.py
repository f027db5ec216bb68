"""One renderer per format, for every report: JSON, CSV and Excel (xlsx).

- **JSON**: the report's document (amounts as strings with two decimals, dates ISO).
- **CSV** (RFC 4180, CRLF): a UTF-8 byte-order mark first, so that Excel on a Chinese
  desktop reads the headers as UTF-8 rather than GBK; one header row (the seeds'
  Chinese field names, or English), one record per row, no total row.
- **xlsx** (openpyxl, streaming): the header row first and the rows below it, frozen;
  amounts are numbers with two decimals (number format ``0.00``) whose stored text
  is the amount's own decimal digits (never a float); identifiers and codes are text
  cells (format ``@``), so that no spreadsheet drops a leading zero or digits past the
  15th; dates are dates. A 合计 row where the report totals. A second sheet, 说明,
  names the report, its source, the filters and clocks, and every column in Chinese
  and English.

Free text (a unit's name, a reason) that a spreadsheet would take for a formula
(starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is written with
a leading apostrophe in CSV, and as a quote-prefixed text cell in xlsx (OWASP: CSV
injection): a name like ``=HYPERLINK(...)`` is shown, never run.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from ledger.clocks import CST
from ledger.domain.money import format_money
from ledger.reports.model import Cell, Column, Kind, Table, plain

FORMATS = ("json", "csv", "xlsx")
MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
HEADERS = ("zh", "en")
BOM = "\ufeff"
#: what makes a spreadsheet read a cell as a formula (OWASP, CSV injection)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def render(table: Table, fmt: str, headers: str = "zh", *, compact: bool = False) -> bytes:
    """``compact``: JSON without indentation, for machines (the API); the C encoder
    serves it, where indentation falls back to the pure-Python one (5-10 times slower)."""
    if fmt == "json":
        return render_json(table, compact=compact)
    if fmt == "csv":
        return render_csv(table, headers)
    if fmt == "xlsx":
        return render_xlsx(table, headers)
    raise ValueError(f"no renderer for {fmt!r}")


def render_json(table: Table, *, compact: bool = False) -> bytes:
    if compact:
        return compact_json(table.document)
    return json.dumps(plain(table.document), ensure_ascii=False, indent=2).encode() + b"\n"


def compact_json(document: Any) -> bytes:
    """A table's document as the API sends it: JSON without indentation (UTF-8)."""
    return json.dumps(plain(document), ensure_ascii=False, separators=(",", ":")).encode()


def defused(text: str) -> str:
    """Free text as a spreadsheet shows it and never runs it."""
    return "'" + text if text.startswith(FORMULA_START) else text


def text_of(column: Column, value: Cell, guard: bool = True) -> str:
    """A cell as text: CSV (guarded) and the terminal."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format_money(value)
    if isinstance(value, date):
        return value.isoformat()
    if guard and column.kind is Kind.TEXT and isinstance(value, str):
        return defused(value)
    return str(value)


def render_csv(table: Table, headers: str = "zh") -> bytes:
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    columns = table.report.columns
    writer.writerow([c.header(headers) for c in columns])
    for row in table.rows:
        writer.writerow([text_of(c, v) for c, v in zip(columns, row, strict=True)])
    return buffer.getvalue().encode("utf-8")


def file_name(table: Table, fmt: str) -> str:
    return f"{table.stem}.{fmt}"


def content_disposition(table: Table, fmt: str) -> str:
    """An attachment named after the report: an ASCII name for every client and the
    Chinese one (RFC 6266 / RFC 8187 ``filename*``) for those that take it."""
    chinese = f"{table.report.zh}-{table.stem}.{fmt}"
    return f"attachment; filename=\"{file_name(table, fmt)}\"; filename*=UTF-8''{quote(chinese)}"


# ------------------------------------------------------------------- xlsx

#: widths (characters) by kind; a CJK character counts about two
_WIDTH = {Kind.TEXT: 36, Kind.CODE: 20, Kind.COUNT: 10, Kind.MONEY: 16, Kind.DATE: 12}
_FORMAT = {Kind.MONEY: "0.00", Kind.COUNT: "0", Kind.DATE: "yyyy-mm-dd", Kind.CODE: "@"}


def render_xlsx(table: Table, headers: str = "zh") -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    book.properties.title = f"{table.report.zh} {table.report.en}"
    book.properties.subject = table.caption
    book.properties.creator = "ledger"
    sheet = book.create_sheet(table.report.zh[:31])
    columns = table.report.columns
    for n, column in enumerate(columns, 1):
        width = max(_WIDTH[column.kind], 2 * len(column.zh) + 2)
        sheet.column_dimensions[get_column_letter(n)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    sheet.append([_text_cell(sheet, c.header(headers), font=bold) for c in columns])
    for row in table.rows:
        sheet.append([_cell(sheet, c, v) for c, v in zip(columns, row, strict=True)])
    if table.total is not None:
        sheet.append(
            [_cell(sheet, c, v, font=bold) for c, v in zip(columns, table.total, strict=True)]
        )
    _about(book.create_sheet("说明"), table)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell(sheet: Any, column: Column, value: Cell, font: Any = None) -> Any:
    from openpyxl.cell import WriteOnlyCell

    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        cell = WriteOnlyCell(sheet)
        # The amount's own digits ("7420.00") go into the file as they are: openpyxl
        # would format a Decimal through a float ("%.16g"), and the fen must not pass
        # through binary floating point on its way out.
        cell.value = format_money(value)
        cell.data_type = "n"
    elif isinstance(value, int):
        cell = WriteOnlyCell(sheet, value)
    elif isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value.astimezone(CST).replace(tzinfo=None))
    elif isinstance(value, date):
        cell = WriteOnlyCell(sheet, datetime.combine(value, time()))
    else:
        return _text_cell(sheet, value, font=font)
    cell.number_format = _FORMAT.get(column.kind, "General")
    if font is not None:
        cell.font = font
    return cell


def _text_cell(sheet: Any, text: str, font: Any = None) -> Any:
    """A text cell, never a formula: openpyxl would store a string starting with "=" as
    one, so the type is set after the value; quote-prefixed when a spreadsheet would
    read it as a formula on editing."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet)
    cell.value = text
    cell.data_type = "s"
    cell.number_format = "@"
    if text.startswith(FORMULA_START):
        cell.quotePrefix = True
    if font is not None:
        cell.font = font
    return cell


def _about(sheet: Any, table: Table) -> None:
    """The 说明 sheet: what the table is, how it was made, and its columns."""
    report = table.report
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 28
    sheet.column_dimensions["C"].width = 60
    lines: list[list[str]] = [
        ["报表 report", report.zh, report.en],
        ["依据 source", report.source, ""],
        ["说明 caption", table.caption, ""],
        *([f"条件 {name}", value, ""] for name, value in table.context),
        ["", "", ""],
        ["字段 header", "field", "kind"],
        *([c.zh, c.en, c.kind.value] for c in report.columns),
    ]
    for line in lines:
        sheet.append([_text_cell(sheet, text) if text else None for text in line])
