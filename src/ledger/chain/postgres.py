"""The PostgreSQL application recorder that chains every event it stores.

The library's save (its transaction, its EXCLUSIVE lock on the event table that keeps
notification ids in commit order, with its lock timeout, and its NOTIFY) is kept; in the
same transaction, in three statements sent in one pipeline:

1. the lock timeout, the table lock and the NOTIFY in one anonymous code block (as the
   library's own stored-function path sets the timeout and takes the lock);
2. the heads of all chains read ``FOR UPDATE`` (the table lock already serialises our
   writers; the row lock also holds off anyone else updating a head) and the chain of
   each unit or region of the save already registered, in one query;
3. in one statement, the events are inserted (as binary arrays rather than the
   library's array of a composite type in text), the heads moved, new members stored
   and the links inserted, ``RETURNING`` the notification ids in the events' order,
   as the library expects them.

Each statement costs the save's thread a round of psycopg's pipeline (its Python and a
send to the server): six of them were a fifth of a batch of payments' save.
Statements are composed once per client encoding (``Rendered``): psycopg composes a
``Composed`` again (identifiers escaped through libpq) on every execution.

Events and links commit together or not at all: a crash can never leave an event
without its link, nor a link without its event.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier

from ledger.chain.links import Head, Record, extend

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
        self.lock_statement = Rendered(
            SQL(
                "SET LOCAL lock_timeout = '{}s'; LOCK TABLE {} IN EXCLUSIVE MODE; NOTIFY {};"
            ).format(datastore.lock_timeout, events, Identifier(self.channel_name)),
            _anonymous_block,
        )
        # Heads (member NULL) in chain order, locked in that order (ordered locking
        # cannot deadlock), then the save's known members (length NULL).
        self._heads_and_members = Rendered(
            SQL(
                "SELECT h.chain, h.length, h.notification_id, h.hash, NULL::{id} AS member "
                "FROM (SELECT chain, length, notification_id, hash FROM {heads} "
                "ORDER BY chain FOR UPDATE) h "
                "UNION ALL SELECT m.chain, NULL, NULL, NULL, m.originator_id FROM {members} m "
                "WHERE m.originator_id = ANY(%b)"
            ).format(id=id_type, heads=t[HEADS], members=t[MEMBERS])
        )
        # The events, their links, the chains' new heads and new members in one
        # statement (one round trip while the table lock is held): each event's
        # notification id joined back by its (originator id, version), so each link and
        # head gets the id of its own event, and the ids returned in the events' order
        # (the links' insert last: the library reads the ids from it).
        self._insert_linked = Rendered(
            SQL(
                "WITH e AS (SELECT * FROM unnest(%b::{id}[], %b::bigint[], %b::text[], "
                "%b::bytea[], %b::text[], %b::bytea[]) "
                "WITH ORDINALITY AS e(id, version, topic, state, chain, hash, n)"
                "), ins AS (INSERT INTO {events} (originator_id, originator_version, topic, state) "
                "SELECT id, version, topic, state FROM e ORDER BY n "
                "RETURNING notification_id, originator_id, originator_version"
                "), linked AS (SELECT ins.notification_id, e.chain, e.hash, e.n FROM ins JOIN e "
                "ON ins.originator_id = e.id AND ins.originator_version = e.version"
                "), heads AS (INSERT INTO {heads} (chain, length, notification_id, hash) "
                "SELECT h.chain, h.length, linked.notification_id, linked.hash "
                "FROM unnest(%s::text[], %s::bigint[], %s::bigint[]) AS h(chain, length, n) "
                "JOIN linked ON linked.n = h.n "
                "ON CONFLICT (chain) DO UPDATE SET length = excluded.length, "
                "notification_id = excluded.notification_id, hash = excluded.hash"
                "), members AS (INSERT INTO {members} (originator_id, chain) "
                "SELECT * FROM unnest(%s::{id}[], %s::text[]) "
                "ON CONFLICT (originator_id) DO NOTHING"
                ") INSERT INTO {links} (notification_id, chain, hash) "
                "SELECT notification_id, chain, hash FROM linked ORDER BY n "
                "RETURNING notification_id"
            ).format(id=id_type, events=events, heads=t[HEADS], members=t[MEMBERS], links=t[LINKS])
        )
        # The library passes a save's events as one array of a composite type in text
        # form: psycopg escapes every event's state (bytea as hex, inside a composite
        # literal, inside an array literal) in Python, about 100 us of client CPU per
        # 1.5 kB event, seven times the insert itself. Four binary arrays instead (ids,
        # versions, topics, states): the same rows, notification ids returned in the
        # order of the events as the library's statement returns them.
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

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        records = [
            Record(e.originator_id, e.originator_version, e.topic, e.state) for e in stored_events
        ]
        curs.execute(self.lock_statement.on(curs), prepare=True)
        # Every head, locked: a save touches few chains and a store holds few (one per
        # region plus the global one). Sent with the lock before either is answered: one
        # round trip (the save runs in pipeline mode).
        curs.execute(self._heads_and_members.on(curs), (list({r.originator_id for r in records}),))
        heads: dict[str, Head] = {}
        members: dict[UUID | str, str] = {}
        for r in curs.fetchall():
            if r["member"] is None:
                heads[r["chain"]] = Head(
                    r["chain"], r["length"], r["notification_id"], bytes(r["hash"])
                )
            else:
                members[r["member"]] = r["chain"]
        links = extend(records, members, heads)
        moved = links.last_of_each_chain(heads)
        curs.execute(
            self._insert_linked.on(curs),
            (
                *_columns(stored_events),
                links.chains,
                links.hashes,
                [chain for chain, _, _ in moved],
                [length for _, length, _ in moved],
                [index + 1 for _, _, index in moved],
                list(links.members),
                list(links.members.values()),
            ),
        )

    def _insert_arrays(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent]) -> None:
        """The events alone, their notification ids left to be read from ``curs``
        (``benchmarks.bench_chain``'s baseline: the save without the chain)."""
        curs.execute(self.insert_arrays_statement, _columns(stored_events))


class Rendered:
    """A statement's bytes, composed once for each client encoding it is sent in (as
    psycopg composes it on the connection: identifiers in the connection's encoding),
    then taken as they are."""

    def __init__(self, statement: Composed, wrap: Callable[[bytes], bytes] | None = None) -> None:
        self._statement = statement
        self._wrap = wrap
        self._by_encoding: dict[str, bytes] = {}

    def on(self, context: Cursor[Any] | Connection[Any]) -> bytes:
        encoding = context.connection.info.encoding
        found = self._by_encoding.get(encoding)
        if found is None:
            found = self._statement.as_bytes(context)
            if self._wrap is not None:
                found = self._wrap(found)
            self._by_encoding[encoding] = found
        return found


def _anonymous_block(body: bytes) -> bytes:
    """``body`` run as a PL/pgSQL ``DO`` block, in a dollar quote no identifier of it
    can close."""
    tag = b"$ledger$"
    while tag in body:
        tag = tag[:-1] + b"_$"
    return b"DO " + tag + b"BEGIN " + body + b" END" + tag


def _columns(stored_events: Sequence[StoredEvent]) -> tuple[list[Any], ...]:
    """The events as four arrays: ids, versions, topics, states."""
    return (
        [e.originator_id for e in stored_events],
        [e.originator_version for e in stored_events],
        [e.topic for e in stored_events],
        [e.state for e in stored_events],
    )


TOPIC = get_topic(ChainedPostgresRecorder)
