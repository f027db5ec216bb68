"""The PostgreSQL application recorder that chains every event it stores.

A save is one statement, in its own transaction: a call of the schema's PL/pgSQL
function (``ledger.chain.pgsave``) with the events as binary arrays (ids, versions,
topics, states: the library's array of a composite type in text had psycopg escape
every state in Python). The function keeps what the library's save does (the lock
timeout, the event table's EXCLUSIVE lock that keeps notification ids in commit order,
the NOTIFY) and chains the events as ``ledger.chain.links`` says, returning their
notification ids in their order, as the library expects them.

Statements are composed once per client encoding (``Rendered``): psycopg composes a
``Composed`` again (identifiers escaped through libpq) on every execution.

Events and links commit together or not at all: a crash can never leave an event
without its link, nor a link without its event.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    InterfaceError,
    OperationalError,
    ProgrammingError,
    StoredEvent,
)
from eventsourcing.postgres import (
    PostgresApplicationRecorder,
    PostgresDatastore,
)
from eventsourcing.utils import get_topic, retry
from psycopg import Connection, Cursor
from psycopg.errors import UndefinedFunction
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier

from ledger import pgsql
from ledger.chain import pgsave
from ledger.chain.links import Record, new_members

__all__ = ["TOPIC", "ChainedPostgresRecorder", "chain_tables"]

LINKS = "ledger_chain_links"
HEADS = "ledger_chain_heads"
MEMBERS = "ledger_chain_members"


def chain_tables(schema: str) -> dict[str, Composed]:
    """The qualified names of the chain's tables in ``schema``."""
    return {
        name: SQL("{}.{}").format(Identifier(schema), Identifier(name))
        for name in (LINKS, HEADS, MEMBERS)
    }


class ChainedPostgresRecorder(PostgresApplicationRecorder):
    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        if datastore.enable_db_functions:
            # That path inserts through a stored function and would bypass the chain.
            raise ProgrammingError("the hash chain needs POSTGRES_ENABLE_DB_FUNCTIONS off")
        # The library creates its insert function even when it will not call it, and
        # replaces it each time: processes opening the store at once (``ledger serve
        # --workers N``) failed on "tuple concurrently updated". Ours is created once.
        self.sql_create_statements.remove(self.sql_create_pg_function_insert_events)
        if datastore.originator_id_type != "uuid":
            # The ledger's queries and the save's function take UUIDs.
            raise ProgrammingError("the ledger needs ORIGINATOR_ID_TYPE uuid")
        t = chain_tables(datastore.schema)
        id_type = Identifier(datastore.originator_id_type)
        self.sql_create_statements += [
            SQL(
                "CREATE TABLE IF NOT EXISTS {} (notification_id bigint PRIMARY KEY, "
                "chain text NOT NULL, hash bytea NOT NULL)"
            ).format(t[LINKS]),
            SQL("CREATE INDEX IF NOT EXISTS {} ON {} (chain, notification_id)").format(
                Identifier(f"{LINKS}_chain_idx"), t[LINKS]
            ),
            SQL(
                "CREATE TABLE IF NOT EXISTS {} (chain text PRIMARY KEY, length bigint NOT NULL, "
                "notification_id bigint NOT NULL, hash bytea NOT NULL)"
            ).format(t[HEADS]),
            SQL(
                "CREATE TABLE IF NOT EXISTS {} (originator_id {} PRIMARY KEY, chain text NOT NULL)"
            ).format(t[MEMBERS], id_type),
        ]
        events = SQL("{}.{}").format(
            Identifier(datastore.schema), Identifier(self.events_table_name)
        )
        self.sql_create_statements.append(
            pgsave.create_function(
                datastore.schema,
                self.channel_name,
                events=events,
                links=t[LINKS],
                heads=t[HEADS],
                members=t[MEMBERS],
            )
        )
        # The library passes a save's events as one array of a composite type in text
        # form: psycopg escapes every event's state (bytea as hex, inside a composite
        # literal, inside an array literal) in Python, about 100 us of client CPU per
        # 1.5 kB event, seven times the insert itself. Binary arrays instead.
        self._call = Rendered(
            SQL(
                "SELECT n AS notification_id FROM {}(%b::{id}[], %b::bigint[], %b::text[], "
                "%b::bytea[], %s::text[], %s::{id}[], %s::text[], %s) AS n"
            ).format(pgsave.function_name(datastore.schema), id=id_type)
        )
        # The same events inserted alone, unchained: ``benchmarks.bench_chain``'s baseline.
        self.insert_arrays_statement = SQL(
            "INSERT INTO {}.{} (originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest(%b::{}[], %b::bigint[], %b::text[], %b::bytea[]) "
            "RETURNING notification_id"
        ).format(Identifier(datastore.schema), Identifier(self.events_table_name), id_type)
        # Each ask's select as a lateral subquery over the asks' arrays: one prepared
        # statement whatever their number (a UNION of one select per ask would be planned
        # anew for each number).
        self._select_several = Rendered(
            SQL(
                "SELECT a.n::int AS ask, e.originator_id, e.originator_version, e.topic, e.state "
                "FROM unnest(%s::{}[], %s::bigint[], %s::bigint[]) "
                "WITH ORDINALITY AS a(id, gt, lim, n) "
                "CROSS JOIN LATERAL (SELECT * FROM {}.{} s WHERE s.originator_id = a.id "
                "AND s.originator_version > a.gt ORDER BY s.originator_version LIMIT a.lim) e "
                "ORDER BY a.n, e.originator_version"
            ).format(id_type, Identifier(datastore.schema), Identifier(self.events_table_name))
        )

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def select_several(
        self, asks: Sequence[tuple[UUID, int, int | None]]
    ) -> list[list[StoredEvent]]:
        """For each (originator id, after version, limit or None), its events in version
        order, as ``select_events`` answers it: all in one statement (one round trip,
        one snapshot; ``ledger.usecases.lookahead``), the same for any number of asks."""
        answers: list[list[StoredEvent]] = [[] for _ in asks]
        if not asks:
            return answers
        ids, after, limits = zip(*asks, strict=True)
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(
                self._select_several.on(curs), (list(ids), list(after), list(limits)), prepare=True
            )
            for row in curs.fetchall():
                answers[row["ask"] - 1].append(
                    StoredEvent(
                        originator_id=row["originator_id"],
                        originator_version=row["originator_version"],
                        topic=row["topic"],
                        state=bytes(row["state"]),
                    )
                )
        return answers

    def create_table(self) -> None:
        super().create_table()
        # An assessment's state passes 2 kB from a few dozen persons: compressed by lz4.
        # In a transaction of its own: in the tables' one, each process opening the store
        # holds the event table's share lock (its index's CREATE ... IF NOT EXISTS) while
        # asking for the ALTER's exclusive one, and processes opening an older store at
        # once deadlocked.
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(pgsql.lz4_statement(self.datastore.schema, self.events_table_name))

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """The events stored and chained in one statement, its own transaction
        (``ledger.chain.pgsave``): their notification ids, in their order."""
        if not stored_events:
            return None
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            try:
                return self.insert_on(curs, stored_events)
            except UndefinedFunction as exc:  # the store predates it, opened without creating
                raise ProgrammingError(
                    f"the chained save's function {pgsave.FUNCTION} is missing in schema "
                    f"{self.datastore.schema!r}: open the store once with table creation on "
                    "(CREATE_TABLE, the default) as a role that may create functions there"
                ) from exc

    def insert_on(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent]) -> list[int]:
        """The save's statement on ``curs`` (in its transaction, if it is in one)."""
        records = [
            Record(e.originator_id, e.originator_version, e.topic, e.state) for e in stored_events
        ]
        # the chains that registrations in this save give: read from their states here
        new = new_members(records)
        curs.execute(
            self._call.on(curs),
            (
                *_columns(stored_events),
                [new.get(r.originator_id) for r in records],
                list(new),
                list(new.values()),
                f"{self.datastore.lock_timeout}s",
            ),
            prepare=True,
        )
        return [row["notification_id"] for row in curs.fetchall()]

    def _insert_arrays(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent]) -> None:
        """The events alone, their notification ids left to be read from ``curs``
        (``benchmarks.bench_chain``'s baseline: the save without the chain)."""
        curs.execute(self.insert_arrays_statement, _columns(stored_events))


class Rendered:
    """A statement's bytes, composed once for each client encoding it is sent in (as
    psycopg composes it on the connection: identifiers in the connection's encoding),
    then taken as they are."""

    def __init__(self, statement: Composed) -> None:
        self._statement = statement
        self._by_encoding: dict[str, bytes] = {}

    def on(self, context: Cursor[Any] | Connection[Any]) -> bytes:
        encoding = context.connection.info.encoding
        found = self._by_encoding.get(encoding)
        if found is None:
            found = self._statement.as_bytes(context)
            self._by_encoding[encoding] = found
        return found


def _columns(stored_events: Sequence[StoredEvent]) -> tuple[list[Any], ...]:
    """The events as four arrays: ids, versions, topics, states."""
    return (
        [e.originator_id for e in stored_events],
        [e.originator_version for e in stored_events],
        [e.topic for e in stored_events],
        [e.state for e in stored_events],
    )


TOPIC = get_topic(ChainedPostgresRecorder)
