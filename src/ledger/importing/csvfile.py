"""Streaming CSV input for the bulk imports: records with their line numbers, by unit.

The file is read in large binary chunks and decoded a chunk at a time (the fast
path); only a chunk that is not valid UTF-8 is decoded line by line, so that the
bad line is named and the rest of the file still imports. Each physical line is
one item of the iterator handed to :mod:`csv`, which keeps ``reader.line_num``
equal to the line number an operator sees in an editor.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from ledger.domain.errors import InvalidValue, NotFound

_CHUNK = 1 << 20
_BOM = "\ufeff"


Record = tuple[int, list[str], str]
"""One CSV record: (physical line, fields, why it is unreadable or ""). A plain tuple:
millions are made per import and a dataclass instance costs ten times as much."""


@dataclass(slots=True)
class UnitRecords:
    """The contiguous records of one unit (by its USCC as written, upper-cased)."""

    uscc: str
    records: list[Record] = field(default_factory=list)
    #: where this unit's rows first appeared, when they appear again further down
    first_seen_on: int = 0

    @property
    def first_line(self) -> int:
        return self.records[0][0]

    @property
    def lines(self) -> str:
        first, last = self.records[0][0], self.records[-1][0]
        return f"line {first}" if first == last else f"lines {first}-{last}"


class CsvSource:
    """A CSV file with a header row, opened for streaming; refuses a missing or bad header."""

    def __init__(self, path: Path, required: Sequence[str], optional: Sequence[str] = ()) -> None:
        self.path = path
        try:
            self.size = path.stat().st_size
            self._file: BinaryIO = path.open("rb")
        except FileNotFoundError:
            raise NotFound(f"{path}: no such file", field="file") from None
        except IsADirectoryError:
            raise InvalidValue(f"{path}: is a directory, not a CSV file", field="file") from None
        except OSError as exc:
            raise InvalidValue(f"{path}: cannot be read ({exc.strerror})", field="file") from None
        self.bytes_read = 0
        self._bad_lines: dict[int, str] = {}
        self._reader = csv.reader(self._lines(), strict=False)
        try:
            header = next(self._reader)
        except StopIteration:
            self.close()
            raise InvalidValue(
                f"{path}: is empty; a header row is required", field="file"
            ) from None
        problem = self._bad_lines.get(1)
        if problem:
            self.close()
            raise InvalidValue(f"{path}: line 1 (the header) {problem}", field="file")
        names = [h.strip().lower() for h in header]
        missing = [c for c in required if c not in names]
        if missing:
            self.close()
            raise InvalidValue(
                f"{path}: the header lacks {', '.join(missing)}; expected the columns "
                f"{','.join(required)} (optional: {','.join(optional) or 'none'}), got "
                f"{','.join(header)!r}",
                field="file",
            )
        #: column positions by name; an optional column that is absent is left out
        self.columns = {name: names.index(name) for name in (*required, *optional) if name in names}
        self.width = len(names)

    def records(self) -> Iterator[Record]:
        """The data records after the header; blank lines are skipped."""
        reader, bad = self._reader, self._bad_lines
        while True:
            try:
                for fields in reader:
                    if fields:
                        line = reader.line_num
                        yield line, fields, bad.pop(line, "") if bad else ""
                return
            except csv.Error as exc:
                # e.g. a field over csv's size limit: report the line, read on after it.
                yield reader.line_num, [], f"is not a CSV record ({exc})"

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> CsvSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _lines(self) -> Iterator[str]:
        # One item per physical line ("\n"), ends stripped: csv then counts lines as we do.
        number = 0
        tail = _BOM.encode()
        first = True
        while True:
            chunk = self._file.read(_CHUNK)
            self.bytes_read += len(chunk)
            if first:
                # A UTF-8 byte-order mark (spreadsheet exports) is not part of the header.
                first = False
                chunk = chunk.removeprefix(tail)
                tail = b""
            if not chunk:
                if tail:
                    yield from self._decode(tail, number)
                return
            data = tail + chunk
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                tail = data
                continue
            tail = data[cut:]
            lines = list(self._decode(data[:cut], number))
            number += len(lines)
            yield from lines

    def _decode(self, block: bytes, number: int) -> Iterator[str]:
        try:
            text = block.decode("utf-8")
        except UnicodeDecodeError:
            for offset, raw in enumerate(block.removesuffix(b"\n").split(b"\n"), start=1):
                try:
                    yield raw.decode("utf-8").rstrip("\r")
                except UnicodeDecodeError as exc:
                    self._bad_lines[number + offset] = (
                        f"is not UTF-8 text (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})"
                    )
                    yield raw.decode("utf-8", errors="replace").rstrip("\r")
            return
        if text.endswith("\n"):
            text = text[:-1]
        for line in text.split("\n"):
            yield line.removesuffix("\r")


def by_unit(records: Iterator[Record], uscc_column: int) -> Iterator[UnitRecords]:
    """Groups contiguous records of one USCC; a USCC seen before is flagged, not merged.

    Merging a reappearing unit with its earlier rows would need the whole file in
    memory; the format requires a unit's rows to be contiguous instead.
    """
    seen: dict[str, int] = {}
    group: UnitRecords | None = None
    for record in records:
        fields = record[1]
        if len(fields) > uscc_column:
            key = fields[uscc_column].strip().upper()
        elif group is not None and not fields:
            # An unreadable record has no USCC: it fails the unit around it, conservatively.
            group.records.append(record)
            continue
        else:
            key = ""
        if group is None or key != group.uscc:
            if group is not None:
                yield group
            group = UnitRecords(key, [record], seen.get(key, 0))
            if key not in seen:
                seen[key] = record[0]
        else:
            group.records.append(record)
    if group is not None:
        yield group
