"""The views' runner: the notification log in pages, each page one transaction.

For each page: the notifications after the views' position are read
(``reading.page_reader``: on PostgreSQL a query of its own, in binary), decoded
with the ledger's mapper, mapped to rows (``journal.rows_of``) and written with the
new position in one transaction (``store.write``), guarded by the position the page
was read after. A crash loses at most the page in flight, which the next run reads
again: nothing is counted twice or skipped.

The three steps overlap: while page N is written (by one writer thread, in order)
page N+1 is decoded and mapped, and page N+2 is being read. Decoding and mapping
are Python and hold the interpreter; reading and writing are mostly the database's
work, so the overlap hides most of it. At most three pages are held at any time,
whatever the size of the history. A rebuild on PostgreSQL can have its pages mapped
by several processes instead (``ranges``, handed in as ``rebuild(in_processes=...)``).

The eventsourcing library's own ``ProjectionRunner`` commits once per event, and
cannot follow SQLite (no subscriptions there): this one serves both stores alike.
"""

from __future__ import annotations

import gc
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

import psycopg
from eventsourcing.persistence import (
    InterfaceError,
    Notification,
    OperationalError,
)
from psycopg import sql

from ledger.domain.errors import Unavailable
from ledger.logs import get_logger
from ledger.projections import stored
from ledger.projections.journal import PersonLine, Quarantined, Row, rows_of
from ledger.projections.pages import Page
from ledger.projections.reading import EventLog, page_reader
from ledger.projections.sql import SqlViewStore
from ledger.projections.store import ViewStore

#: events a page: one transaction each. Larger pages spread each page's fixed work (the
#: tracking row's lock, the set-aside checks' look-up of the page's aggregates, one COPY
#: per table, the commit) over more events and keep the three stages busier: a rebuild
#: of 529,911 events ran at 18,100-19,600 events/s with pages of 5,000, 18,900 with
#: 10,000, 21,700-22,100 with 20,000 and 20,700 with 50,000 (quiet, 2026-12-06), its
#: peak memory 116, 169, 273 and 595 MB
PAGE_SIZE = 20_000
#: errors of a database that cannot be reached (a retry may succeed)
_TRANSIENT = (
    psycopg.OperationalError,
    sqlite3.OperationalError,
    OperationalError,
    InterfaceError,
    Unavailable,
)
Progress = Callable[[int, int], None]
"""Called after each page with (position reached, last notification id to reach)."""


@dataclass(slots=True)
class Applied:
    """What one catch-up did."""

    events: int = 0
    pages: int = 0
    person_lines: int = 0
    position: int = 0
    seconds: float = 0.0


def catch_up(
    ledger: EventLog,
    store: ViewStore,
    *,
    page_size: int = PAGE_SIZE,
    progress: Progress | None = None,
) -> int:
    """Applies every notification after ``store.position()``; returns how many."""
    return run(ledger, store, page_size=page_size, progress=progress).events


class PagesInProcesses(Protocol):
    """Maps and writes the log's ids ``1..last`` into an emptied store, in order, each
    page with its position (``ranges.InProcesses``: the pages mapped by other processes)."""

    def __call__(
        self,
        store: SqlViewStore,
        *,
        page_size: int,
        last: int,
        progress: Progress | None,
        details: bool,
    ) -> Applied: ...


def keeps_details(ledger: EventLog, store: ViewStore) -> bool:
    """Whether the views store every audit detail: all but views that read the events of
    the log being projected (``SqlViewStore.events``), which leave the small assessments'
    and payments' details to them (``stored.FROM_EVENT``)."""
    return not (isinstance(store, SqlViewStore) and store.events is ledger)


def rebuild(
    ledger: EventLog,
    store: SqlViewStore,
    *,
    page_size: int = PAGE_SIZE,
    progress: Progress | None = None,
    in_processes: PagesInProcesses | None = None,
) -> int:
    """Empties the views and their position, then applies the whole log; returns events.

    The read paths' indexes (on PostgreSQL the primary keys too) are dropped while the
    views fill and built at the end (one sort instead of millions of inserts). If the
    rebuild is stopped, the next ``ledger.bootstrap.open_view_store`` builds them again
    and ``catch_up`` finishes the work. Its pages do not wait for their commit to reach
    the disk (``SqlViewStore.write``, ``durable=False``): a crash of the database loses
    a tail of whole pages with their position, which that catch-up reads again; the index
    builds at the end commit durably, and with them every page before.

    With ``in_processes`` (``ledger.bootstrap.pages_in_processes``: PostgreSQL, several
    workers) the pages are mapped by other processes and the indexes built, then the
    pipeline reads what was recorded meanwhile.
    """
    if in_processes is not None and store.dialect != "postgres":
        # refused before the views are emptied: the processes write PostgreSQL's COPY text
        raise ValueError("a rebuild's pages are mapped by processes on PostgreSQL only")
    start = time.perf_counter()
    store.clear()
    applied = _in_processes(ledger, store, page_size, progress, in_processes)
    if applied is None:
        applied = run(
            ledger, store, page_size=page_size, progress=progress, log=False, durable=False
        )
        store.create_indexes()
    applied.seconds = time.perf_counter() - start
    get_logger().info("views_rebuilt", **_fields(applied))
    return applied.events


def _in_processes(
    ledger: EventLog,
    store: SqlViewStore,
    page_size: int,
    progress: Progress | None,
    in_processes: PagesInProcesses | None,
) -> Applied | None:
    """A rebuild's pages mapped by other processes, its indexes built, then what was
    recorded meanwhile; None where one pipeline is to do it all (no processes, or a log
    of one page)."""
    if in_processes is None:
        return None
    last = ledger.recorder.max_notification_id() or 0
    if last <= page_size:
        return None
    with _batch_gc():
        applied = in_processes(
            store,
            page_size=page_size,
            last=last,
            progress=progress,
            details=keeps_details(ledger, store),
        )
    # What was recorded meanwhile is caught up as any catch-up is, its aggregates' last
    # versions looked up in the views: through the audit's unique index, built first (a
    # scan of the audit per page without it; found by review: built only where a tail
    # was seen, an event recorded just after that look missed it).
    store.create_indexes()
    tail = run(ledger, store, page_size=page_size, progress=progress, log=False, durable=False)
    applied.events += tail.events
    applied.pages += tail.pages
    applied.person_lines += tail.person_lines
    applied.position = max(applied.position, tail.position)
    return applied


def run(
    ledger: EventLog,
    store: ViewStore,
    *,
    page_size: int = PAGE_SIZE,
    progress: Progress | None = None,
    log: bool = True,
    durable: bool = True,
) -> Applied:
    """``catch_up``, with its counts (``durable``: see ``SqlViewStore.write``)."""
    if page_size < 1:
        raise ValueError(f"page size {page_size} must be at least 1")
    start = time.perf_counter()
    applied = Applied(position=store.position())
    last = ledger.recorder.max_notification_id() or 0
    if progress is not None:
        progress(applied.position, max(last, applied.position))
    if applied.position >= last:
        return applied
    with (
        _batch_gc(),
        _Pipeline(ledger, store, page_size, applied.position, durable=durable) as pipeline,
    ):
        for page in pipeline.pages():
            applied.pages += 1
            applied.events += page.events
            applied.person_lines += page.person_lines
            applied.position = page.position
            last = max(last, page.position)
            if progress is not None:
                progress(page.position, last)
    applied.seconds = time.perf_counter() - start
    if log and applied.events:
        get_logger().info("views_caught_up", **_fields(applied))
    return applied


def follow(
    ledger: EventLog,
    store: ViewStore,
    *,
    wait: Callable[[], object],
    page_size: int = PAGE_SIZE,
    stop: threading.Event | None = None,
) -> None:
    """Catches up, then again each time ``wait`` returns, until ``stop`` is set.

    A database that cannot be reached for a moment is logged and tried again after
    the next wait (a page is all or nothing, so nothing is lost or doubled); another
    runner writing the same views (``PositionMoved``) ends the loop.
    """
    while stop is None or not stop.is_set():
        try:
            run(ledger, store, page_size=page_size)
        except _TRANSIENT as exc:
            get_logger().warning("views_catch_up_failed", error=str(exc), retry="after the wait")
        wait()


def polling(interval: float, stop: threading.Event) -> Callable[[], object]:
    """A wait of ``interval`` seconds (cut short by ``stop``): SQLite has nothing to listen to."""
    return lambda: stop.wait(interval)


@contextmanager
def listening(url: str, channel: str, interval: float) -> Iterator[Callable[[], object]]:
    """PostgreSQL: a wait that ends when the event store NOTIFYs ``channel`` (each save
    does, on commit), or after ``interval`` seconds at most.

    Enter it before the first catch-up: a save committed after that catch-up read the
    log is then always heard.
    """
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))

        def wait() -> None:
            for _ in conn.notifies(timeout=interval, stop_after=1):
                pass

        yield wait


@dataclass(slots=True)
class _Written:
    position: int
    events: int
    person_lines: int


class _Pipeline:
    """Reads page N+2 and writes page N while page N+1 is mapped (see the module)."""

    def __init__(
        self,
        ledger: EventLog,
        store: ViewStore,
        page_size: int,
        position: int,
        *,
        durable: bool = True,
    ) -> None:
        self.durable = durable
        self.read = page_reader(ledger.recorder)
        self.decode = ledger.mapper.to_domain_event
        #: the two events that make up nearly all of a history, mapped from their JSON,
        #: their audit details left to the events where the store reads them
        self.stored = stored.reader(ledger.mapper, details=keeps_details(ledger, store))
        self.store = store
        self.page_size = page_size
        self.position = position
        self.reader = ThreadPoolExecutor(1, thread_name_prefix="views-reader")
        self.writer = ThreadPoolExecutor(1, thread_name_prefix="views-writer")
        #: the last version of each aggregate of the page mapped before (by ``UUID.int``)
        self._previous: dict[int, int] = {}
        #: from the first event (a rebuild): every aggregate's last version so far, so
        #: that no page looks versions up in the views (a rebuild on PostgreSQL fills
        #: them without the audit's unique index that look-up would use)
        self._known: dict[int, int] | None = {} if position == 0 else None

    def __enter__(self) -> _Pipeline:
        return self

    def __exit__(self, *_: object) -> None:
        # On an error the page in flight is rolled back by its transaction; wait for
        # it so that nothing runs on after the caller has seen the error.
        self.reader.shutdown(wait=True, cancel_futures=True)
        self.writer.shutdown(wait=True, cancel_futures=True)

    def pages(self) -> Iterator[_Written]:
        """Yields each page once it is committed."""
        reading = self.reader.submit(self._read, self.position + 1)
        writing: Future[_Written] | None = None
        while True:
            notifications = reading.result()
            if notifications:
                reading = self.reader.submit(self._read, notifications[-1].id + 1)
                mapped = self._map(notifications)
            if writing is not None:
                yield writing.result()  # in order: page N is committed before N+1 is sent
                writing = None
            if not notifications:
                return
            after, self.position = self.position, notifications[-1].id
            writing = self.writer.submit(self._write, mapped, self.position, after)

    def _read(self, start: int) -> Sequence[Notification]:
        return self.read(start, self.page_size)

    def _map(self, notifications: Sequence[Notification]) -> Any:
        decode = self.decode
        if not isinstance(self.store, SqlViewStore):
            rows: list[Row] = []
            for n in notifications:
                try:
                    rows.extend(rows_of(decode(n)))
                except Exception as exc:
                    rows.append(_set_aside(n, f"cannot be mapped: {_reason(exc)}"))
            return rows, len(notifications)
        page = self.store.new_page()
        # aggregates by their UUID's number: a UUID hashes and compares in Python
        keys = [_originator(n).int for n in notifications]
        last = self._last_versions(notifications, keys)
        map_page(page, notifications, keys, last, decode, self.stored)
        if self._known is None:  # otherwise every version is kept there already
            self._previous = {key: last[key] for key in keys}
        return page

    def _last_versions(
        self, notifications: Sequence[Notification], keys: list[int]
    ) -> dict[int, int]:
        """Each aggregate's last version before this page, by ``UUID.int``: the page
        before (which may still be being written) from memory, earlier ones from the views."""
        assert isinstance(self.store, SqlViewStore)
        if self._known is not None:
            return self._known  # updated in place by map_page
        last = dict(self._previous)
        first: dict[int, Notification] = {}
        for n, key in zip(notifications, keys, strict=True):
            if key not in first:
                first[key] = n
        unknown = [
            _originator(n)
            for key, n in first.items()
            if n.originator_version > 1 and key not in last
        ]
        last.update((o.int, v) for o, v in self.store.last_versions(unknown).items())
        return last

    def _write(self, mapped: Any, position: int, after: int) -> _Written:
        store = self.store
        if isinstance(store, SqlViewStore):
            page: Page = mapped
            store.write(page, position, after=after, durable=self.durable)
            return _Written(position, page.events, page.count(PersonLine))
        rows, events = mapped
        store.append(rows, position)
        lines = sum(1 for r in rows if isinstance(r, PersonLine))
        return _Written(position, events, lines)


First = tuple[Notification, list[Quarantined]]
"""An aggregate's first event in a page mapped apart (``ranges``), its rows set aside."""


def map_page(
    page: Page,
    notifications: Sequence[Notification],
    keys: list[int],
    last: dict[int, int],
    decode: Callable[[Notification], Any],
    add_stored: stored.Map | None,
    firsts: dict[int, First] | None = None,
) -> None:
    """``notifications`` mapped into ``page``; an event that cannot be is set aside.

    ``keys``: each one's aggregate (``UUID.int``); ``last``: each aggregate's last version
    before the page, updated. ``firsts``: a page mapped apart from the pages before it
    (``ranges``): the first event of an aggregate not in ``last``, unless its version is
    1, is not checked for a missing version but noted there with any rows it was set
    aside for, to be checked once the pages before are known.
    """
    for n, key in zip(notifications, keys, strict=True):
        aside = []
        deferred = firsts is not None and n.originator_version > 1 and key not in last
        if not deferred:
            expected = last.get(key, 0) + 1
            if n.originator_version != expected:
                aside.append(follows_a_gap(n, expected))
        last[key] = n.originator_version
        if add_stored is None or not _stored_added(add_stored, page, n):
            try:
                event = decode(n)
            except Exception as exc:
                page.events += 1
                aside.append(_set_aside(n, f"cannot be decoded: {_reason(exc)}"))
            else:
                mark = page.mark()
                try:
                    page.add_event(n.id, event)
                except Exception as exc:
                    page.undo(mark)  # none of its rows, not some
                    aside.append(_set_aside(n, f"cannot be mapped: {_reason(exc)}"))
        if deferred:
            firsts[key] = (n, aside)  # type: ignore[index]
        elif aside:
            page.add_rows(n.id, aside)


def _stored_added(add: stored.Map, page: Page, n: Notification) -> bool:
    """Whether ``n``'s rows were added from its stored JSON (``stored``); if not,
    nothing was, and the event is decoded as any other."""
    mark = page.mark()
    try:
        return add(page, n)
    except Exception:
        page.undo(mark)  # the general path refuses it or sets it aside, as before
        return False


def follows_a_gap(n: Notification, expected: int) -> Quarantined:
    """``n`` set aside: its aggregate's version ``expected`` (and any up to ``n``'s) is
    missing, a stored event deleted; a balance folded without it would be wrong."""
    missing = f"{expected}" + (
        f"..{n.originator_version - 1}" if n.originator_version - 1 > expected else ""
    )
    return _set_aside(n, f"follows a gap (version {missing} is missing)")


def _set_aside(n: Notification, why: str) -> Quarantined:
    get_logger().warning(
        "views_event_quarantined",
        notification=n.id,
        originator_id=str(n.originator_id),
        version=n.originator_version,
        topic=n.topic,
        reason=why,
    )
    return Quarantined(_originator(n), n.originator_version, n.topic, why)


def _originator(n: Notification) -> UUID:
    o = n.originator_id
    return o if isinstance(o, UUID) else UUID(o)


def _reason(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


#: the collector's thresholds while pages are mapped (``_BatchGC``)
BATCH_GC_THRESHOLDS = (50_000, 20, 100)


class _BatchGC:
    """Fewer garbage collections while pages are mapped.

    A page allocates hundreds of thousands of small objects, nearly all freed by
    reference counting; the collector's default thresholds would run a full
    collection over the whole heap every few pages and halve the rate. The heap
    that exists before the run is frozen (not scanned), and young collections run
    less often; both are restored afterwards.

    The collector is the process's: runs that overlap in one process (a server's
    follower beside a background catch-up, two stores in one test) share one setting,
    made by the first in and restored by the last out. (Each saving and restoring its
    own left the batch thresholds in force for good when two overlapped: full
    collections then came rarely and took seconds.)
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs = 0
        self._saved = gc.get_threshold()

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._runs == 0:
                self._saved = gc.get_threshold()
                gc.freeze()
                gc.set_threshold(*BATCH_GC_THRESHOLDS)
            self._runs += 1
        try:
            yield
        finally:
            with self._lock:
                self._runs -= 1
                if self._runs == 0:
                    gc.set_threshold(*self._saved)
                    gc.unfreeze()


_batch_gc = _BatchGC()


def _fields(applied: Applied) -> dict[str, Any]:
    rate = applied.events / applied.seconds if applied.seconds else 0.0
    return {
        "events": applied.events,
        "pages": applied.pages,
        "person_lines": applied.person_lines,
        "position": applied.position,
        "seconds": round(applied.seconds, 3),
        "events_per_second": round(rate),
    }
