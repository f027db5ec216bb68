"""Rows to column values and back, for each dialect.

Writing: a row becomes a line of PostgreSQL ``COPY`` text or a tuple of SQLite
parameters, through an encoder compiled from its table's columns (``row_encoder``).
Reading: column values back into the journal's row dataclasses (``row_reader``).
SQLite keeps amounts as the text of the Decimal, instants as fixed-width UTC ISO
text (so that text order is time order); PostgreSQL has its own types for both.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from ledger.domain.period import Period
from ledger.domain.terms import Part
from ledger.projections.journal import Kind
from ledger.projections.schema import STORED, Column, ColumnType, Dialect, Table, columns_of

Format = Callable[[Any], Any]

# ------------------------------------------------------------------- writing


def utc_text(instant: datetime) -> str:
    """An instant as fixed-width ISO text in UTC: sorts as text in time order (SQLite)."""
    if instant.tzinfo is None:
        raise TypeError(f"{instant!r} has no time zone: instants are compared in UTC")
    return instant.astimezone(UTC).isoformat(timespec="microseconds")


def copy_text(value: str) -> str:
    """A text field of PostgreSQL's COPY text format (backslash, tab, newline escaped).

    A NUL, which no PostgreSQL text can hold, becomes U+FFFD: the use cases refuse
    control characters, but an event stored before they did must not stop the views."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value or "\0" in value:
        return (
            value.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
            .replace("\0", "\ufffd")
        )
    return value


def copy_text_fields(values: Sequence[str]) -> str:
    """Text fields of COPY text joined by tabs, each escaped as ``copy_text`` escapes it:
    one test of the joined text when none needs it (the usual case), not one per field."""
    try:
        joined = "\t".join(values)
    except TypeError:  # not all text: copy_text refuses it as the per-field path would
        joined = "\\"
    if "\\" in joined or "\n" in joined or "\r" in joined or "\0" in joined:
        return "\t".join(map(copy_text, values))
    if joined.count("\t") != len(values) - 1:  # a tab inside a field
        return "\t".join(map(copy_text, values))
    return joined


def text_array(values: Sequence[str]) -> str:
    """A text[] as a field of COPY text: every element quoted, so that a resident ID
    can never read as NULL, and the quoting done by joins (no call per element)."""
    if not values:
        return "{}"
    joined = "".join(values)
    if '"' in joined or "\\" in joined:
        values = [v.replace("\\", "\\\\").replace('"', '\\"') for v in values]
    return copy_text('{"' + '","'.join(values) + '"}')


def fen_array(values: Sequence[int]) -> str:
    """A bigint[] as a field of COPY text (amounts in whole fen)."""
    return "{" + ",".join(map(str, values)) + "}"


def fens_json(values: Sequence[int]) -> str:
    """Amounts in whole fen as SQLite keeps an array of them: a JSON array of integers."""
    return "[" + ",".join(map(str, values)) + "]"


#: detail values are JSON already (journal._plain); str() is a fallback that keeps a
#: nested date or Decimal readable instead of failing the page
_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)


def _c_dumps() -> Callable[[Any], str] | None:
    """``_encoder.encode`` without its per-call setup: the C encoder it makes on every
    call (CPython's ``json.encoder.c_make_encoder``, with the same arguments but no
    circular-reference markers: detail values come from decoded JSON, which has no
    cycles), made once. 3.0 against 4.4 µs for an assessment's detail, every event of a
    rebuild has one. None where that C encoder is missing or writes something else."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return None
    try:
        encode = make(None, str, json.encoder.encode_basestring, None, ":", ",", False, False, True)
    except TypeError:  # another signature: not the encoder this was written for
        return None

    def dumps(value: Any) -> str:
        if isinstance(value, str):  # as JSONEncoder.encode: a str alone is not a container
            return _encoder.encode(value)
        return "".join(encode(value, 0))

    sample = {"a": [1, 'é\t"', None, True, 1.5, {"b": []}], "c": Decimal("1.10")}
    return dumps if dumps(sample) == _encoder.encode(sample) else None


_dumps: Callable[[Any], str] = _c_dumps() or _encoder.encode
#: JSON as the stores write it (compact, unescaped non-ASCII)
dumps = _dumps

# How each column type is written, as an expression of ``v`` (the row's attribute):
# PostgreSQL COPY text, SQLite parameters. ``format()`` of an int or a Period (what
# an f-string does) is its str().
_PG_EXPR = {
    ColumnType.uuid: "uuid({v})",
    ColumnType.int: "{v}",
    ColumnType.instant: "instant({v})",
    ColumnType.day: "{v}.isoformat()",
    ColumnType.text: "esc({v})",
    ColumnType.money: "str({v})",
    ColumnType.period: "{v}",
    ColumnType.json: "esc(dumps({v}))",
    ColumnType.texts: "text_array({v})",
    ColumnType.fens: "fen_array({v})",
}
_SQLITE_EXPR = {
    ColumnType.uuid: "uuid({v})",
    ColumnType.int: "{v}",
    ColumnType.instant: "instant({v})",
    ColumnType.day: "{v}.isoformat()",
    ColumnType.text: "str({v})",
    ColumnType.money: "str({v})",
    ColumnType.period: "str({v})",
    ColumnType.json: "dumps({v})",
    ColumnType.texts: "dumps({v})",
    ColumnType.fens: "fens_json({v})",
}

Encode = Callable[[int, int, Any], Any]


def _last_one(convert: Callable[[Any], str]) -> Callable[[Any], str]:
    """``convert`` with a one-entry cache by identity.

    An event's rows share its objects (the unit's UUID, the recorded instant), whose
    text is made by Python code (UUID.__str__) or costs as much (isoformat with a
    time zone). The entry is one tuple, replaced whole: safe between threads.
    """
    last: list[tuple[Any, str]] = [(None, "")]

    def cached(value: Any) -> str:
        entry = last[0]
        if entry[0] is value:
            return entry[1]
        text = convert(value)
        last[0] = (value, text)
        return text

    return cached


uuid_text = _last_one(str)
iso_text = _last_one(datetime.isoformat)
utc_iso_text = _last_one(utc_text)


def row_encoder(table: Table, dialect: Dialect) -> Encode:
    """``encode(position, ordinal, row)``: the row as a COPY line or a parameter tuple.

    Compiled from the table's columns into one function: a page has hundreds of
    thousands of rows, and a call per column would cost more than the database's
    own work on them.
    """
    parts = []
    for c in table.columns:
        v = f"r.{c.attr}"
        expr = (_PG_EXPR if dialect == "postgres" else _SQLITE_EXPR)[c.kind].format(v=v)
        if c.nullable:
            expr = f"(NULL if {v} is None else {expr})"
        parts.append(expr)
    if dialect == "postgres":
        body = "f'{p}\\t{o}\\t" + "\\t".join("{" + e + "}" for e in parts) + "\\n'"
        null = "\\N"
    else:
        body = "(p, o, " + ", ".join(parts) + ")"
        null = None
    source = f"def encode(p, o, r):\n    return {body}\n"
    namespace: dict[str, Any] = {
        "esc": copy_text,
        "dumps": _dumps,
        "instant": iso_text if dialect == "postgres" else utc_iso_text,
        "uuid": uuid_text,
        "text_array": text_array,
        "fen_array": fen_array,
        "fens_json": fens_json,
        "NULL": null,
    }
    exec(compile(source, f"<{dialect} encoder of {table.name}>", "exec"), namespace)
    encode: Encode = namespace["encode"]
    return encode


ENCODERS = {
    (dialect, table.name): row_encoder(table, dialect)
    for dialect in STORED
    for table in STORED[dialect]
}


#: amounts whose str(Decimal(text)) is the text itself (no exponent form, no sign +)
_CANONICAL = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]{1,6})?").fullmatch


def canonical_amount(text: str) -> str:
    """The amount as SQLite stores it: str(Decimal), computed only when it could differ."""
    return text if _CANONICAL(text) else str(Decimal(text))


# ------------------------------------------------------------------- reading

_periods: dict[str, Period] = {}


def period_of(text: str) -> Period:
    found = _periods.get(text)
    if found is None:
        found = Period.parse(text)
        if len(_periods) < 10_000:
            _periods[text] = found
    return found


def _same(value: Any) -> Any:
    return value


_ENUMS: dict[str, Format] = {"Kind": Kind, "Part": Part}
_FROM_PG: dict[ColumnType, Format] = {
    ColumnType.uuid: _same,
    ColumnType.int: _same,
    ColumnType.instant: _same,
    ColumnType.day: _same,
    ColumnType.text: _same,
    ColumnType.money: _same,
    ColumnType.period: period_of,
    ColumnType.json: _same,
    ColumnType.texts: tuple,
    ColumnType.fens: tuple,
}
_FROM_SQLITE: dict[ColumnType, Format] = {
    ColumnType.uuid: UUID,
    ColumnType.int: _same,
    ColumnType.instant: datetime.fromisoformat,
    ColumnType.day: date.fromisoformat,
    ColumnType.text: _same,
    ColumnType.money: Decimal,
    ColumnType.period: period_of,
    ColumnType.json: json.loads,
    ColumnType.texts: lambda v: tuple(json.loads(v)),
    ColumnType.fens: lambda v: tuple(json.loads(v)),
}


def _parser(column: Column, dialect: Dialect) -> Format:
    parse = (
        _ENUMS.get(column.python)
        or (_FROM_PG if dialect == "postgres" else _FROM_SQLITE)[column.kind]
    )
    if column.nullable and parse is not _same:
        return lambda v: None if v is None else parse(v)
    return parse


def row_reader(row_type: type[Any], dialect: Dialect) -> Callable[[Sequence[Any]], Any]:
    """Builds a row of ``row_type`` from its columns (without position, ordinal)."""
    parsers = [_parser(c, dialect) for c in columns_of(row_type)]
    if all(p is _same for p in parsers):
        return lambda values: row_type(*values)
    return lambda values: row_type(*(p(v) for p, v in zip(parsers, values, strict=True)))
