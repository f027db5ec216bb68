"""Look-ups asked ahead of a command, against real SQLite and PostgreSQL: what one
round trip answers (``select_several``) is what each ``select_events`` answers."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

from ledger.application import Ledger
from ledger.domain.region import POLICIES_LOG_ID, region_id, unit_id
from ledger.usecases.lookahead import Ask, select_several
from tests.integration.test_import import ACTOR, CHIFENG, A, B


def _versions(events: object) -> list[tuple[object, int, str, bytes]]:
    return [(e.originator_id, e.originator_version, e.topic, e.state) for e in events]  # type: ignore[attr-defined]


def test_asks_answered_together_are_what_each_select_answers_alone(chifeng: Ledger) -> None:
    for day in (10, 11):
        chifeng.collect_payment(B, date(2024, 1, day), "10.00", ACTOR)
    recorder = chifeng.recorder
    asks = [
        Ask(unit_id(A), 0),
        Ask(unit_id(B), 1),
        Ask(unit_id(A), 0, 1),
        Ask(POLICIES_LOG_ID, 2, 3),
        Ask(region_id(CHIFENG), 0),
        Ask(uuid4(), 0),
        Ask(unit_id(B), 99),
    ]

    together = select_several(recorder, asks)

    alone = [recorder.select_events(a.originator_id, gt=a.gt, limit=a.limit) for a in asks]
    assert [_versions(t) for t in together] == [_versions(a) for a in alone]
    assert [len(t) for t in together][:3] == [1, 2, 1]
    assert len(together[3]) == 3
