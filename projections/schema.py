"""The view tables: one per row type of the journal, the same on SQLite and PostgreSQL.

Every table starts with ``position`` and ``ordinal``: the notification id of the event
a row came from and the row's place among that event's rows (``append`` outside the
runner uses the page's position and the row's place in the page). Their primary key
orders rows as they were appended (the order ``MemoryViewStore`` keeps) and makes a
row impossible to store twice: a page applied again fails instead of double-counting.

Columns have logical types (``ColumnType``) mapped to each dialect: amounts are
NUMERIC(14,2) in PostgreSQL and TEXT in SQLite (a Decimal's string round-trips
exactly, never a float); instants are timestamptz / ISO text in UTC; dates ISO.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import Enum
from typing import Literal

from ledger.projections.journal import (
    AuditEntry,
    DeferralDecision,
    Movement,
    PersonLine,
    PersonReduction,
    Quarantined,
    Row,
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


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    row_type: type[Row]
    columns: tuple[Column, ...]
    #: read paths (the primary key (position, ordinal) is always there)
    indexes: tuple[Index, ...] = ()

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
}


def _columns(row_type: type[Row]) -> tuple[Column, ...]:
    """Columns in the row's field order, typed from its annotations."""
    found = []
    for f in fields(row_type):
        annotation = str(f.type)
        nullable = annotation.endswith(" | None")
        python = annotation.removesuffix(" | None")
        found.append(Column(_RENAMED.get(f.name, f.name), _KINDS[python], f.name, python, nullable))
    return tuple(found)


def _table(name: str, row_type: type[Row], *indexes: Index) -> Table:
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
    _table("view_person_lines", PersonLine, Index(("unit_id",)), Index(("resident_id",))),
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
TABLE_OF: dict[type[Row], Table] = {t.row_type: t for t in TABLES}


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
    for table in TABLES:
        columns = ", ".join(
            f"{c.name} {c.kind.sql_type(dialect)}{'' if c.nullable else ' NOT NULL'}"
            for c in table.columns
        )
        # SQLite: WITHOUT ROWID stores rows in key order, so there is no second
        # b-tree for the primary key; appends land at its right edge.
        suffix = " WITHOUT ROWID" if dialect == "sqlite" else ""
        statements.append(
            f"CREATE TABLE IF NOT EXISTS {_name(table.name, schema)} "
            f"(position BIGINT NOT NULL, ordinal INTEGER NOT NULL, {columns}, "
            f"PRIMARY KEY (position, ordinal)){suffix}"
        )
    return statements


def index_statements(dialect: Dialect, schema: str | None = None) -> list[str]:
    """CREATE INDEX for every read path (if missing)."""
    statements = []
    for table in TABLES:
        for index in table.indexes:
            columns = ", ".join(
                f"{c} text_pattern_ops" if index.prefix_search and dialect == "postgres" else c
                for c in index.columns
            )
            unique = "UNIQUE " if index.unique else ""
            # PostgreSQL puts an index in its table's schema: the name is unqualified.
            name = (
                table.index_name(index)
                if dialect == "postgres"
                else _name(table.index_name(index), schema)
            )
            statements.append(
                f"CREATE {unique}INDEX IF NOT EXISTS {name} "
                f"ON {_name(table.name, schema)} ({columns})"
            )
    return statements


def drop_index_statements(schema: str | None = None) -> list[str]:
    """DROP INDEX for the read paths that are not also guards (unique ones stay)."""
    return [
        f"DROP INDEX IF EXISTS {_name(table.index_name(index), schema)}"
        for table in TABLES
        for index in table.indexes
        if not index.unique
    ]


def _name(name: str, schema: str | None) -> str:
    # Schema names are checked by ledger.bootstrap (lower-case letters, digits, _).
    return f'"{schema}".{name}' if schema else name
