"""Group commit: the saves of concurrent commands, several in one transaction.

Every save of the event store takes the event table's one lock, writes the hash
chain's heads and links and flushes a commit to disk: done once per command, that is
what bounds a server's commands per second. Here the commands waiting to save at the
same moment are saved together, in **one** ``save()`` (one transaction, one lock, one
flush), and each caller returns only once the transaction holding its own events has
committed (or failed).

No timer: a group is whatever queued while the previous one was being written, so a
lone command waits for nobody, and under load the groups grow by themselves.

What each command saves is unchanged (its aggregates' events and its idempotency
record), and so is what a failure means to it:

- Two commands of one group never touch the same aggregate: the later one waits for
  the next group. (It was decided on the state before the earlier one's events, so
  its save then fails on the store's uniqueness check as it would have alone, and
  ``LedgerBase._run`` decides it again.)
- A group whose save fails for a reason of one member (a lost race, a refusal by the
  store or the hash chain) is split in halves, each saved again, down to the member
  alone: only that member gets the error; the others are saved.
- A store that cannot be reached (after the library's own retries) fails every member
  alike: splitting would only multiply the wait.

The leader: the first command to queue when nobody is saving saves a group (itself
first), then hands the lead to the first still waiting. A thread never saves for
long on behalf of others, and no thread of our own is started.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from eventsourcing.persistence import InterfaceError, OperationalError

__all__ = ["MAX_EVENTS", "MAX_MEMBERS", "GroupCommit"]

#: commands saved in one transaction at most
MAX_MEMBERS = 64
#: events in one transaction at most (a larger command is saved alone)
MAX_EVENTS = 2_000

#: the store cannot be reached: every member fails alike, nothing is split
UNREACHABLE = (OperationalError, InterfaceError)


@dataclass(eq=False)
class _Member:
    events: Sequence[Any]
    originators: frozenset[Any]
    wake: threading.Event = field(default_factory=threading.Event)
    leads: bool = False
    done: bool = False
    error: BaseException | None = None


@dataclass(frozen=True, slots=True)
class GroupStats:
    """Counters since the committer was made (for benchmarks and logs)."""

    groups: int
    members: int
    splits: int


class GroupCommit:
    """Saves lists of events, from many threads, as few transactions as load allows.

    ``save`` stores a list of events in one transaction (``Application.save``).
    """

    def __init__(
        self,
        save: Callable[[Sequence[Any]], object],
        *,
        max_members: int = MAX_MEMBERS,
        max_events: int = MAX_EVENTS,
    ) -> None:
        self._save = save
        self._max_members = max(1, max_members)
        self._max_events = max(1, max_events)
        self._lock = threading.Lock()
        self._queue: list[_Member] = []
        #: a leader is saving; while False the queue is empty
        self._busy = False
        self._groups = self._members = self._splits = 0

    @property
    def stats(self) -> GroupStats:
        with self._lock:
            return GroupStats(self._groups, self._members, self._splits)

    def commit(self, events: Sequence[Any]) -> None:
        """Returns once ``events`` are committed; raises what their save raised."""
        if not events:
            return
        me = _Member(events, frozenset(e.originator_id for e in events))
        with self._lock:
            self._queue.append(me)
            if not self._busy:
                self._busy = me.leads = True
        if not me.leads:
            me.wake.wait()
        if not me.done:
            self._lead(me)
        if me.error is not None:
            raise me.error

    def save_apart(self, lists: Sequence[Sequence[Any]]) -> list[Exception | None]:
        """Saves several commands' events, decided by one thread, in as few transactions
        as a group's limits allow, each split as a group is when one of them fails: each
        list's error, or None once its transaction committed. (Their aggregates must be
        distinct, as in a group.)"""
        members = [_Member(events, frozenset()) for events in lists]
        # within the limits of a group (LEDGER_GROUP_COMMIT=1: each saved alone)
        group: list[_Member] = []
        events = 0
        for member in (m for m in members if m.events):
            if not self._fits(len(group), events, member):
                self._save_group(group)
                group, events = [], 0
            group.append(member)
            events += len(member.events)
        if group:
            self._save_group(group)
        # _save_all records what an Exception raised; anything else it lets through
        return [cast(Exception | None, m.error) for m in members]

    def _save_group(self, group: list[_Member]) -> None:
        with self._lock:
            self._groups += 1
            self._members += len(group)
        self._save_all(group)

    # ------------------------------------------------------------ the leader

    def _lead(self, me: _Member) -> None:
        """Saves one group (the leader's own command first), then hands over."""
        group: list[_Member] = []
        try:
            with self._lock:
                group = self._take()
            self._save_all(group)
        except BaseException as exc:  # never leave a member asleep, nor the leader queued
            for member in [*group, me]:
                if not member.done and member.error is None:
                    member.error = exc
            raise
        finally:
            for member in group:
                member.done = True
                member.wake.set()
            with self._lock:
                if me in self._queue:
                    self._queue.remove(me)
                me.done = True
                if self._queue:
                    following = self._queue[0]
                    following.leads = True
                    following.wake.set()
                else:
                    self._busy = False

    def _take(self) -> list[_Member]:
        """The next group, in arrival order: the first member always; then those that
        touch none of the group's aggregates, within the limits. Skipped members stay
        at the head of the queue for the next group."""
        group: list[_Member] = []
        touched: set[Any] = set()
        events = 0
        rest: list[_Member] = []
        for member in self._queue:
            if self._fits(len(group), events, member) and not (member.originators & touched):
                group.append(member)
                touched |= member.originators
                events += len(member.events)
            else:
                rest.append(member)
        self._queue = rest
        self._groups += 1
        self._members += len(group)
        return group

    def _fits(self, size: int, events: int, member: _Member) -> bool:
        """Whether ``member`` joins a group of ``size`` members holding ``events`` events:
        always the first; then within both limits."""
        return size < self._max_members and (
            size == 0 or events + len(member.events) <= self._max_events
        )

    def _save_all(self, group: list[_Member]) -> None:
        """One transaction for the group; on a member's failure, halves, recursively."""
        try:
            self._save([e for member in group for e in member.events])
        except UNREACHABLE as exc:
            for member in group:
                member.error = exc
        except Exception as exc:
            if len(group) == 1:
                group[0].error = exc
                return
            with self._lock:
                self._splits += 1
            middle = len(group) // 2
            self._save_all(group[:middle])
            self._save_all(group[middle:])
