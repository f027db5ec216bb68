"""Group commit without a store: commands waiting at once share one save; a member's
failure stays its own; members on one aggregate never share a save."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError, OperationalError

from ledger.usecases.groupcommit import GroupCommit


@dataclass(frozen=True)
class Ev:
    originator_id: str
    n: int


class Store:
    """Saves lists of events as transactions; refuses any transaction holding a
    poisoned event (as a store refuses a version already taken)."""

    def __init__(self, poisoned: frozenset[Ev] = frozenset()) -> None:
        self.transactions: list[list[Ev]] = []
        self.poisoned = poisoned
        self.lock = threading.Lock()
        self.first = threading.Event()  # the first save has started
        self.release = threading.Event()  # lets the first save finish
        self.release.set()

    def save(self, events: Sequence[Any]) -> None:
        if not self.first.is_set():
            self.first.set()
            self.release.wait(5)
        if self.poisoned & set(events):
            raise IntegrityError("duplicate key value violates unique constraint")
        with self.lock:
            self.transactions.append(list(events))

    def saved(self) -> list[Ev]:
        return [e for t in self.transactions for e in t]


def _queued(group: GroupCommit, count: int) -> None:
    """Waits until ``count`` commands wait behind the save in progress."""
    deadline = time.monotonic() + 5
    while len(group._queue) < count and time.monotonic() < deadline:
        time.sleep(0.001)


def _burst(
    group: GroupCommit, store: Store, commands: list[list[Ev]]
) -> dict[int, BaseException | None]:
    """The first command starts saving and is held; the others queue behind it; then all
    run to the end. Returns each command's outcome (None: committed)."""
    outcomes: dict[int, BaseException | None] = {}

    def run(i: int) -> Callable[[], None]:
        def go() -> None:
            try:
                group.commit(commands[i])
                outcomes[i] = None
            except Exception as exc:
                outcomes[i] = exc

        return go

    store.release.clear()
    threads = [threading.Thread(target=run(0))]
    threads[0].start()
    assert store.first.wait(5)
    threads += [threading.Thread(target=run(i)) for i in range(1, len(commands))]
    for t in threads[1:]:
        t.start()
    _queued(group, len(commands) - 1)
    store.release.set()
    for t in threads:
        t.join(10)
    return outcomes


def _payments(count: int) -> list[list[Ev]]:
    # a command's events: its unit's event and its idempotency record
    return [[Ev(f"unit-{i}", 1), Ev(f"command-{i}", 1)] for i in range(count)]


def test_commands_waiting_at_once_are_saved_in_one_transaction_each_once() -> None:
    store = Store()
    group = GroupCommit(store.save)
    commands = _payments(9)

    outcomes = _burst(group, store, commands)

    assert outcomes == dict.fromkeys(range(9))
    # the first alone (nobody was waiting), the eight that queued behind it together
    assert [len(t) for t in store.transactions] == [2, 16]
    assert sorted(store.saved(), key=str) == sorted((e for c in commands for e in c), key=str)
    assert group.stats.groups == 2
    assert group.stats.members == 9


def test_a_lone_command_is_saved_at_once_without_waiting_for_others() -> None:
    store = Store()
    group = GroupCommit(store.save)

    group.commit([Ev("unit-1", 1)])

    assert store.transactions == [[Ev("unit-1", 1)]]


def test_a_member_refused_by_the_store_fails_alone_and_the_others_are_saved() -> None:
    commands = _payments(9)
    store = Store(poisoned=frozenset({commands[5][0]}))
    group = GroupCommit(store.save)

    outcomes = _burst(group, store, commands)

    assert isinstance(outcomes[5], IntegrityError)
    assert all(outcomes[i] is None for i in range(9) if i != 5)
    saved = store.saved()
    assert commands[5][0] not in saved
    assert commands[5][1] not in saved
    for i in (0, 1, 2, 3, 4, 6, 7, 8):
        assert saved.count(commands[i][0]) == saved.count(commands[i][1]) == 1
    assert group.stats.splits >= 1


def test_commands_on_one_aggregate_never_share_a_transaction() -> None:
    store = Store()
    group = GroupCommit(store.save)
    # two commands on unit-1 (as two payments of one unit decided at once), one on unit-2
    commands = [[Ev("unit-0", 1)], [Ev("unit-1", 5)], [Ev("unit-1", 5)], [Ev("unit-2", 1)]]

    _burst(group, store, commands)

    for transaction in store.transactions:
        ids = [e.originator_id for e in transaction]
        assert len(ids) == len(set(ids))
    assert len(store.transactions) == 3


def test_a_store_that_cannot_be_reached_fails_every_member_without_splitting() -> None:
    calls: list[int] = []
    held = threading.Event()
    go = threading.Event()

    def save(events: Sequence[Any]) -> None:
        calls.append(len(events))
        if len(calls) == 1:
            held.set()
            go.wait(5)
            return
        raise OperationalError("connection refused")

    group = GroupCommit(save)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            group.commit([Ev(f"unit-{i}", 1)])
        except OperationalError as exc:
            errors.append(exc)

    first = threading.Thread(target=run, args=(0,))
    first.start()
    assert held.wait(5)
    others = [threading.Thread(target=run, args=(i,)) for i in range(1, 5)]
    for t in others:
        t.start()
    _queued(group, 4)
    go.set()
    for t in [first, *others]:
        t.join(10)

    assert len(errors) == 4
    assert calls == [1, 4]  # one try for the four together, no halves
    assert group.stats.splits == 0


def test_a_limit_of_one_saves_every_command_alone() -> None:
    store = Store()
    group = GroupCommit(store.save, max_members=1)

    outcomes = _burst(group, store, _payments(4))

    assert outcomes == dict.fromkeys(range(4))
    assert [len(t) for t in store.transactions] == [2, 2, 2, 2]


def test_an_empty_command_saves_nothing() -> None:
    store = Store()

    GroupCommit(store.save).commit([])

    assert store.transactions == []


@pytest.mark.parametrize("size", [1, 3])
def test_a_large_command_is_saved_alone_and_the_limit_holds(size: int) -> None:
    store = Store()
    group = GroupCommit(store.save, max_events=4)
    commands = [[Ev("first", 1)], [Ev(f"big-{i}", 1) for i in range(6)]]
    commands += [[Ev(f"small-{i}-{j}", 1) for j in range(size)] for i in range(3)]

    outcomes = _burst(group, store, commands)

    assert outcomes == dict.fromkeys(range(len(commands)))
    assert [len(t) for t in store.transactions if len(t) > 4] == [6]
    assert sum(len(t) for t in store.transactions) == 7 + 3 * size


class Interrupted(BaseException):
    """As a KeyboardInterrupt or a thread's exit would arrive in the middle of a save."""


def test_a_save_interrupted_wakes_every_member_and_the_next_command_saves() -> None:
    store = Store()
    real = store.save
    interrupt = [True]

    def save(events: Sequence[Any]) -> None:
        real(events)  # the first (held) save completes
        if len(store.transactions) == 2 and interrupt[0]:
            interrupt[0] = False
            raise Interrupted

    group = GroupCommit(save)
    outcomes: dict[int, BaseException | None] = {}

    def run(i: int) -> None:
        try:
            group.commit([Ev(f"unit-{i}", 1)])
            outcomes[i] = None
        except BaseException as exc:
            outcomes[i] = exc

    store.release.clear()
    first = threading.Thread(target=run, args=(0,))
    first.start()
    assert store.first.wait(5)
    others = [threading.Thread(target=run, args=(i,)) for i in range(1, 4)]
    for t in others:
        t.start()
    _queued(group, 3)
    store.release.set()
    for t in [first, *others]:
        t.join(10)
    group.commit([Ev("unit-9", 1)])

    assert outcomes[0] is None
    assert all(isinstance(outcomes[i], Interrupted) for i in (1, 2, 3))
    assert not any(t.is_alive() for t in [first, *others])
    assert store.transactions[-1] == [Ev("unit-9", 1)]


def test_commands_saved_apart_by_one_thread_keep_the_groups_limits() -> None:
    store = Store(poisoned=frozenset({Ev("b", 1)}))
    lists = [[Ev(name, 1)] for name in "abcde"]

    alone = GroupCommit(store.save, max_members=1).save_apart(lists)
    assert [[e.originator_id for e in t] for t in store.transactions] == [[n] for n in "acde"]
    assert [e is None for e in alone] == [True, False, True, True, True]

    store.transactions.clear()
    GroupCommit(store.save, max_members=2).save_apart([[Ev(n, 2)] for n in "abcde"])
    assert [[e.originator_id for e in t] for t in store.transactions] == [
        ["a", "b"],
        ["c", "d"],
        ["e"],
    ]

    store.transactions.clear()
    GroupCommit(store.save, max_events=3).save_apart([[Ev("x", n), Ev("x", n)] for n in (3, 4)])
    assert len(store.transactions) == 2
