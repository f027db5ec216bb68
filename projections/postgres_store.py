"""The views in the events' PostgreSQL database and schema (one schema per pooling region).

A page is one transaction: the tracking row is locked (``SELECT ... FOR UPDATE``)
before anything else, so a second runner waits for the first one's page to commit,
then finds the position moved and writes nothing; each table's rows are sent with
one ``COPY``; the position is updated last. Connections come from a small pool
(reads from API threads, the runner's writer thread), in autocommit mode with
explicit transactions, and in UTC so instants come back as they were written.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from datetime import datetime
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool, PoolTimeout

from ledger import pgsql
from ledger.domain.errors import Unavailable
from ledger.logs import get_logger
from ledger.projections.journal import AssessedLines, PersonLine
from ledger.projections.pages import Page
from ledger.projections.schema import (
    CURRENT_COLUMNS,
    LEGACY_TABLE,
    READY_TABLE,
    TABLE_OF,
    TABLES,
    TRACKING_NAME,
    TRACKING_TABLE,
    array_columns,
    create_statements,
    drop_index_statements,
    index_statements,
    key_statements,
)
from ledger.projections.sql import PositionMoved, SqlViewStore, Where

#: how long a page waits for another runner's page (or a rebuild) before giving up
LOCK_TIMEOUT = "60s"
#: how long the reset of views of an earlier layout waits for their readers (a process
#: of the earlier version): a DROP waiting longer would hold every later read behind it
RESET_LOCK_TIMEOUT = "5s"
#: memory for building an index after a rebuild (a session setting, not the server's)
INDEX_MEMORY = "256MB"
#: indexes built at once after a rebuild (each on a connection of its own)
INDEX_BUILDERS = 2


class PostgresViewStore(SqlViewStore):
    dialect = "postgres"

    def __init__(self, url: str, schema: str, *, pool_size: int = 5) -> None:
        super().__init__()
        self.schema = schema
        self._pool: ConnectionPool[psycopg.Connection[tuple[Any, ...]]] = ConnectionPool(
            url,
            min_size=1,
            max_size=max(2, pool_size),
            kwargs={"autocommit": True, "options": "-c TimeZone=UTC"},
            open=True,
            name=f"views-{schema}",
        )
        try:
            self._pool.wait(timeout=10)
        except PoolTimeout as exc:
            self._pool.close()
            raise Unavailable(f"PostgreSQL cannot be reached for the views: {exc}") from exc
        self._create()

    def _create(self) -> None:
        try:
            self._create_tables()
            self._compress()
        except psycopg.errors.LockNotAvailable as exc:
            raise Unavailable(
                f"the views in schema {self.schema} are of an earlier layout and another "
                f"process is reading them (waited {RESET_LOCK_TIMEOUT}): stop the region's "
                "processes of the earlier version, then open the views again"
            ) from exc

    def _create_tables(self) -> None:
        with self._pool.connection() as conn, conn.transaction():
            # Two processes opening the store at once must not race on CREATE TABLE.
            conn.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))", (f"{self.schema}.view_tables",)
            )
            outdated = self._outdated(conn)
            if outdated:
                conn.execute(f"SET LOCAL lock_timeout = '{RESET_LOCK_TIMEOUT}'")
            for table in outdated:
                get_logger().warning("views_reset_for_new_layout", table=table)
                conn.execute(f"DROP TABLE {self._qualified(table)}")
            for statement in create_statements("postgres", self.schema):
                conn.execute(statement)
            # Only where not set yet: ALTER TABLE waits behind an index being built (a
            # rebuild's last phase) and rewrites the catalog row each time.
            for table, column in conn.execute(
                "SELECT c.relname, a.attname FROM pg_attribute a "
                "JOIN pg_class c ON c.oid = a.attrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = %s AND c.relname || '.' || a.attname = ANY(%s) "
                "AND a.attstattarget IS DISTINCT FROM 0",
                (self.schema, [f"{t}.{c}" for t, c in array_columns()]),
            ).fetchall():
                conn.execute(
                    f"ALTER TABLE {self._qualified(table)} ALTER COLUMN {column} SET STATISTICS 0"
                )
            conn.execute(
                f"INSERT INTO {self._qualified(TRACKING_TABLE)} (name, position) "
                "VALUES (%s, 0) ON CONFLICT (name) DO NOTHING",
                (TRACKING_NAME,),
            )
            if outdated:
                # the views start again from the first event (they are derived; the
                # next catch-up refills them)
                names = [self._qualified(t.name) for t in TABLES]
                conn.execute(f"TRUNCATE {', '.join([*names, self._qualified(READY_TABLE)])}")
                conn.execute(
                    f"UPDATE {self._qualified(TRACKING_TABLE)} SET position = 0 WHERE name = %s",
                    (TRACKING_NAME,),
                )
            for statement in index_statements("postgres", self.schema):
                conn.execute(statement)
            for table in self._keyless(conn):  # a rebuild stopped before its end
                for statement in key_statements(self.schema, table):
                    conn.execute(statement)  # the index, then the constraint over it

    def _compress(self, conn: psycopg.Connection[Any] | None = None) -> None:
        """Person-line arrays, audit details and kept balances pass 2 kB: their columns
        compressed by lz4 (``ledger.pgsql``). Each table in a transaction of its own
        (autocommit), so that a table set holds none of its readers while the next one
        waits for its own; or in ``conn``'s transaction, which holds every table already
        (a rebuild's ``clear``)."""
        with nullcontext(conn) if conn is not None else self._pool.connection() as on:
            for name in (*(t.name for t in TABLES), READY_TABLE):
                on.execute(pgsql.lz4_statement(self.schema, name))

    def _outdated(self, conn: psycopg.Connection[Any]) -> list[str]:
        """The tables of an earlier layout (``LEGACY_TABLE``, ``CURRENT_COLUMNS``)."""
        rows = conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind = 'r' AND (c.relname = %s OR ("
            "c.relname = ANY(%s) AND NOT EXISTS (SELECT 1 FROM pg_attribute a "
            "WHERE a.attrelid = c.oid AND a.attname = (%s::jsonb ->> c.relname) "
            "AND NOT a.attisdropped)))",
            (self.schema, LEGACY_TABLE, list(CURRENT_COLUMNS), json.dumps(CURRENT_COLUMNS)),
        ).fetchall()
        return sorted(name for (name,) in rows)

    def _keyless(self, conn: psycopg.Connection[Any]) -> list[str]:
        """The view tables without their primary key (dropped by ``clear``)."""
        rows = conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relname = ANY(%s) AND NOT EXISTS ("
            "SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p')",
            (self.schema, [t.name for t in TABLES]),
        ).fetchall()
        return sorted(name for (name,) in rows)

    def database(self) -> tuple[str, str, str]:
        """The server and database the views are in: (host, port, dbname)."""
        return database_of(self._pool)

    # ------------------------------------------------------------ dialect

    def _select(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with self._pool.connection() as conn:
            return conn.execute(sql.replace("?", "%s"), list(params)).fetchall()

    def _qualified(self, name: str) -> str:
        return f'"{self.schema}".{name}'

    def _in(self, column: str, values: list[Any]) -> tuple[str, list[Any]]:
        return f"{column} = ANY(?)", [values]

    def _each(self, values: list[Any]) -> tuple[str, list[Any]]:
        return "SELECT unnest(?) AS value", [values]

    def _starts_with(self, column: str, prefix: str) -> tuple[str, list[Any]]:
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return f"{column} LIKE ?", [escaped + "%"]

    def _param(self, value: Any) -> Any:
        if isinstance(value, datetime) and value.tzinfo is None:
            raise TypeError(f"{value!r} has no time zone: instants are compared in UTC")
        return value

    def _keep(self, sql: str, params: Sequence[Any]) -> None:
        try:
            with self._pool.connection() as conn:
                conn.execute(sql.replace("?", "%s"), list(params))
        except psycopg.Error as exc:  # the read has its answer; the next one keeps it
            get_logger().warning("views_keep_failed", error=str(exc))

    def _has_person(self, resident_id: str) -> tuple[str, list[Any]]:
        return "resident_ids @> ARRAY[?]::text[]", [resident_id]

    def _person_lines(self, where: Where, resident_id: str | None) -> list[PersonLine]:
        # The arrays taken apart here, rows in PersonLine's column order (a missing
        # declared base is the base): only the person's elements cross the wire, fen
        # made yuan by the server (a bigint times 0.01 is a numeric of scale 2, exact).
        table = self._qualified(TABLE_OF[AssessedLines].name)
        if resident_id is None:
            query = (
                "SELECT unit_id, version, recorded_at, period, u.rid, u.base * 0.01, "
                "u.um * 0.01, u.mat * 0.01, u.ind * 0.01, COALESCE(u.declared, u.base) * 0.01, "
                f"fixed_unit_medical, fixed_individual FROM {table} CROSS JOIN LATERAL "
                "unnest(resident_ids, bases_fen, unit_medical_fen, unit_maternity_fen, "
                "individual_fen, declared_bases_fen) "
                f"WITH ORDINALITY AS u(rid, base, um, mat, ind, declared, n){where.sql()} "
                "ORDER BY position, ordinal, u.n"
            )
            params = where.params
        else:
            # A person's places in the array, then each array at those places: unnesting
            # every array of the row and filtering took 2.5 times as long (0.25 ms against
            # 0.10 for 12 assessments of 27 persons).
            query = (
                "SELECT unit_id, version, recorded_at, period, resident_ids[i], "
                "bases_fen[i] * 0.01, unit_medical_fen[i] * 0.01, unit_maternity_fen[i] * 0.01, "
                "individual_fen[i] * 0.01, COALESCE(declared_bases_fen[i], bases_fen[i]) * 0.01, "
                f"fixed_unit_medical, fixed_individual FROM {table} CROSS JOIN LATERAL "
                f"unnest(array_positions(resident_ids, ?)) AS i{where.sql()} "
                "ORDER BY position, ordinal, i"
            )
            params = [resident_id, *where.params]
        read = self._readers[PersonLine]
        return [read(values) for values in self._select(query, params)]

    # ------------------------------------------------------------ writing

    def write(
        self, page: Page, position: int, *, after: int | None = None, durable: bool = True
    ) -> None:
        tracking = self._qualified(TRACKING_TABLE)
        with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            cur.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            if not durable:
                # A rebuild's page: the commit does not wait for its WAL to reach the
                # disk. Rows and position are still one transaction; a crash of the
                # server loses at most the last commits (about three wal_writer_delay),
                # whole pages with their position, which the next catch-up redoes.
                cur.execute("SET LOCAL synchronous_commit = off")
            row = cur.execute(
                f"SELECT position FROM {tracking} WHERE name = %s FOR UPDATE", (TRACKING_NAME,)
            ).fetchone()
            found = int(row[0]) if row else 0
            if after is not None and found != after:
                raise PositionMoved(after, found)
            for table, payload in page.payloads():
                columns = ", ".join(table.column_names)
                with cur.copy(f"COPY {self._qualified(table.name)} ({columns}) FROM STDIN") as copy:
                    copy.write(payload)
            cur.execute(
                f"UPDATE {tracking} SET position = %s WHERE name = %s", (position, TRACKING_NAME)
            )

    def clear(self) -> None:
        self._registered.clear()
        with self._pool.connection() as conn, conn.transaction():
            conn.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            conn.execute(
                f"SELECT position FROM {self._qualified(TRACKING_TABLE)} "
                "WHERE name = %s FOR UPDATE",
                (TRACKING_NAME,),
            )
            for statement in drop_index_statements("postgres", self.schema, guards=True):
                conn.execute(statement)
            # The primary keys too: the tracking row guards every page of a rebuild (its
            # position checked under lock), the keys are built again at its end.
            for table in TABLES:
                conn.execute(
                    f"ALTER TABLE {self._qualified(table.name)} "
                    f"DROP CONSTRAINT IF EXISTS {table.name}_pkey"
                )
            names = ", ".join(self._qualified(t.name) for t in TABLES)
            names += ", " + self._qualified(READY_TABLE)
            conn.execute(f"TRUNCATE {names}")
            self._byte_order(conn)
            # a column's type set again forgets its compression
            self._compress(conn)
            conn.execute(
                f"UPDATE {self._qualified(TRACKING_TABLE)} SET position = 0 WHERE name = %s",
                (TRACKING_NAME,),
            )

    def _byte_order(self, conn: psycopg.Connection[Any]) -> None:
        """Text arrays made before they were collated "C" (``schema``) are made so once
        emptied, when the change costs nothing (a rebuild, its GIN index dropped)."""
        for table, column in conn.execute(
            "SELECT c.relname, a.attname FROM pg_attribute a "
            "JOIN pg_class c ON c.oid = a.attrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relname || '.' || a.attname = ANY(%s) "
            "AND a.atttypid = 'text[]'::regtype AND a.attcollation <> '\"C\"'::regcollation",
            (self.schema, [f"{t}.{c}" for t, c in array_columns()]),
        ).fetchall():
            conn.execute(
                f"ALTER TABLE {self._qualified(table)} "
                f'ALTER COLUMN {column} TYPE text[] COLLATE "C"'
            )

    def create_indexes(self) -> None:
        # Two at a time, on two connections: the GIN index on resident IDs alone takes
        # about as long as every other index and ANALYZE together, and each build uses
        # one core (PostgreSQL builds a GIN index in one process). A primary key's unique
        # index is built with the others; the constraint is put over it once they are all
        # built (it locks its table, and would wait for a build on it, holding a builder).
        with self._pool.connection() as conn:
            keys = [key_statements(self.schema, table) for table in self._keyless(conn)]
        statements = [
            *index_statements("postgres", self.schema),
            *(build for build, _ in keys),
            *(f"ANALYZE {self._qualified(t.name)}" for t in TABLES),
        ]
        statements.sort(key=lambda s: "USING gin" not in s)  # the longest first

        def run(statement: str) -> None:
            with self._pool.connection() as conn:
                conn.execute(f"SET maintenance_work_mem = '{INDEX_MEMORY}'")
                try:
                    conn.execute(statement)
                finally:
                    conn.execute("RESET maintenance_work_mem")

        with ThreadPoolExecutor(INDEX_BUILDERS, thread_name_prefix="views-index") as builders:
            for done in [builders.submit(run, s) for s in statements]:
                done.result()
        with self._pool.connection() as conn:
            for _, constrain in keys:
                conn.execute(constrain)

    def close(self) -> None:
        self._pool.close()


def database_of(pool: ConnectionPool[Any]) -> tuple[str, str, str]:
    """The server and database a pool connects to: (host, port, dbname)."""
    conninfo = pool.conninfo() if callable(pool.conninfo) else pool.conninfo
    kwargs = pool.kwargs() if callable(pool.kwargs) else pool.kwargs
    given: dict[str, Any] = {**conninfo_to_dict(conninfo), **(kwargs or {})}
    return str(given.get("host", "")), str(given.get("port", "")), str(given.get("dbname", ""))
