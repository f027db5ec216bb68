"""Reading import files: line numbers an operator can find, whatever the bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.domain.errors import InvalidValue
from ledger.importing import csvfile
from ledger.importing.csvfile import CsvSource

COLUMNS = ("uscc", "period")


def read(path: Path) -> list[tuple[int, list[str], str]]:
    with CsvSource(path, COLUMNS) as source:
        return [record for unit in source.units() for record in unit.records()]


@pytest.mark.parametrize("chunk", [1 << 20, 7], ids=["one-chunk", "tiny-chunks"])
def test_records_carry_their_physical_line_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(csvfile, "_CHUNK", chunk)
    path = tmp_path / "f.csv"
    path.write_bytes(
        "\ufeffUSCC,Period\r\nA,2024-05\r\n\r\nB,2024-05\r\n".encode()
        + b"C,2024-0\xff5\r\n"
        + '"D",二〇二四\r\nE,2024-05'.encode()
    )

    records = read(path)

    assert [(line, fields[0], problem[:18]) for line, fields, problem in records] == [
        (2, "A", ""),
        (4, "B", ""),
        (5, "C", "is not UTF-8 text "),
        (6, "D", ""),
        (7, "E", ""),
    ]
    assert records[2][2] == "is not UTF-8 text (byte 0xff at column 9)"


def test_lines_are_grouped_by_unit_and_a_unit_that_reappears_is_flagged(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("period,uscc\n1,A\n2,a\n\n3,B\n4,A\n\n", encoding="utf-8")

    with CsvSource(path, COLUMNS) as source:
        units = [
            (u.uscc, u.first_line, u.last_line, u.count, u.first_seen_on) for u in source.units()
        ]

    # a blank line after a unit belongs to no unit
    assert units == [("A", 2, 3, 2, 0), ("B", 5, 5, 1, 0), ("A", 6, 6, 1, 2)]


def test_columns_are_found_by_header_name_in_any_order(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text(" Period ,extra,USCC\n2024-05,x,A\n", encoding="utf-8")

    with CsvSource(path, COLUMNS, ("assessed_on",)) as source:
        assert (source.columns, source.width) == ({"uscc": 2, "period": 0}, 3)
        assert "assessed_on" not in source.columns


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidValue, match="is a directory"):
        CsvSource(tmp_path, COLUMNS)


def test_the_header_must_name_every_required_column(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("uscc,month\n", encoding="utf-8")

    with pytest.raises(InvalidValue, match="the header lacks period"):
        CsvSource(path, COLUMNS)
