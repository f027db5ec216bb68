"""Look-ups asked ahead (``ledger.usecases.lookahead``), without a store: each answer
is the store's, taken once, by the thread that asked it, and asked again afterwards."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from uuid import UUID, uuid4

from eventsourcing.persistence import StoredEvent

from ledger.usecases.lookahead import Ask, Lookahead, select_several


class Recorder:
    """Events of two aggregates; counts how the store is asked."""

    def __init__(self, several: bool) -> None:
        self.ids = (uuid4(), uuid4())
        self.events = {i: [StoredEvent(i, v, "t", b"{}") for v in range(1, 5)] for i in self.ids}
        self.one_by_one = 0
        self.together = 0
        if several:
            self.select_several = self._several

    def select_events(
        self, originator_id: UUID, *, gt: int = 0, limit: int | None = None
    ) -> Sequence[StoredEvent]:
        self.one_by_one += 1
        later = [e for e in self.events.get(originator_id, []) if e.originator_version > gt]
        return later[:limit] if limit is not None else later

    def _several(self, asks: Sequence[Ask]) -> list[Sequence[StoredEvent]]:
        self.together += 1
        answers = [self.select_events(*a[:1], gt=a.gt, limit=a.limit) for a in asks]
        self.one_by_one -= len(asks)
        return answers


def test_asks_are_answered_together_where_the_store_can_and_one_by_one_where_not() -> None:
    for several in (True, False):
        recorder = Recorder(several)
        a, b = recorder.ids
        asks = [Ask(a, 2), Ask(b, 0, 1), Ask(uuid4(), 0)]

        answers = select_several(recorder, asks)

        assert [[e.originator_version for e in got] for got in answers] == [[3, 4], [1], []]
        assert (recorder.together, recorder.one_by_one) == ((1, 0) if several else (0, 3))


def test_an_answer_asked_ahead_is_taken_once_then_asked_of_the_store_again() -> None:
    recorder = Recorder(several=True)
    unit = Ask(recorder.ids[0], 3)
    ahead = Lookahead(recorder)

    with ahead.answering(ahead.asked([unit, Ask(uuid4(), 0)])):
        first = ahead.taken(unit)
        second = ahead.taken(unit)
        never_asked = ahead.taken(Ask(recorder.ids[1], 0))

    assert first is not None
    assert [e.originator_version for e in first] == [4]
    assert second is None
    assert never_asked is None
    assert recorder.together == 1


def test_nothing_asked_ahead_is_answered_after_the_block_or_in_another_thread() -> None:
    recorder = Recorder(several=True)
    unit = Ask(recorder.ids[0], 0)
    ahead = Lookahead(recorder)
    elsewhere: list[object] = []

    with ahead.answering(ahead.asked([unit])):
        seen = threading.Thread(target=lambda: elsewhere.append(ahead.taken(unit)))
        seen.start()
        seen.join()
    after = ahead.taken(unit)

    assert elsewhere == [None]
    assert after is None


def test_an_empty_list_of_asks_asks_the_store_nothing() -> None:
    recorder = Recorder(several=True)

    assert select_several(recorder, []) == []
    assert recorder.together == recorder.one_by_one == 0
