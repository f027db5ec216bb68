"""The PostgreSQL application recorder that chains every event it stores.

The library's save (its transaction, its EXCLUSIVE lock on the event table that keeps
notification ids in commit order, its NOTIFY) is kept; in the same transaction:

1. the heads of the chains touched are read ``FOR UPDATE`` (the table lock already
   serialises our writers; the row lock also holds off anyone else updating a head),
   and the region of each unit or region not registered in this save is looked up,
   both in one round trip;
2. the events are inserted, as four binary arrays rather than the library's array of
   a composite type in text, and their notification ids read back;
3. the heads are moved, new members stored, and the links inserted, the last
   statement ``RETURNING notification_id`` so that the library reads the ids it
   expects from it.

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
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier

from ledger.chain.links import Head, Links, Record, extend

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
        self._select_heads = SQL(
            "SELECT chain, length, notification_id, hash FROM {} ORDER BY chain FOR UPDATE"
        ).format(t[HEADS])
        self._select_members = SQL(
            "SELECT originator_id, chain FROM {} WHERE originator_id = ANY(%b)"
        ).format(t[MEMBERS])
        self._upsert_heads = SQL(
            "INSERT INTO {} (chain, length, notification_id, hash) "
            "SELECT * FROM unnest(%s::text[], %s::bigint[], %s::bigint[], %s::bytea[]) "
            "ON CONFLICT (chain) DO UPDATE SET length = excluded.length, "
            "notification_id = excluded.notification_id, hash = excluded.hash"
        ).format(t[HEADS])
        self._insert_members = SQL(
            "INSERT INTO {} (originator_id, chain) SELECT * FROM unnest(%s::{}[], %s::text[]) "
            "ON CONFLICT (originator_id) DO NOTHING"
        ).format(t[MEMBERS], id_type)
        self._insert_links = SQL(
            "INSERT INTO {} (notification_id, chain, hash) "
            "SELECT * FROM unnest(%b::bigint[], %b::text[], %b::bytea[]) "
            "RETURNING notification_id"
        ).format(t[LINKS])
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
        self._select_several = SQL(
            "SELECT a.n::int AS ask, e.originator_id, e.originator_version, e.topic, e.state "
            "FROM unnest(%s::{}[], %s::bigint[], %s::bigint[]) "
            "WITH ORDINALITY AS a(id, gt, lim, n) "
            "CROSS JOIN LATERAL (SELECT * FROM {}.{} s WHERE s.originator_id = a.id "
            "AND s.originator_version > a.gt ORDER BY s.originator_version LIMIT a.lim) e "
            "ORDER BY a.n, e.originator_version"
        ).format(id_type, Identifier(datastore.schema), Identifier(self.events_table_name))

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
            curs.execute(self._select_several, (list(ids), list(after), list(limits)), prepare=True)
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
        self._lock_table(curs)
        self._notify_channel(curs)
        records = [
            Record(e.originator_id, e.originator_version, e.topic, e.state) for e in stored_events
        ]
        # Every head, locked: a save touches few chains and a store holds few (one per
        # region plus the global one), and ordered locking cannot deadlock.
        curs.execute(self._select_heads, prepare=True)
        # Sent with the heads' query, before either is read: one round trip for both
        # while the table lock is held (the save runs in pipeline mode).
        with curs.connection.cursor() as beside:
            beside.execute(self._select_members, (list({r.originator_id for r in records}),))
            heads = {
                r["chain"]: Head(r["chain"], r["length"], r["notification_id"], bytes(r["hash"]))
                for r in curs.fetchall()
            }
            members: dict[UUID | str, str] = {
                r["originator_id"]: r["chain"] for r in beside.fetchall()
            }
        links = extend(records, members, heads)
        ids = self._insert_event_rows(curs, stored_events)
        self._append(curs, links, ids, heads)

    def _insert_event_rows(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent]
    ) -> list[int]:
        """Inserts the events and returns their notification ids, in the events' order."""
        self._insert_arrays(curs, stored_events)
        return [row["notification_id"] for row in curs.fetchall()]

    def _insert_arrays(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent]) -> None:
        """The insert, its notification ids left to be read from ``curs``."""
        curs.execute(
            self.insert_arrays_statement,
            (
                [e.originator_id for e in stored_events],
                [e.originator_version for e in stored_events],
                [e.topic for e in stored_events],
                [e.state for e in stored_events],
            ),
        )

    def _append(
        self, curs: Cursor[DictRow], links: Links, ids: list[int], heads: dict[str, Head]
    ) -> None:
        if len(ids) != len(links.hashes):
            raise ProgrammingError(f"chain: {len(ids)} notification ids for {len(links.hashes)}")
        moved = links.heads(ids, heads)
        curs.execute(
            self._upsert_heads,
            (
                [h.chain for h in moved],
                [h.length for h in moved],
                [h.notification_id for h in moved],
                [h.hash for h in moved],
            ),
        )
        if links.members:
            curs.execute(self._insert_members, (list(links.members), list(links.members.values())))
        # Last, so that the library's _fetch_ids_after_insert_events reads the ids here.
        curs.execute(self._insert_links, (ids, links.chains, links.hashes))


TOPIC = get_topic(ChainedPostgresRecorder)
