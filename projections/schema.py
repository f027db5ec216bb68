"""The view tables: one per row type of the journal, the same on SQLite and PostgreSQL.

Person lines are the exception: one row per assessment (``AssessedLines``), with
arrays, found by a person through a GIN index (PostgreSQL) or a side table of
persons (SQLite, ``PERSON_INDEX``).

Every table starts with ``position`` and ``ordinal``: the notification id of the event
a row came from and the row's place among that event's rows (``append`` outside the
runner uses the page's position and the row's place in the page). Their primary key
orders rows as they were appended (the order ``MemoryViewStore`` keeps) and makes a
row impossible to store twice: a page applied again fails instead of double-counting.
PostgreSQL drops the keys while a rebuild fills the views (each page is guarded by the
tracking row's position, checked under its lock) and builds them at its end
(``key_statements``); opening the views builds any a stopped rebuild left dropped.

Columns have logical types (``ColumnType``) mapped to each dialect: amounts are
NUMERIC(14,2) in PostgreSQL and TEXT in SQLite (a Decimal's string round-trips
exactly, never a float); instants are timestamptz / ISO text in UTC; dates ISO. The
person lines' amounts are whole fen: bigint arrays in PostgreSQL, JSON arrays of
integers in SQLite.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import Enum
from typing import Any, Literal

from ledger.projections.journal import (
    AssessedLines,
    AuditEntry,
    DeferralDecision,
    Movement,
    PersonReduction,
    Quarantined,
    UnitRegistered,
)

Dialect = Literal["sqlite", "postgres"]

#: the one tracking row: every view table is written with the same position
TRACKING_TABLE = "view_tracking"
TRACKING_NAME = "views"


class ColumnType(Enum):
    uuid = "uuid"
    int = "int"
    instant = "instant"
    day = "day"
    text = "text"
    money = "money"
    period = "period"
    json = "json"
    #: arrays (the person fields of ``AssessedLines``): PostgreSQL arrays, SQLite JSON
    texts = "texts"
    #: amounts as whole fen (``journal.fens``)
    fens = "fens"

    def sql_type(self, dialect: Dialect) -> str:
        postgres, sqlite = _SQL_TYPES[self]
        return postgres if dialect == "postgres" else sqlite


_SQL_TYPES = {
    ColumnType.uuid: ("uuid", "TEXT"),
    ColumnType.int: ("bigint", "INTEGER"),
    ColumnType.instant: ("timestamptz", "TEXT"),
    ColumnType.day: ("date", "TEXT"),
    ColumnType.text: ("text", "TEXT"),
    ColumnType.money: ("numeric(14,2)", "TEXT"),
    ColumnType.period: ("text", "TEXT"),
    ColumnType.json: ("json", "TEXT"),
    # byte order: the GIN index on resident IDs (a rebuild's longest index) compares its
    # elements by the collation, and the database's (C.UTF-8 here) goes through strcoll:
    # 0.53 s against 0.85 s of server CPU for 1M person lines. Equality, the one use of
    # these elements, is the same in both.
    ColumnType.texts: ('text[] COLLATE "C"', "TEXT"),
    ColumnType.fens: ("bigint[]", "TEXT"),
}


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    kind: ColumnType
    #: the row's attribute (the column's name unless it is an SQL keyword)
    attr: str
    #: the attribute's type as annotated on the row (``Part``, ``Decimal``, ...)
    python: str
    nullable: bool = False


@dataclass(frozen=True, slots=True)
class Index:
    columns: tuple[str, ...]
    unique: bool = False
    #: PostgreSQL: ``text_pattern_ops`` so that ``LIKE 'prefix%'`` can use it
    prefix_search: bool = False
    #: PostgreSQL: a GIN index on an array column (``@>``); SQLite has none, and
    #: looks elements up in a side table instead (``PERSON_INDEX``)
    gin: bool = False


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    #: a journal row, or what a store keeps in its place (``AssessedLines``, ``PersonKey``)
    row_type: type[Any]
    columns: tuple[Column, ...]
    #: read paths (the primary key (position, ordinal) is there unless ``keyed`` is False)
    indexes: tuple[Index, ...] = ()
    #: False for a side table with several rows per key (``PERSON_INDEX``)
    keyed: bool = True

    @property
    def column_names(self) -> tuple[str, ...]:
        return ("position", "ordinal", *(c.name for c in self.columns))

    def index_name(self, index: Index) -> str:
        return f"{self.name}_{'_'.join(index.columns)}_idx"


#: dataclass fields whose column needs another name (``on`` is an SQL keyword)
_RENAMED = {"on": "on_date", "type": "event_type"}
_KINDS: dict[str, ColumnType] = {
    "UUID": ColumnType.uuid,
    "int": ColumnType.int,
    "datetime": ColumnType.instant,
    "date": ColumnType.day,
    "str": ColumnType.text,
    "Decimal": ColumnType.money,
    "Period": ColumnType.period,
    "Kind": ColumnType.text,
    "Part": ColumnType.text,
    "dict[str, Any]": ColumnType.json,
    "tuple[str, ...]": ColumnType.texts,
    "tuple[int, ...]": ColumnType.fens,
}


def columns_of(row_type: type[Any]) -> tuple[Column, ...]:
    """A row type's columns: its table's, or (``PersonLine``, read from arrays) its own."""
    table = TABLE_OF.get(row_type)
    return table.columns if table is not None else _columns(row_type)


def _columns(row_type: type[Any]) -> tuple[Column, ...]:
    """Columns in the row's field order, typed from its annotations."""
    found = []
    for f in fields(row_type):
        annotation = str(f.type)
        nullable = annotation.endswith(" | None")
        python = annotation.removesuffix(" | None")
        found.append(Column(_RENAMED.get(f.name, f.name), _KINDS[python], f.name, python, nullable))
    return tuple(found)


def _table(name: str, row_type: type[Any], *indexes: Index) -> Table:
    return Table(name, row_type, _columns(row_type), indexes)


TABLES: tuple[Table, ...] = (
    _table(
        "view_units",
        UnitRegistered,
        Index(("uscc",)),
        Index(("region",), prefix_search=True),
        Index(("agency",)),
    ),
    _table("view_movements", Movement, Index(("unit_id",))),
    # Person lines, one row per assessment (see ``AssessedLines``): a person's lines
    # are found through the GIN index on the array of resident IDs.
    _table(
        "view_assessed_lines",
        AssessedLines,
        Index(("unit_id",)),
        Index(("resident_ids",), gin=True),
    ),
    _table(
        "view_person_reductions",
        PersonReduction,
        Index(("unit_id",)),
        Index(("resident_id",)),
    ),
    _table("view_deferral_decisions", DeferralDecision, Index(("unit_id",))),
    _table(
        "view_audit",
        AuditEntry,
        Index(("originator_id", "version"), unique=True),
        Index(("recorded_at",)),
        Index(("resident_id",)),
    ),
    _table("view_quarantine", Quarantined, Index(("originator_id",))),
)
TABLE_OF: dict[type[Any], Table] = {t.row_type: t for t in TABLES}


@dataclass(frozen=True, slots=True)
class PersonKey:
    """SQLite's stand-in for the GIN index: a person of an ``AssessedLines`` row, keyed
    by that row's ``(position, ordinal)``; written beside it, in bulk."""

    resident_id: str


PERSON_INDEX = Table(
    "view_person_index", PersonKey, _columns(PersonKey), (Index(("resident_id",)),), keyed=False
)
#: what a dialect stores: SQLite adds the side table of persons
STORED: dict[Dialect, tuple[Table, ...]] = {"postgres": TABLES, "sqlite": (*TABLES, PERSON_INDEX)}
#: Earlier layouts, by what a store that still has one holds: person lines stored a
#: row per person before ``AssessedLines`` (this table), or a table without a column it
#: has now (``CURRENT_COLUMNS``: amounts in yuan before whole fen). Such a store drops
#: those tables when opened and starts its views again from the first event (they are
#: derived: the next catch-up fills them). A renamed column, not a retyped one, so that
#: a reader of the other layout (a province's link to a region) fails on it by name
#: instead of reading fen as yuan.
LEGACY_TABLE = "view_person_lines"
CURRENT_COLUMNS = {"view_assessed_lines": "bases_fen"}


#: each unit's balance kept ready (``balance_ready``): one row per unit, rewritten by
#: the reads that find it stale, emptied with the views
READY_TABLE = "view_balance_ready"


def create_statements(dialect: Dialect, schema: str | None = None) -> list[str]:
    """CREATE TABLE for every view table and the tracking table (if missing)."""
    statements = [
        f"CREATE TABLE IF NOT EXISTS {_name(TRACKING_TABLE, schema)} "
        "(name TEXT PRIMARY KEY, position BIGINT NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {_name(READY_TABLE, schema)} "
        f"(unit_id {ColumnType.uuid.sql_type(dialect)} PRIMARY KEY, "
        "through BIGINT NOT NULL, state TEXT NOT NULL)",
    ]
    for table in STORED[dialect]:
        columns = ", ".join(
            f"{c.name} {c.kind.sql_type(dialect)}{'' if c.nullable else ' NOT NULL'}"
            for c in table.columns
        )
        # SQLite: WITHOUT ROWID stores rows in key order, so there is no second
        # b-tree for the primary key; appends land at its right edge.
        suffix = " WITHOUT ROWID" if dialect == "sqlite" and table.keyed else ""
        key = ", PRIMARY KEY (position, ordinal)" if table.keyed else ""
        statements.append(
            f"CREATE TABLE IF NOT EXISTS {_name(table.name, schema)} "
            f"(position BIGINT NOT NULL, ordinal INTEGER NOT NULL, {columns}{key}){suffix}"
        )
    return statements


def array_columns() -> list[tuple[str, str]]:
    """(table, column) of every array column.

    PostgreSQL keeps no statistics for them (``SET STATISTICS 0``, set once: see
    ``PostgresViewStore``): ANALYZE spent most of a rebuild's index phase on them
    (0.49 s of 0.6 s for 36,000 assessments), and the one filter on an array (@> on
    resident IDs) takes the GIN index on the default estimate."""
    return [
        (table.name, c.name)
        for table in TABLES
        for c in table.columns
        if c.kind in (ColumnType.texts, ColumnType.fens)
    ]


def index_statements(dialect: Dialect, schema: str | None = None) -> list[str]:
    """CREATE INDEX for every read path (if missing)."""
    statements = []
    for table in STORED[dialect]:
        for index in table.indexes:
            if index.gin and dialect != "postgres":
                continue
            columns = ", ".join(
                f"{c} text_pattern_ops" if index.prefix_search and dialect == "postgres" else c
                for c in index.columns
            )
            unique = "UNIQUE " if index.unique else ""
            using = "USING gin " if index.gin else ""
            # PostgreSQL puts an index in its table's schema: the name is unqualified.
            name = (
                table.index_name(index)
                if dialect == "postgres"
                else _name(table.index_name(index), schema)
            )
            # GIN: no pending list. With one, inserts are cheaper but every search scans
            # the list until a vacuum merges it: a person's lines took 2-6 ms to find
            # after a catch-up instead of 0.1 ms.
            options = " WITH (fastupdate = off)" if index.gin else ""
            statements.append(
                f"CREATE {unique}INDEX IF NOT EXISTS {name} "
                f"ON {_name(table.name, schema)} {using}({columns}){options}"
            )
    return statements


def key_statements(schema: str, table: str) -> tuple[str, str]:
    """PostgreSQL: a view table's primary key ``(position, ordinal)`` built again after a
    rebuild (``clear`` drops it): its unique index, which other index builds on the
    table need not wait for, then the constraint over it (a moment's lock)."""
    name = _name(table, schema)
    return (
        f"CREATE UNIQUE INDEX IF NOT EXISTS {table}_key ON {name} (position, ordinal)",
        f"ALTER TABLE {name} ADD CONSTRAINT {table}_pkey PRIMARY KEY USING INDEX {table}_key",
    )


def drop_index_statements(
    dialect: Dialect, schema: str | None = None, *, guards: bool = False
) -> list[str]:
    """DROP INDEX for the read paths that are not also guards (unique ones stay), or
    with ``guards`` for all of them (a rebuild on PostgreSQL, which drops the primary
    keys too: the tracking row guards each of its pages, and the audit's unique index,
    kept up row by row, cost its COPY a few per cent of the server's time)."""
    return [
        f"DROP INDEX IF EXISTS {_name(table.index_name(index), schema)}"
        for table in STORED[dialect]
        for index in table.indexes
        if guards or not index.unique
    ]


def _name(name: str, schema: str | None) -> str:
    # Schema names are checked by ledger.bootstrap (lower-case letters, digits, _).
    return f'"{schema}".{name}' if schema else name
