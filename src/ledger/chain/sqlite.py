"""The SQLite application recorder that chains every event it stores.

The library inserts a save's events in one transaction; the links, heads and
members are written after them in that same transaction. The events go first on
purpose: the first insert takes SQLite's write lock, so the heads read next cannot
be moved by another writer before this transaction commits (reading them first
would let two writers read the same head and the second fail to upgrade its lock).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ProgrammingError, StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from eventsourcing.utils import get_topic

from ledger.chain.links import Head, Record, extend

__all__ = ["TOPIC", "ChainedSQLiteRecorder"]

LINKS = "ledger_chain_links"
HEADS = "ledger_chain_heads"
MEMBERS = "ledger_chain_members"
#: ids per membership query, well under SQLite's bound-parameter limit
_CHUNK = 500


class ChainedSQLiteRecorder(SQLiteApplicationRecorder):
    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {LINKS} (notification_id INTEGER PRIMARY KEY, "
            "chain TEXT NOT NULL, hash BLOB NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS {LINKS}_chain_idx ON {LINKS} (chain, notification_id)",
            f"CREATE TABLE IF NOT EXISTS {HEADS} (chain TEXT PRIMARY KEY, "
            "length INTEGER NOT NULL, notification_id INTEGER NOT NULL, hash BLOB NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {MEMBERS} (originator_id TEXT PRIMARY KEY, "
            "chain TEXT NOT NULL)",
        ]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        if not stored_events:
            return ids
        if ids is None or len(ids) != len(stored_events):
            raise ProgrammingError("chain: the events' notification ids are not known")
        records = [
            Record(e.originator_id, e.originator_version, e.topic, e.state) for e in stored_events
        ]
        c.execute(f"SELECT chain, length, notification_id, hash FROM {HEADS}")
        heads = {
            r["chain"]: Head(r["chain"], r["length"], r["notification_id"], bytes(r["hash"]))
            for r in c.fetchall()
        }
        links = extend(records, self._members(c, records), heads)
        c.executemany(
            f"INSERT INTO {HEADS} (chain, length, notification_id, hash) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (chain) DO UPDATE SET length = excluded.length, "
            "notification_id = excluded.notification_id, hash = excluded.hash",
            [(h.chain, h.length, h.notification_id, h.hash) for h in links.heads(ids, heads)],
        )
        c.executemany(
            f"INSERT OR IGNORE INTO {MEMBERS} (originator_id, chain) VALUES (?, ?)",
            [(_text(oid), chain) for oid, chain in links.members.items()],
        )
        c.executemany(
            f"INSERT INTO {LINKS} (notification_id, chain, hash) VALUES (?, ?, ?)",
            zip(ids, links.chains, links.hashes, strict=True),
        )
        return ids

    def _members(self, c: SQLiteCursor, records: Sequence[Record]) -> dict[UUID | str, str]:
        wanted = list({_text(r.originator_id) for r in records})
        found: dict[UUID | str, str] = {}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            c.execute(
                f"SELECT originator_id, chain FROM {MEMBERS} "
                f"WHERE originator_id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            for row in c.fetchall():
                found[self.convert_originator_id(row["originator_id"])] = row["chain"]
        return found


def _text(originator_id: UUID | str) -> str:
    """An originator id as the library stores it in SQLite (a UUID as 32 hex digits)."""
    return originator_id.hex if isinstance(originator_id, UUID) else originator_id


TOPIC = get_topic(ChainedSQLiteRecorder)
