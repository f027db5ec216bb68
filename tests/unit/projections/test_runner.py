"""The runner over the in-memory store: every event once, in pages of any size."""

from __future__ import annotations

import gc
import sqlite3
import threading
from typing import Any

import pytest
from benchmarks.history import build_history

from ledger.application import Actor, Ledger
from ledger.demo import Demo, Story
from ledger.projections import runner
from ledger.projections.journal import Row, rows_of
from ledger.projections.store import MemoryViewStore

ACTOR = Actor("case-worker:runner", "runner test", "req-runner")


def filled_ledger(units: int = 12, months: int = 3) -> Ledger:
    """The demo's worked examples and a few synthetic units, on an in-memory store."""
    ledger = Ledger(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": ":memory:"})
    Demo(ledger, Story(say=lambda _: None, show=lambda _: None)).run()
    build_history(ledger, units=units, months=months)
    return ledger


@pytest.fixture(scope="module")
def ledger() -> Ledger:
    return filled_ledger()


def all_rows(ledger: Ledger) -> list[Row]:
    decode = ledger.mapper.to_domain_event
    return [
        r for n in ledger.recorder.select_notifications(1, 1_000_000) for r in rows_of(decode(n))
    ]


def test_catch_up_applies_every_event_once_then_nothing(ledger: Ledger) -> None:
    store = MemoryViewStore()
    last = ledger.recorder.max_notification_id()

    first = runner.catch_up(ledger, store, page_size=100)
    again = runner.catch_up(ledger, store, page_size=100)

    assert (first, again) == (last, 0)
    assert store.position() == last
    assert store.rows == all_rows(ledger)


@pytest.mark.parametrize("page_size", [1, 7, 5_000])
def test_pages_of_any_size_give_the_same_rows(ledger: Ledger, page_size: int) -> None:
    store = MemoryViewStore()

    runner.catch_up(ledger, store, page_size=page_size)

    assert store.rows == all_rows(ledger)


def test_catch_up_starts_after_the_stored_position(ledger: Ledger) -> None:
    store = MemoryViewStore()
    runner.catch_up(ledger, store)
    before = len(store.rows)
    ledger.register_region("110100", "北京市", "110000", ACTOR)

    applied = runner.catch_up(ledger, store)

    assert applied == 2  # the region and its index entry
    assert store.rows[:before] == all_rows(ledger)[:before]
    assert len(store.rows) == before + 2  # one audit entry each, no unit rows


def test_progress_reports_the_position_reached_out_of_the_last_notification() -> None:
    ledger = filled_ledger(units=2, months=1)
    last = ledger.recorder.max_notification_id()
    assert last is not None
    seen: list[tuple[int, int]] = []

    runner.catch_up(
        ledger, MemoryViewStore(), page_size=50, progress=lambda d, t: seen.append((d, t))
    )

    assert seen[0] == (0, last)
    assert seen[-1] == (last, last)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert len(seen) == 1 + -(-last // 50)  # the start, then one per page


def test_follow_catches_up_each_time_it_wakes_and_stops_when_told() -> None:
    ledger = filled_ledger(units=1, months=1)
    store = MemoryViewStore()
    stop = threading.Event()
    wakes: list[int] = []

    def wait() -> None:
        wakes.append(store.position())
        if len(wakes) == 1:
            ledger.register_region("110100", "北京市", "110000", ACTOR)
        else:
            stop.set()

    runner.follow(ledger, store, wait=wait, stop=stop)

    assert wakes == [wakes[0], wakes[0] + 2]
    assert store.position() == ledger.recorder.max_notification_id()


class Unreachable(MemoryViewStore):
    """A store whose database cannot be reached the first time it is asked."""

    failures = 1

    def position(self) -> int:
        if self.failures:
            self.failures -= 1
            raise sqlite3.OperationalError("database is locked")
        return super().position()


def test_follow_tries_again_after_the_database_could_not_be_reached() -> None:
    ledger = filled_ledger(units=1, months=1)
    store = Unreachable()
    stop = threading.Event()
    waits: list[int] = []

    def wait() -> None:
        waits.append(store.position())
        if len(waits) == 2:
            stop.set()

    runner.follow(ledger, store, wait=wait, stop=stop)

    assert waits == [0, ledger.recorder.max_notification_id()]


def test_a_page_size_below_one_is_refused(ledger: Ledger) -> None:
    with pytest.raises(ValueError, match="page size 0"):
        runner.catch_up(ledger, MemoryViewStore(), page_size=0)


def test_garbage_collection_settings_are_restored_after_a_run(ledger: Ledger) -> None:
    before: Any = gc.get_threshold()

    runner.catch_up(ledger, MemoryViewStore(), page_size=500)

    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_overlapping_runs_restore_the_collectors_settings_when_the_last_one_ends() -> None:
    # a server's follower and a background catch-up, or two stores in one process: the
    # first in sets the batch thresholds, the last out restores what was there before
    before: Any = gc.get_threshold()
    first, second = runner._batch_gc(), runner._batch_gc()

    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert gc.get_threshold() != before  # the second run still maps pages
    second.__exit__(None, None, None)

    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
