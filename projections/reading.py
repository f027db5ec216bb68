"""The notification log read in pages, as the runner reads it.

On PostgreSQL the page is selected in binary with plain tuples for rows: the
library's ``select_notifications`` asks for text (its events' state, a bytea, then
comes as hex for the client to decode) and builds a dict, then a frozen
``Notification``, per row: 7.2-8.0 µs of client CPU per event against 3.1-3.6 for
the same rows here (132,411 events), taken from the interpreter the mapping needs.
The same rows, in the same order, through the library's own connections (its
errors, its retries); any other recorder is read through ``select_notifications``.
Each row also brings its originator's UUID as text, written by the server
(``uuid_out``): the views write it into every row of the event, and ``str(UUID)`` is
Python code (0.75 µs an event, taken from the mapping thread).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple, Protocol, cast
from uuid import UUID

from eventsourcing.persistence import (
    ApplicationRecorder,
    InterfaceError,
    Mapper,
    Notification,
    OperationalError,
)
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import retry
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier

Read = Callable[[int, int], Sequence[Notification]]
"""``read(start, limit)``: up to ``limit`` notifications from id ``start`` on, in order."""


class EventLog(Protocol):
    """What the runner reads: an event-sourced application's notification log (its
    recorder) and how its stored events decode (its mapper). The ledger is one, a replay's
    scratch ledger another; the read side needs nothing else of the write side."""

    @property
    def recorder(self) -> ApplicationRecorder: ...

    @property
    def mapper(self) -> Mapper[UUID]: ...


class Stored(NamedTuple):
    """A notification as the runner and the mapper read it: ``Notification``'s fields
    (``id``, the originator, its version, the topic, the state), in a tuple."""

    id: int
    originator_id: UUID
    originator_version: int
    topic: str
    state: bytes
    #: ``str(originator_id)``, as PostgreSQL writes a uuid (the same text)
    originator_text: str


def page_reader(recorder: ApplicationRecorder) -> Read:
    """How the runner reads ``recorder``'s notification log."""
    if not isinstance(recorder, PostgresApplicationRecorder):
        return recorder.select_notifications
    datastore = recorder.datastore
    statement = SQL(
        "SELECT notification_id, originator_id, originator_version, topic, state, "
        "originator_id::text "
        "FROM {}.{} WHERE notification_id >= %s ORDER BY notification_id LIMIT %s"
    ).format(Identifier(datastore.schema), Identifier(recorder.events_table_name))
    make = Stored._make

    def read(start: int, limit: int) -> Sequence[Notification]:
        with datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as cursor:
            cursor.execute(statement, (start, limit), prepare=True, binary=True)
            rows = list(map(make, cursor.fetchall()))
        # Duck-typed: the runner and the mapper read nothing but these attributes.
        return cast(Sequence[Notification], rows)

    # as select_notifications retries (a moment's outage on a long rebuild)
    retried: Read = retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)(read)
    return retried
