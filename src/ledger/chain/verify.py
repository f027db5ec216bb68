"""Reading the chain back from a store: ``verify`` (the whole walk) and ``heads``.

No CLI here (``ledger audit verify`` in :mod:`ledger.cli.audit_chain` prints what
this returns; an HTTP route could do the same). The rows stream in notification
order in pages (a server-side cursor on PostgreSQL, ``fetchmany`` on SQLite),
inside one read-only snapshot that also reads the heads, so a store being
written while it is verified is checked as of one instant and memory stays flat.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from psycopg import sql
from psycopg.rows import tuple_row

from ledger.chain import postgres as pg
from ledger.chain import sqlite as lite
from ledger.chain.links import Head
from ledger.chain.walk import Report, Row, walk

__all__ = ["heads", "verify"]

#: rows per round trip of the walk
PAGE = 2_000


def verify(
    app: Application[UUID], *, only: str | None = None, anchors: Mapping[str, Head] | None = None
) -> Report:
    """Walks every chain of ``app``'s store (or the chain ``only``) and reports."""
    recorder = app.recorder
    if isinstance(recorder, PostgresApplicationRecorder):
        with _postgres(recorder, only) as (stored, rows):
            return walk(rows, stored, anchors, only)
    if isinstance(recorder, SQLiteApplicationRecorder):
        with _sqlite(recorder, only) as (stored, rows):
            return walk(rows, stored, anchors, only)
    raise TypeError(f"no hash chain on a {type(recorder).__name__}")


def heads(app: Application[UUID]) -> list[Head]:
    """Each chain's current head, by chain name: what to publish to anchor them."""
    recorder = app.recorder
    if isinstance(recorder, PostgresApplicationRecorder):
        with _postgres(recorder, None) as (stored, _):
            return [stored[name] for name in sorted(stored)]
    if isinstance(recorder, SQLiteApplicationRecorder):
        with _sqlite(recorder, None) as (stored, _):
            return [stored[name] for name in sorted(stored)]
    raise TypeError(f"no hash chain on a {type(recorder).__name__}")


@contextmanager
def _postgres(
    recorder: PostgresApplicationRecorder, only: str | None
) -> Iterator[tuple[dict[str, Head], Iterator[Row]]]:
    datastore = recorder.datastore
    t = pg.chain_tables(datastore.schema)
    events = sql.SQL("{}.{}").format(
        sql.Identifier(datastore.schema), sql.Identifier(recorder.events_table_name)
    )
    columns = sql.SQL(
        "coalesce(e.notification_id, l.notification_id), l.chain, l.hash, "
        "e.originator_id, e.originator_version, e.topic, e.state"
    )
    params: tuple[Any, ...] = ()
    if only is None:
        query = sql.SQL(
            "SELECT {} FROM {} e FULL JOIN {} l ON l.notification_id = e.notification_id ORDER BY 1"
        ).format(columns, events, t[pg.LINKS])
    else:
        query = sql.SQL(
            "SELECT {} FROM {} l LEFT JOIN {} e ON e.notification_id = l.notification_id "
            "WHERE l.chain = %s ORDER BY l.notification_id"
        ).format(columns, t[pg.LINKS], events)
        params = (only,)
    with datastore.get_connection() as conn, conn.transaction():
        # One snapshot for the heads and the walk, however long the walk takes.
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        with conn.cursor(row_factory=tuple_row) as cursor:
            cursor.execute(
                sql.SQL("SELECT chain, length, notification_id, hash FROM {}").format(t[pg.HEADS])
            )
            stored = {r[0]: Head(r[0], r[1], r[2], bytes(r[3])) for r in cursor.fetchall()}
        with conn.cursor("ledger_chain_walk", row_factory=tuple_row, binary=True) as walking:
            walking.itersize = PAGE
            walking.execute(query, params)
            yield stored, (Row(*r) for r in walking)


@contextmanager
def _sqlite(
    recorder: SQLiteApplicationRecorder, only: str | None
) -> Iterator[tuple[dict[str, Head], Iterator[Row]]]:
    events = recorder.events_table_name
    columns = "l.chain, l.hash, e.originator_id, e.originator_version, e.topic, e.state"
    with recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute(f"SELECT chain, length, notification_id, hash FROM {lite.HEADS}")
        stored = {r[0]: Head(r[0], r[1], r[2], bytes(r[3])) for r in cursor.fetchall()}
        if only is None:
            # Events with their links (if any), then links whose event is gone.
            cursor.execute(
                f"SELECT e.rowid AS n, {columns} FROM {events} e "
                f"LEFT JOIN {lite.LINKS} l ON l.notification_id = e.rowid "
                f"UNION ALL SELECT l.notification_id AS n, {columns} FROM {lite.LINKS} l "
                f"LEFT JOIN {events} e ON e.rowid = l.notification_id WHERE e.rowid IS NULL "
                "ORDER BY n"
            )
        else:
            cursor.execute(
                f"SELECT l.notification_id, {columns} FROM {lite.LINKS} l "
                f"LEFT JOIN {events} e ON e.rowid = l.notification_id "
                "WHERE l.chain = ? ORDER BY l.notification_id",
                (only,),
            )
        rows = _pages(cursor, recorder.convert_originator_id)
        try:
            yield stored, rows
        finally:
            rows.close()  # before the transaction ends, even if the walk stopped early


def _pages(
    cursor: SQLiteCursor, convert: Callable[[str], UUID | str]
) -> Generator[Row, None, None]:
    with cursor as raw:
        while page := raw.fetchmany(PAGE):
            for n, chain, link, oid, version, topic, state in page:
                yield Row(n, chain, link, convert(oid) if oid else None, version, topic, state)
