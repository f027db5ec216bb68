"""The views in the events' SQLite file (the embedded default).

Two connections: one writes pages, one reads, so a read never sees a page half
written. A page is written under ``BEGIN IMMEDIATE``: SQLite's one write lock is
taken before the tracking position is read, so two runners cannot both pass the
position check (the second waits, then finds the position moved). The event
writers wait for that lock too (up to their lock timeout) for the length of one
page's insert; the file is in WAL mode (the event store sets it), so readers of
either never wait.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from ledger.domain.money import from_fen
from ledger.logs import get_logger
from ledger.projections.encoding import period_of, utc_text
from ledger.projections.journal import AssessedLines, PersonLine
from ledger.projections.pages import Page
from ledger.projections.schema import (
    CURRENT_COLUMNS,
    LEGACY_TABLE,
    PERSON_INDEX,
    READY_TABLE,
    STORED,
    TABLE_OF,
    TRACKING_NAME,
    TRACKING_TABLE,
    create_statements,
    drop_index_statements,
    index_statements,
)
from ledger.projections.sql import PositionMoved, SqlViewStore, Where

#: seconds a page waits for SQLite's write lock (held by event writers while they save)
LOCK_TIMEOUT = 30.0
#: seconds a read waits to keep a balance it folded (see ``_keep``)
KEEP_WAIT = 0.05


class SQLiteViewStore(SqlViewStore):
    dialect = "sqlite"

    def __init__(self, database: str) -> None:
        super().__init__()
        self.database = database
        self._writer = self._connect()
        # An in-memory database is private to its connection: read where it is written.
        self._reader = self._writer if _in_memory(database) else self._connect()
        self._write_lock = threading.Lock()
        self._read_lock = self._write_lock if self._reader is self._writer else threading.Lock()
        with self._transaction() as conn:
            outdated = _outdated(conn)
            for table in outdated:
                get_logger().warning("views_reset_for_new_layout", table=table)
                conn.execute(f"DROP TABLE {table}")
            for statement in create_statements("sqlite"):
                conn.execute(statement)
            conn.execute(
                f"INSERT OR IGNORE INTO {TRACKING_TABLE} (name, position) VALUES (?, 0)",
                (TRACKING_NAME,),
            )
            if outdated:
                # the views start again from the first event (they are derived; the
                # next catch-up refills them)
                for stored in STORED["sqlite"]:
                    conn.execute(f"DELETE FROM {stored.name}")
                conn.execute(f"DELETE FROM {READY_TABLE}")
                conn.execute(
                    f"UPDATE {TRACKING_TABLE} SET position = 0 WHERE name = ?", (TRACKING_NAME,)
                )
            for statement in index_statements("sqlite"):
                conn.execute(statement)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.database,
            uri=True,
            isolation_level=None,  # transactions are begun explicitly
            check_same_thread=False,  # the runner writes from its writer thread
            timeout=LOCK_TIMEOUT,
        )
        conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode: a power cut may lose the last pages, never half of one
        # (the views are derived, and their position goes back with them).
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    # ------------------------------------------------------------ dialect

    def _select(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with self._read_lock:
            return self._reader.execute(sql, list(params)).fetchall()

    def _qualified(self, name: str) -> str:
        return name

    def _in(self, column: str, values: list[Any]) -> tuple[str, list[Any]]:
        # One JSON parameter, however many values (no bound-parameter limit).
        return f"{column} IN (SELECT value FROM json_each(?))", [json.dumps(values)]

    def _each(self, values: list[Any]) -> tuple[str, list[Any]]:
        return "SELECT value FROM json_each(?)", [json.dumps(values)]

    def _starts_with(self, column: str, prefix: str) -> tuple[str, list[Any]]:
        # A range, which the column's index serves (LIKE would not: case-insensitive).
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        return f"{column} >= ? AND {column} < ?", [prefix, upper]

    def _has_person(self, resident_id: str) -> tuple[str, list[Any]]:
        # the event's position: its primary key's prefix (the person's own lines are
        # picked out of the row's arrays when they are read)
        return (
            f"position IN (SELECT position FROM {PERSON_INDEX.name} WHERE resident_id = ?)",
            [resident_id],
        )

    def _person_lines(self, where: Where, resident_id: str | None) -> list[PersonLine]:
        # The JSON arrays read here: for a person, their places among the IDs first, and
        # only those amounts made Decimals (a unit's hundreds of persons are not).
        table = TABLE_OF[AssessedLines]
        columns = ", ".join(c.name for c in table.columns)
        rows = self._select(
            f"SELECT {columns} FROM {table.name}{where.sql()} ORDER BY position, ordinal",
            where.params,
        )
        found: list[PersonLine] = []
        for unit, version, at, period, fixed_um, fixed_ind, rids, *arrays in rows:
            ids: list[str] = json.loads(rids)
            places = (
                range(len(ids))
                if resident_id is None
                else [i for i, rid in enumerate(ids) if rid == resident_id]
            )
            if not places:
                continue
            bases, unit_medical, unit_maternity, individual = map(json.loads, arrays[:4])
            held = bases if arrays[4] is None else json.loads(arrays[4])
            head = (UUID(unit), version, datetime.fromisoformat(at), period_of(period))
            fixed = (Decimal(fixed_um), Decimal(fixed_ind))
            found.extend(
                PersonLine(
                    *head,
                    ids[i],
                    from_fen(bases[i]),
                    from_fen(unit_medical[i]),
                    from_fen(unit_maternity[i]),
                    from_fen(individual[i]),
                    from_fen(held[i]),
                    *fixed,
                )
                for i in places
            )
        return found

    def _param(self, value: Any) -> Any:
        if isinstance(value, UUID):
            return str(value)
        if isinstance(value, datetime):
            return utc_text(value)
        return value

    def _keep(self, sql: str, params: Sequence[Any]) -> None:
        # A read keeps what it folded only if the file's write lock is free at once (a
        # page or a command holds it): it never waits the pages' LOCK_TIMEOUT for it,
        # and the next read of the unit keeps it instead.
        if not self._write_lock.acquire(timeout=KEEP_WAIT):
            return
        try:
            self._writer.execute(f"PRAGMA busy_timeout = {int(KEEP_WAIT * 1000)}")
            try:
                self._writer.execute(sql, list(params))  # autocommit: its own transaction
            except sqlite3.OperationalError:
                pass
            finally:
                self._writer.execute(f"PRAGMA busy_timeout = {int(LOCK_TIMEOUT * 1000)}")
        finally:
            self._write_lock.release()

    # ------------------------------------------------------------ writing

    def write(
        self, page: Page, position: int, *, after: int | None = None, durable: bool = True
    ) -> None:
        # ``durable`` is PostgreSQL's commit mode; SQLite's is the connection's (pragmas).
        with self._transaction() as conn:
            (found,) = conn.execute(
                f"SELECT position FROM {TRACKING_TABLE} WHERE name = ?", (TRACKING_NAME,)
            ).fetchone()
            if after is not None and found != after:
                raise PositionMoved(after, found)
            for table, rows in page.payloads():
                marks = ", ".join("?" * len(table.column_names))
                columns = ", ".join(table.column_names)
                conn.executemany(f"INSERT INTO {table.name} ({columns}) VALUES ({marks})", rows)
            conn.execute(
                f"UPDATE {TRACKING_TABLE} SET position = ? WHERE name = ?",
                (position, TRACKING_NAME),
            )

    def clear(self) -> None:
        self._registered.clear()
        with self._transaction() as conn:
            for statement in drop_index_statements("sqlite"):
                conn.execute(statement)
            for table in STORED["sqlite"]:
                # Dropped and made again: faster than deleting every row one by one.
                conn.execute(f"DROP TABLE IF EXISTS {table.name}")
            conn.execute(f"DELETE FROM {READY_TABLE}")
            for statement in create_statements("sqlite"):
                conn.execute(statement)
            conn.execute(
                f"UPDATE {TRACKING_TABLE} SET position = 0 WHERE name = ?", (TRACKING_NAME,)
            )

    def create_indexes(self) -> None:
        with self._transaction() as conn:
            for statement in index_statements("sqlite"):
                conn.execute(statement)
            for table in STORED["sqlite"]:
                conn.execute(f"ANALYZE {table.name}")

    def close(self) -> None:
        # Both locks: closing a SQLite connection under a query running in another thread
        # (a health probe abandoned at its time-out) crashes the process; a read that
        # comes after the close gets sqlite3.ProgrammingError instead.
        with self._write_lock:
            if self._reader is not self._writer:
                with self._read_lock:
                    self._reader.close()
            self._writer.close()

    def _transaction(self) -> _Immediate:
        return _Immediate(self._writer, self._write_lock)


class _Immediate:
    """``BEGIN IMMEDIATE`` .. ``COMMIT`` (``ROLLBACK`` on any error), one at a time."""

    def __init__(self, conn: sqlite3.Connection, lock: threading.Lock) -> None:
        self.conn = conn
        self.lock = lock

    def __enter__(self) -> sqlite3.Connection:
        self.lock.acquire()
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            self.lock.release()
            raise
        return self.conn

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        try:
            self.conn.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self.lock.release()


def _in_memory(database: str) -> bool:
    return database in ("", ":memory:") or "mode=memory" in database


def _outdated(conn: sqlite3.Connection) -> list[str]:
    """The tables of an earlier layout (``LEGACY_TABLE``, ``CURRENT_COLUMNS``)."""
    found = []
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        if name == LEGACY_TABLE or (
            name in CURRENT_COLUMNS
            and CURRENT_COLUMNS[name]
            not in {column for _, column, *_ in conn.execute(f"PRAGMA table_info({name})")}
        ):
            found.append(name)
    return sorted(found)
