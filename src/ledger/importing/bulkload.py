"""Loading many aggregates with one query per chunk instead of one per aggregate.

``Repository.get`` costs a database round trip per aggregate; an import of a
city's month touches 300,000 units. Here the stored events of a chunk of ids are
selected in one statement (PostgreSQL ``= ANY(array)``, SQLite ``IN (...)``),
ordered by aggregate and version, mapped with the application's own mapper and
folded exactly as the repository folds them (``event.mutate(aggregate)``).
Stores other than these two fall back to the repository.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder
from eventsourcing.sqlite import SQLiteAggregateRecorder
from psycopg import sql
from psycopg.rows import tuple_row

#: ids per query: large enough to amortise the round trip, small enough for SQLite's
#: bound-parameter limit and a modest IN list
SQLITE_CHUNK = 500
POSTGRES_CHUNK = 2_000

Row = tuple[Any, int, str, bytes]


def load_aggregates(app: Application[UUID], ids: Iterable[UUID]) -> dict[UUID, Any]:
    """The current state of each existing aggregate among ``ids`` (absent ones are left out)."""
    wanted = list(dict.fromkeys(ids))
    recorder = app.recorder
    if isinstance(recorder, PostgresAggregateRecorder):
        rows = _postgres_rows(recorder, wanted)
    elif isinstance(recorder, SQLiteAggregateRecorder):
        rows = _sqlite_rows(recorder, wanted)
    else:
        return _one_by_one(app, wanted)
    return _fold(app, rows)


def _fold(app: Application[UUID], rows: Iterable[Row]) -> dict[UUID, Any]:
    to_domain_event = app.mapper.to_domain_event
    found: dict[UUID, Any] = {}
    current: Any = None
    current_id: Any = None
    for originator_id, version, topic, state in rows:
        if originator_id != current_id:
            if current is not None:
                found[current.id] = current
            current, current_id = None, originator_id
        event = to_domain_event(StoredEvent(originator_id, version, topic, state))
        current = cast(Any, event).mutate(current)
    if current is not None:
        found[current.id] = current
    return found


def _chunks(ids: Sequence[UUID], size: int) -> Iterator[Sequence[UUID]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _postgres_rows(recorder: PostgresAggregateRecorder, ids: Sequence[UUID]) -> Iterator[Row]:
    datastore = recorder.datastore
    statement = sql.SQL(
        "SELECT originator_id, originator_version, topic, state FROM {schema}.{table} "
        "WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version"
    ).format(
        schema=sql.Identifier(datastore.schema),
        table=sql.Identifier(recorder.events_table_name),
    )
    # Binary results: bytea arrives as bytes, not as hex text to be decoded.
    with (
        datastore.get_connection() as conn,
        conn.cursor(row_factory=tuple_row, binary=True) as cursor,
    ):
        for chunk in _chunks(ids, POSTGRES_CHUNK):
            cursor.execute(statement, (list(chunk),))
            yield from cursor.fetchall()


def _sqlite_rows(recorder: SQLiteAggregateRecorder, ids: Sequence[UUID]) -> Iterator[Row]:
    table = recorder.events_table_name
    convert = recorder.convert_originator_id
    with recorder.datastore.transaction(commit=False) as cursor:
        for chunk in _chunks(ids, SQLITE_CHUNK):
            marks = ",".join("?" * len(chunk))
            cursor.execute(
                "SELECT originator_id, originator_version, topic, state "
                f"FROM {table} WHERE originator_id IN ({marks}) "
                "ORDER BY originator_id, originator_version",
                [i.hex for i in chunk],
            )
            for row in cursor.fetchall():
                yield convert(row[0]), row[1], row[2], row[3]


def _one_by_one(app: Application[UUID], ids: Sequence[UUID]) -> dict[UUID, Any]:
    found: dict[UUID, Any] = {}
    for aggregate_id in ids:
        try:
            found[aggregate_id] = app.repository.get(aggregate_id)
        except AggregateNotFoundError:
            continue
    return found
