"""Many desks at once: their commands are saved in groups (one transaction for several
commands), each command exactly once, a failing member alone, a retry answered as
the first time.

To make a group for sure, the first save is held until the other desks' commands
wait behind it; they are then saved together.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from eventsourcing.persistence import OperationalError

from ledger.application import Ledger, Result
from ledger.domain.unit import Unit
from tests.acceptance.conftest import ACTOR, CHIFENG, Agency

DESKS = 6
PAID_ON = date(2020, 3, 10)


@pytest.fixture
def units(agency: Agency) -> list[str]:
    agency.region(CHIFENG)
    found = []
    for _ in range(DESKS):
        uscc = agency.unit(CHIFENG)
        agency.person(uscc, "5000.00")
        agency.assess(uscc, "2020-02", date(2020, 3, 2))
        found.append(uscc)
    return found


def _hold_first_save(
    ledger: Ledger, waiting: int, before: Callable[[], None] = lambda: None
) -> None:
    """The ledger's first save waits until ``waiting`` commands queue behind it, then
    runs ``before`` and saves."""
    real = ledger.save
    calls = []

    def save(*objs: Any, **kwargs: Any) -> Any:
        calls.append(len(objs))
        if len(calls) == 1:
            deadline = time.monotonic() + 10
            while len(ledger.group_commit._queue) < waiting and time.monotonic() < deadline:
                time.sleep(0.002)
            before()
        return real(*objs, **kwargs)

    ledger.save = save  # type: ignore[method-assign]


def _pay_at_once(ledger: Ledger, usccs: list[str], amount: str = "100.00") -> dict[str, Any]:
    """Each desk pays its unit in its own thread; the answers (or errors) by USCC."""
    answers: dict[str, Any] = {}

    def desk(uscc: str) -> None:
        try:
            answers[uscc] = ledger.collect_payment(uscc, PAID_ON, amount, ACTOR, key=f"pay-{uscc}")
        except Exception as exc:
            answers[uscc] = exc

    first = threading.Thread(target=desk, args=(usccs[0],))
    first.start()
    deadline = time.monotonic() + 10
    while not ledger.group_commit._busy and time.monotonic() < deadline:
        time.sleep(0.001)
    rest = [threading.Thread(target=desk, args=(u,)) for u in usccs[1:]]
    for thread in rest:
        thread.start()
    for thread in [first, *rest]:
        thread.join(30)
    return answers


def _payments(ledger: Ledger, uscc: str) -> list[Unit.PaymentCollected]:
    return [e for e in ledger.unit_history(uscc) if isinstance(e, Unit.PaymentCollected)]


def _answered(event: Unit.Event) -> dict[str, Any]:
    return {"type": type(event).__name__, "version": event.originator_version}


def test_payments_of_desks_at_once_are_saved_in_groups_each_exactly_once(
    agency: Agency, units: list[str]
) -> None:
    ledger = agency.ledger
    _hold_first_save(ledger, waiting=DESKS - 1)
    before = ledger.group_commit.stats

    answers = _pay_at_once(ledger, units)

    stats = ledger.group_commit.stats
    assert all(isinstance(a, dict) for a in answers.values()), answers
    # the first alone, the five that waited behind it in one transaction
    assert (stats.groups - before.groups, stats.members - before.members) == (2, DESKS)
    for uscc in units:
        paid = _payments(ledger, uscc)
        assert len(paid) == 1
        assert answers[uscc]["events"][0] == _answered(paid[0])
        # the idempotency record was saved with it: a retry replays, writes nothing
        high = agency.high_water()
        assert (
            ledger.collect_payment(uscc, PAID_ON, "100.00", ACTOR, key=f"pay-{uscc}")
            == (answers[uscc])
        )
        assert agency.high_water() == high


def test_a_member_that_lost_its_race_is_decided_again_and_its_group_is_saved(
    agency: Agency, units: list[str], other_process: Ledger
) -> None:
    ledger = agency.ledger
    loser = units[3]

    def another_process_pays_first() -> None:
        # decided on the unit before this payment: the grouped save of ``loser`` loses
        other_process.collect_payment(loser, PAID_ON, "1.00", ACTOR, key="the-other-desk")

    _hold_first_save(ledger, waiting=DESKS - 1, before=another_process_pays_first)

    answers = _pay_at_once(ledger, units)

    assert all(isinstance(a, dict) for a in answers.values()), answers
    assert ledger.group_commit.stats.splits >= 1
    for uscc in units:
        amounts = sorted(str(e.amount) for e in _payments(ledger, uscc))
        assert amounts == (["1.00", "100.00"] if uscc == loser else ["100.00"])
    # decided again after the other desk's payment: the version after it
    theirs, ours = _payments(ledger, loser)
    assert answers[loser]["events"][0] == _answered(ours)
    assert ours.originator_version > theirs.originator_version


def test_retries_after_answers_lost_with_the_group_answer_as_recorded(
    agency: Agency, units: list[str]
) -> None:
    ledger = agency.ledger
    real = ledger.save
    lost: list[int] = []

    def save_then_crash(*objs: Any, **kwargs: Any) -> Any:
        # the transaction commits, then the connection drops before anyone is answered
        real(*objs, **kwargs)
        lost.append(len(objs))
        raise OperationalError("server closed the connection unexpectedly")

    ledger.save = save_then_crash  # type: ignore[method-assign]
    answers = _pay_at_once(ledger, units)
    ledger.save = real  # type: ignore[method-assign]

    assert all(isinstance(a, OperationalError) for a in answers.values())
    assert sum(lost) == 2 * DESKS  # each command's payment and record, saved once
    high = agency.high_water()
    retried: dict[str, Result] = {}
    for uscc in units:
        retried[uscc] = ledger.collect_payment(uscc, PAID_ON, "100.00", ACTOR, key=f"pay-{uscc}")
        again = ledger.collect_payment(uscc, PAID_ON, "100.00", ACTOR, key=f"pay-{uscc}")

        assert retried[uscc] == again
        (paid,) = _payments(ledger, uscc)
        assert retried[uscc]["events"][0] == _answered(paid)
    assert agency.high_water() == high
