"""The look-ups a command makes before it decides, asked of the store in one round trip.

A payment through the API asked the event store three things, one query each, before
it decided: whether the case worker's token has an event since it was kept (revoked),
whether the idempotency key names a command already recorded, and which events the
unit kept from its last command has since. A round trip costs 90-160 µs of the
server's CPU however little it returns (measured, issue 11.2); three made about a
seventh of a payment. ``Lookahead.asked`` asks them, for every payment of a batch at
once (``ledger.usecases.together``), in one statement on PostgreSQL
(``ChainedPostgresRecorder.select_several``); ``answering`` holds a payment's answers,
for the calling thread only, until each look-up takes its own.

What each look-up answers is unchanged: it is the same query's answer, asked a moment
earlier in the same thread, before anything is decided. Each answer is taken once:
a look-up made again (a command decided a second time after a lost race) asks the
store afresh, as before.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import NamedTuple, Protocol
from uuid import UUID

from eventsourcing.persistence import StoredEvent

__all__ = ["Ask", "Lookahead", "select_several"]


class Ask(NamedTuple):
    """An aggregate's events after a version, at most ``limit`` of them (all: None)."""

    originator_id: UUID
    gt: int
    limit: int | None = None


class Recorder(Protocol):
    def select_events(
        self, originator_id: UUID, *, gt: int, limit: int | None = None
    ) -> Sequence[StoredEvent]: ...


def select_several(recorder: Recorder, asks: Sequence[Ask]) -> list[Sequence[StoredEvent]]:
    """Each ask's events, in version order: in one statement where the recorder can
    (PostgreSQL), else one ``select_events`` each (SQLite: no round trip to save)."""
    if not asks:
        return []
    several = getattr(recorder, "select_several", None)
    if several is not None:
        answers: list[Sequence[StoredEvent]] = several(asks)
        return answers
    return [recorder.select_events(a.originator_id, gt=a.gt, limit=a.limit) for a in asks]


class Lookahead:
    """Answers asked ahead by a thread, each taken at most once by that thread."""

    def __init__(self, recorder: Recorder) -> None:
        self._recorder = recorder
        self._local = threading.local()

    def asked(self, asks: Sequence[Ask]) -> dict[Ask, Sequence[StoredEvent]]:
        """The store's answers to ``asks`` (each asked once), in one round trip."""
        unique = list(dict.fromkeys(asks))
        return dict(zip(unique, select_several(self._recorder, unique), strict=True))

    @contextmanager
    def answering(self, answers: dict[Ask, Sequence[StoredEvent]]) -> Iterator[None]:
        """Inside the block, ``taken`` answers from ``answers`` (a copy: each taken once)."""
        self._local.answers = dict(answers)
        try:
            yield
        finally:
            self._local.answers = None

    def events(self, ask: Ask) -> Sequence[StoredEvent]:
        """The answer to ``ask``: the one asked ahead if not yet taken, else the store's,
        asked now."""
        answer = self.taken(ask)
        if answer is None:
            answer = self._recorder.select_events(ask.originator_id, gt=ask.gt, limit=ask.limit)
        return answer

    def taken(self, ask: Ask) -> Sequence[StoredEvent] | None:
        """The answer to ``ask`` if it was asked ahead and not yet taken, else None."""
        answers: dict[Ask, Sequence[StoredEvent]] | None = getattr(self._local, "answers", None)
        if not answers:
            return None
        return answers.pop(ask, None)
