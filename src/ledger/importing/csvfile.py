"""Streaming CSV input for the bulk imports: one record per line, grouped by unit.

The file's encoding, UTF-8 or GB18030, is decided by its content first
(:mod:`ledger.importing.encoding`). The file is then read in large binary chunks and
decoded a chunk at a time (the fast path); only a chunk that does not decode is
decoded line by line, so that the bad line is named and the rest of the file still
imports. A record is one physical line (the import formats have no field that could
hold a line break), so a record's number is the line number an operator sees in an
editor. (An xlsx workbook is read into the same records: ``xlsxfile``.)

Grouping needs only each line's USCC; the other fields are split later, by
whoever checks the unit's rows (possibly a worker process). A unit's lines
travel as one string, which costs next to nothing to hand to another process.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, TypeVar

from ledger.domain.errors import InvalidValue, NotFound
from ledger.importing.encoding import GB18030_BOM, UTF8, UTF8_BOM, detect

_CHUNK = 1 << 20

#: the columns by the names a spreadsheet exported in Chinese may give them
HEADER_ALIASES = {
    "统一社会信用代码": "uscc",
    "单位统一社会信用代码": "uscc",
    "费款所属期": "period",
    "所属期": "period",
    "公民身份号码": "resident_id",
    "身份证号码": "resident_id",
    "身份证号": "resident_id",
    "缴费基数": "base",
    "核定日期": "assessed_on",
    "缴费项目": "part",
    "缴费金额": "amount",
    "金额": "amount",
    "缴费日期": "paid_on",
}


def column_name(text: str) -> str:
    """A header cell as the column it names: ``" USCC "`` and ``统一社会信用代码`` are
    both ``uscc``."""
    name = text.strip().lower()
    return HEADER_ALIASES.get(name, name)


#: a line longer than this is no record of these formats (a record is under 200 bytes):
#: it is reported and skipped without being held whole, so that a file without line
#: breaks (binary data, a wrong line-end convention) is never read into memory at once
MAX_LINE = 1 << 20
#: what is kept of an overlong line: enough for grouping and the report to name it
_HEAD = 1024

#: a word of a message longer than this is cut (see ``shorten``)
LONGEST_WORD = 60
_LONG_WORD = re.compile(rf"\S{{{LONGEST_WORD + 1},}}")


def shorten(text: str) -> str:
    """Cuts every overlong word of a message: refusals quote the value they refuse, and a
    malformed file can hold a field of megabytes, which the operator's terminal and the
    rejection report should not repeat.

    >>> shorten("base '" + "9" * 100 + "' is too large")
    "base '999999999999999999999999999999999999999…(102 characters) is too large"
    """
    if len(text) <= LONGEST_WORD:
        return text
    return _LONG_WORD.sub(lambda m: f"{m[0][:40]}…({len(m[0])} characters)", text)


Record = tuple[int, list[str], str]
"""(line number, fields, why the line is unreadable or "")."""


def split_fields(line: str) -> list[str]:
    """A line's fields: a plain split unless the line quotes (then the csv module)."""
    if '"' not in line:
        return line.split(",")
    return next(csv.reader([line]))


@dataclass(slots=True)
class UnitRecords:
    """The contiguous lines of one unit (keyed by its USCC as written, upper-cased)."""

    uscc: str
    first_line: int
    #: the lines, "\n"-joined; blank lines are kept so that numbers hold
    text: str
    #: line number -> why that line is unreadable (not UTF-8)
    problems: dict[int, str] = field(default_factory=dict)
    #: where this unit's rows first appeared, when they appear again further down
    first_seen_on: int = 0
    #: non-blank lines
    count: int = 0

    def __reduce__(
        self,
    ) -> tuple[type[UnitRecords], tuple[str, int, str, dict[int, str], int, int]]:
        # Handed to a worker process as the constructor's arguments: a slotted
        # dataclass otherwise pickles through its Python-level __getstate__ and
        # __setstate__ (a walk over its fields each way), half the hand-over's CPU.
        return (
            UnitRecords,
            (self.uscc, self.first_line, self.text, self.problems, self.first_seen_on, self.count),
        )

    @property
    def last_line(self) -> int:
        return self.first_line + self.text.count("\n")

    @property
    def lines(self) -> str:
        first, last = self.first_line, self.last_line
        return f"line {first}" if first == last else f"lines {first}-{last}"

    def records(self) -> Iterator[Record]:
        problems = self.problems
        for number, line in enumerate(self.text.split("\n"), self.first_line):
            if not line:
                continue
            try:
                # split_fields, its plain case inlined: this runs once per person-line
                fields = line.split(",") if '"' not in line else split_fields(line)
            except csv.Error as exc:
                yield number, [], f"is not a CSV record ({exc})"
                continue
            yield number, fields, problems.get(number, "") if problems else ""


class CsvSource:
    """A CSV file with a header row, opened for streaming; refuses a missing or bad header."""

    #: what the file is called in messages
    kind = "a CSV file"

    def __init__(self, path: Path, required: Sequence[str], optional: Sequence[str] = ()) -> None:
        self.path = path
        try:
            self.size = path.stat().st_size
            self._open()
        except FileNotFoundError:
            raise NotFound(f"{path}: no such file", field="file") from None
        except IsADirectoryError:
            raise InvalidValue(f"{path}: is a directory, not {self.kind}", field="file") from None
        except OSError as exc:
            raise InvalidValue(f"{path}: cannot be read ({exc.strerror})", field="file") from None
        self.bytes_read = 0
        #: line number -> why it is unreadable, for lines not yet handed out
        self.problems: dict[int, str] = {}
        self._lines = self._read_lines()
        try:
            self._header(required, optional)
        except BaseException:
            self.close()
            raise

    def _open(self) -> None:
        self._file: BinaryIO = self.path.open("rb")
        try:
            #: "utf-8" or "gb18030", decided by the content
            self.encoding = detect(self.path, MAX_LINE).encoding
        except BaseException:
            self._file.close()
            raise

    def _header(self, required: Sequence[str], optional: Sequence[str]) -> None:
        header = next(self._lines, None)
        if header is None:
            raise InvalidValue(f"{self.path}: is empty; a header row is required", field="file")
        if 1 in self.problems:
            raise InvalidValue(
                f"{self.path}: line 1 (the header) {self.problems[1]}; save the file as "
                "UTF-8 or GB18030 CSV, or as an xlsx workbook",
                field="file",
            )
        try:
            names = [column_name(name) for name in split_fields(header[1])]
        except csv.Error as exc:
            raise InvalidValue(f"{self.path}: line 1 (the header) is not CSV ({exc})") from None
        missing = [c for c in required if c not in names]
        if missing:
            raise InvalidValue(
                f"{self.path}: the header lacks {', '.join(missing)}; expected the columns "
                f"{','.join(required)} (optional: {','.join(optional) or 'none'}), got "
                f"{shorten(repr(header[1]))}",
                field="file",
            )
        #: column positions by name; an optional column that is absent is left out
        self.columns = {name: names.index(name) for name in (*required, *optional) if name in names}
        self.width = len(names)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> CsvSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def units(self) -> Iterator[UnitRecords]:
        """The data lines grouped by unit; a USCC seen before is flagged, not merged.

        Merging a reappearing unit with its earlier rows would need the whole file in
        memory; the format requires a unit's rows to be contiguous instead.
        """
        column = self.columns["uscc"]
        seen: dict[str, int] = {}
        key: str | None = None
        first = 0
        lines: list[str] = []
        count = 0
        for number, line in self._lines:
            if not line:
                if key is not None:
                    lines.append(line)  # keeps the numbering of the unit's lines
                continue
            if column == 0 and '"' not in line:
                uscc = line.partition(",")[0].strip().upper()
            else:
                try:
                    fields = split_fields(line)
                    uscc = fields[column].strip().upper() if len(fields) > column else ""
                except csv.Error:
                    uscc = key or ""  # unreadable: it fails the unit it sits in
            if uscc != key:
                if key is not None:
                    yield self._group(key, first, lines, count, seen)
                key, first, lines, count = uscc, number, [], 0
            lines.append(line)
            count += 1
        if key is not None:
            yield self._group(key, first, lines, count, seen)

    def _group(
        self, key: str, first: int, lines: list[str], count: int, seen: dict[str, int]
    ) -> UnitRecords:
        while lines and not lines[-1]:
            lines.pop()  # trailing blank lines belong to no unit
        last = first + len(lines) - 1
        problems = self.problems
        mine = {}
        if problems:
            mine = {n: problems.pop(n) for n in range(first, last + 1) if n in problems}
        group = UnitRecords(key, first, "\n".join(lines), mine, seen.get(key, 0), count)
        seen.setdefault(key, first)
        return group

    def _read_lines(self) -> Iterator[tuple[int, str]]:
        # One item per physical line ("\n"), line ends stripped.
        number = 0
        tail = b""
        first = True
        while True:
            chunk = self._file.read(_CHUNK)
            self.bytes_read += len(chunk)
            if first:
                # A byte-order mark (spreadsheet exports) is not part of the header.
                first = False
                chunk = chunk.removeprefix(UTF8_BOM).removeprefix(GB18030_BOM)
            if not chunk:
                if tail:
                    yield from enumerate(self._decode(tail, number), number + 1)
                return
            data = tail + chunk
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                if len(data) > MAX_LINE:
                    number += 1
                    tail = self._skip_line()
                    self.problems[number] = (
                        f"is longer than {MAX_LINE:,} bytes: not a record of this format"
                    )
                    yield number, data[:_HEAD].decode("utf-8", errors="replace")
                    continue
                tail = data
                continue
            tail = data[cut:]
            lines = self._decode(data[:cut], number)
            # numbered as they are taken: no list of (number, line) pairs per block
            yield from enumerate(lines, number + 1)
            number += len(lines)

    def _skip_line(self) -> bytes:
        """Reads on to the end of the current line; returns what follows it in the chunk."""
        while True:
            chunk = self._file.read(_CHUNK)
            self.bytes_read += len(chunk)
            if not chunk:
                return b""
            end = chunk.find(b"\n")
            if end >= 0:
                return chunk[end + 1 :]

    def _decode(self, block: bytes, number: int) -> list[str]:
        """The lines of a block of whole lines that follows line ``number``."""
        try:
            text = block.decode(self.encoding)
        except UnicodeDecodeError:
            raws = _whole(block.split(b"\n"))
            return [self._decode_line(raw, n) for n, raw in enumerate(raws, number + 1)]
        lines = _whole(text.split("\n"))
        if "\r" in text:  # CRLF line ends; a block without any needs no pass per line
            lines = [line.removesuffix("\r") for line in lines]
        return lines

    def _decode_line(self, raw: bytes, number: int) -> str:
        try:
            return raw.decode(self.encoding).removesuffix("\r")
        except UnicodeDecodeError as exc:
            name = "UTF-8" if self.encoding == UTF8 else "GB18030"
            self.problems[number] = (
                f"is not {name} text (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})"
            )
            return raw.decode(self.encoding, errors="replace").removesuffix("\r")


T = TypeVar("T", str, bytes)


def _whole(items: list[T]) -> list[T]:
    # A block ends with "\n", so its split ends with an empty item that is no line.
    if items and (items[-1] == "" or items[-1] == b""):
        items.pop()
    return items
