"""An xlsx workbook as import records: its first sheet, row by row, as CSV lines.

The sheet is streamed (openpyxl's read-only mode) and each row becomes the CSV line
the rest of the import already reads, numbered by the sheet's row number, so a
rejection names the row an operator sees in the spreadsheet. What each cell becomes:

- text as it is; an empty cell as an empty field;
- a number in an amount column by its shortest exact decimal form (``repr`` of the
  stored double: the digits Excel wrote, ``1234.56``), never through arithmetic, so
  an amount that is not to the fen is refused by the amount's own check;
- a number in an identifier column (USCC, resident ID) is refused: a spreadsheet
  keeps 15 significant digits of a number, so an 18-digit identifier typed as a
  number has already lost digits (format the column as text);
- a date in the period column as ``YYYY-MM`` (a spreadsheet turns ``2024-05`` into
  the 1st of May), in a date column as ``YYYY-MM-DD``;
- a formula as the value the spreadsheet last computed (a workbook saved by a
  program that does not compute formulas has none: the field is then empty).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from ledger.domain.errors import InvalidValue
from ledger.importing.csvfile import CsvSource, column_name

#: how a workbook starts (a zip archive) and how the old binary .xls starts
ZIP_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"

IDENTIFIERS = frozenset({"uscc", "resident_id"})
AMOUNTS = frozenset({"base", "amount"})
DATES = frozenset({"assessed_on", "paid_on"})


class XlsxSource(CsvSource):
    """The first sheet of an xlsx workbook, read as CSV records (see the module)."""

    kind = "an xlsx workbook"

    def _open(self) -> None:
        from openpyxl import load_workbook
        from openpyxl.utils.exceptions import InvalidFileException

        try:
            self._book = load_workbook(self.path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, InvalidFileException, ValueError) as exc:
            raise InvalidValue(
                f"{self.path}: is not an xlsx workbook that can be read ({exc})", field="file"
            ) from None
        self._sheet = self._book.worksheets[0]
        self._rows = max(self._sheet.max_row or 1, 1)

    def close(self) -> None:
        self._book.close()

    def _read_lines(self) -> Iterator[tuple[int, str]]:
        names: list[str] = []
        for number, row in enumerate(self._sheet.iter_rows(values_only=True), 1):
            self.bytes_read = self.size * min(number, self._rows) // self._rows
            cells = list(row)
            while cells and cells[-1] in (None, ""):
                cells.pop()  # a sheet's rows run to its widest; trailing blanks are none
            if number == 1:
                names = [column_name(str(c)) if c is not None else "" for c in cells]
            fields = [self._text(number, names, n, value) for n, value in enumerate(cells)]
            yield number, _line(fields) if any(fields) else ""
        self.bytes_read = self.size

    def _text(self, number: int, names: list[str], n: int, value: Any) -> str:
        name = names[n] if n < len(names) and number > 1 else ""
        if value is None:
            return ""
        if isinstance(value, str):
            if "\n" in value or "\r" in value:
                self.problems.setdefault(number, f"column {n + 1} holds a line break")
                return value.replace("\r", " ").replace("\n", " ")
            return value
        if isinstance(value, bool):
            return str(value).upper()
        if isinstance(value, int | float):
            if name in IDENTIFIERS:
                self.problems.setdefault(
                    number,
                    f"{name} is a number cell ({value!r}): a spreadsheet keeps 15 digits of "
                    "a number, so identifiers must be text cells (format the column as text)",
                )
                return str(value)
            if isinstance(value, int):
                return str(value)
            # repr is the shortest decimal that reads back as the same double: the digits
            # the spreadsheet stored, with no arithmetic on them
            return format(Decimal(repr(value)), "f")
        if isinstance(value, datetime | date):
            if name == "period" and value.day == 1:
                return f"{value.year:04d}-{value.month:02d}"
            if name in DATES or isinstance(value, datetime):
                return (value.date() if isinstance(value, datetime) else value).isoformat()
            return value.isoformat()
        return str(value)


def _line(fields: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(fields)
    return buffer.getvalue()


def open_source(path: Path, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> CsvSource:
    """The file to import, by its content: an xlsx workbook, else CSV (UTF-8 or GB18030).
    An old binary .xls workbook is refused with what to do instead."""
    try:
        with path.open("rb") as file:
            magic = file.read(4)
    except OSError:
        magic = b""  # the source names the file's problem
    if magic == ZIP_MAGIC:
        return XlsxSource(path, required, optional)
    if magic == XLS_MAGIC:
        raise InvalidValue(
            f"{path}: is an Excel 97-2003 (.xls) workbook; save it as .xlsx (Excel Workbook) "
            "or as CSV and import that",
            field="file",
        )
    return CsvSource(path, required, optional)
