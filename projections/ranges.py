"""A rebuild of the views on PostgreSQL with its pages mapped by several processes.

The runner's pipeline decodes and maps in one thread of one process: a rebuild is bound
by that interpreter while the machine's other cores wait (issue 11.3). Here the log's
ids ``1..last`` are cut into pages of ``page_size`` ids; ``workers`` processes
(``spawn``: no threads or connections carried over) each read a page from the log
themselves, decode and map it, and send back its COPY text; this process writes the
pages in order, each with the views' position in one transaction, as the pipeline does.
So a rebuild stopped midway stops as the pipeline's does: the views hold exactly the
pages up to their position, and a catch-up finishes the work. The processes never write.

What a page mapped apart cannot know is an aggregate's last version before it. The
version check of an aggregate's first event in a page is made here, in order, against
the pages before; it sets the event aside as the pipeline would (the same reason, at the
same place among its set-aside rows): the views hold the same rows either way
(``tests/integration/test_rebuild_ranges.py`` compares them table by table).
"""

from __future__ import annotations

import gc
import multiprocessing
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Protocol

from eventsourcing.persistence import Notification

from ledger.domain.errors import Unavailable
from ledger.processes import exit_with_parent
from ledger.projections import stored
from ledger.projections.pages import Page
from ledger.projections.reading import EventLog, Read, Stored, page_reader
from ledger.projections.runner import (
    BATCH_GC_THRESHOLDS,
    Applied,
    First,
    Progress,
    _originator,
    follows_a_gap,
    map_page,
)
from ledger.projections.schema import STORED, Table
from ledger.projections.sql import SqlViewStore

#: pages mapped ahead of the one being written, per process (memory: a page's COPY
#: text is some 30 MB at 20,000 events)
AHEAD = 2


class OpenedLog(EventLog, Protocol):
    def close(self) -> None: ...


Opener = Callable[[], OpenedLog]
"""Opens the event log in a mapping process: picklable (a module-level function, or a
``functools.partial`` of one)."""


@dataclass(slots=True)
class _Mapped:
    """A page as a process mapped it: its COPY text per table, and what this process
    needs for the version checks."""

    payloads: list[tuple[str, bytes]]
    events: int
    person_lines: int
    #: each aggregate's last version in the page (by ``UUID.int``)
    versions: dict[int, int]
    #: each aggregate's first event in the page, unless its version is 1
    firsts: dict[int, First]


class _Encoded:
    """What ``PostgresViewStore.write`` takes: a mapped page, with the rows this
    process set aside for it."""

    def __init__(self, mapped: _Mapped, asides: Page) -> None:
        self.mapped, self.asides = mapped, asides

    def payloads(self) -> list[tuple[Table, Any]]:
        joined = {name: [text] for name, text in self.mapped.payloads}
        for table, text in self.asides.payloads():
            joined.setdefault(table.name, []).append(text)
        return [(_TABLES[name], b"".join(texts)) for name, texts in joined.items()]


_TABLES = {t.name: t for t in STORED["postgres"]}


@dataclass(frozen=True, slots=True)
class InProcesses:
    """``runner.PagesInProcesses`` by ``workers`` processes, each opening the log with
    ``opener`` (``ledger.bootstrap.pages_in_processes`` makes one for PostgreSQL)."""

    opener: Opener
    workers: int

    def __call__(
        self,
        store: SqlViewStore,
        *,
        page_size: int,
        last: int,
        progress: Progress | None,
        details: bool = True,
    ) -> Applied:
        return rebuild_in_pool(
            store,
            self.opener,
            self.workers,
            page_size=page_size,
            last=last,
            progress=progress,
            details=details,
        )


def rebuild_in_pool(
    store: SqlViewStore,
    opener: Opener,
    workers: int,
    *,
    page_size: int,
    last: int,
    progress: Progress | None = None,
    details: bool = True,
) -> Applied:
    """The pages of ids ``1..last`` into the emptied PostgreSQL ``store`` (see the module);
    without ``details``, the small assessments' and payments' audit details are left to
    the events (``runner.keeps_details``)."""
    applied = Applied()
    pages = [(first, min(first + page_size - 1, last)) for first in range(1, last + 1, page_size)]
    versions: dict[int, int] = {}
    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start,
        initargs=(opener, details),
    )
    try:
        ahead: deque[Future[_Mapped]] = deque()
        for first, end in pages[: AHEAD * workers]:
            ahead.append(pool.submit(_map, first, end))
        after = 0
        for n, (_, end) in enumerate(pages):
            mapped = ahead.popleft().result()
            if n + len(ahead) + 1 < len(pages):
                ahead.append(pool.submit(_map, *pages[n + len(ahead) + 1]))
            asides = _checked(store, mapped, versions)
            store.write(_Encoded(mapped, asides), end, after=after, durable=False)  # type: ignore[arg-type]
            after = end
            applied.pages += 1
            applied.events += mapped.events
            applied.person_lines += mapped.person_lines
            applied.position = end
            if progress is not None:
                progress(end, last)
    except BrokenProcessPool as exc:
        # a process died (it printed why); the pages written stay, with their position
        pool.shutdown(wait=True, cancel_futures=True)
        raise Unavailable(
            f"a mapping process of the rebuild stopped ({exc}); the views hold the pages "
            "written so far: a catch-up or another rebuild finishes the work"
        ) from exc
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)  # not the pages queued ahead
        raise
    pool.shutdown(wait=True)
    return applied


def _checked(store: SqlViewStore, mapped: _Mapped, versions: dict[int, int]) -> Page:
    """The page's first events checked against the pages before (``versions``, then
    updated): the rows set aside for them."""
    asides = store.new_page()
    for key, (n, rows) in mapped.firsts.items():
        expected = versions.get(key, 0) + 1
        if n.originator_version != expected:
            rows = [follows_a_gap(n, expected), *rows]
        if rows:
            asides.add_rows(n.id, rows)
    versions.update(mapped.versions)
    return asides


# ------------------------------------------------------------ in each process


@dataclass(slots=True)
class _Log:
    read: Read
    decode: Callable[[Any], Any]
    add_stored: stored.Map | None


_log: _Log | None = None


def _start(opener: Opener, details: bool) -> None:
    """A mapping process's start: the log opened once, for every page it maps."""
    global _log
    exit_with_parent()
    log = opener()
    add_stored = stored.reader(log.mapper, details=details)
    _log = _Log(page_reader(log.recorder), log.mapper.to_domain_event, add_stored)
    # as the runner's pipeline maps (``runner._BatchGC``), for the process's life
    gc.freeze()
    gc.set_threshold(*BATCH_GC_THRESHOLDS)


def _map(first: int, last: int) -> _Mapped:
    """The page of ids ``first..last`` (fewer events where ids are missing)."""
    assert _log is not None, "the process was not started by rebuild_in_pool"
    found = _log.read(first, last - first + 1)
    notifications = [n for n in found if n.id <= last]
    page = Page("postgres")
    keys = [_originator(n).int for n in notifications]
    versions: dict[int, int] = {}
    firsts: dict[int, First] = {}
    map_page(page, notifications, keys, versions, _log.decode, _log.add_stored, firsts)
    payloads = [(table.name, text) for table, text in page.payloads()]
    # a first event's state is not needed for its version check: not sent back
    light: dict[int, First] = {key: (_without_state(n), rows) for key, (n, rows) in firsts.items()}
    return _Mapped(payloads, page.events, page.person_lines, versions, light)


def _without_state(n: Notification) -> Notification:
    originator = _originator(n)
    stateless = Stored(n.id, originator, n.originator_version, n.topic, b"", str(originator))
    return stateless  # type: ignore[return-value]  # duck-typed, as the runner reads it
