"""The lean payments' batches (``ledger.api.batches``), with a stand-in ledger and no
store: payments arriving together run in one trip, a lone one at once, two of one unit
or one key never in batches in flight together, each answered with its own outcome."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any, cast
from uuid import uuid4

from ledger.api.batches import IN_FLIGHT, PaymentBatches
from ledger.application import Actor, Ledger
from ledger.domain.errors import InvalidValue
from ledger.usecases.together import PaymentAsked


class StandIn:
    """Answers each payment with its unit, or refuses a negative amount; records the
    batches it ran and which were in flight together."""

    def __init__(self, pause: float = 0.05) -> None:
        self.pause = pause
        self.batches: list[list[str]] = []
        self.in_flight: list[list[str]] = []
        self.overlaps: list[tuple[list[str], list[str]]] = []
        self.lock = threading.Lock()

    def collect_payments(self, asked: Sequence[PaymentAsked]) -> list[Any]:
        units = [a.uscc for a in asked]
        with self.lock:
            self.overlaps += [(units, other) for other in self.in_flight]
            self.in_flight.append(units)
            self.batches.append(units)
        time.sleep(self.pause)
        with self.lock:
            self.in_flight.remove(units)
        return [
            InvalidValue("no", field="amount") if a.amount < 0 else {"unit": a.uscc} for a in asked
        ]


def payment(uscc: str, key: str | None = None, amount: str = "1.00") -> PaymentAsked:
    return PaymentAsked(
        cast(Any, None),
        uscc,
        date(2024, 1, 10),
        Decimal(amount),
        None,
        Actor("test"),
        key or f"key-{uuid4()}",
        contextvars.copy_context(),
    )


def collect(stand_in: StandIn, payments: list[PaymentAsked], stagger: float = 0.0) -> list[Any]:
    batches = PaymentBatches(lambda: cast(Ledger, stand_in))

    async def one(n: int, asked: PaymentAsked) -> Any:
        await asyncio.sleep(stagger * n)
        try:
            return await batches.collect(asked)
        except Exception as exc:
            return exc

    async def every() -> list[Any]:
        return list(await asyncio.gather(*(one(n, p) for n, p in enumerate(payments))))

    return asyncio.run(every())


def test_payments_arriving_while_a_batch_runs_go_together_in_the_next() -> None:
    stand_in = StandIn()
    units = [f"U{n}" for n in range(10)]

    answers = collect(stand_in, [payment(u) for u in units])

    assert answers == [{"unit": u} for u in units]
    # the first arrival starts a batch alone (IN_FLIGHT); the rest queue behind it and
    # go together in the next
    assert IN_FLIGHT == 1
    assert stand_in.batches == [["U0"], units[1:]]


def test_two_payments_of_one_unit_are_never_in_batches_in_flight_together() -> None:
    stand_in = StandIn()
    asked = [payment(u) for u in ["A", "A", "B", "A", "C", "B"]]

    answers = collect(stand_in, asked, stagger=0.01)

    assert answers == [{"unit": a.uscc} for a in asked]
    for batch in stand_in.batches:
        assert len(batch) == len(set(batch))
    for mine, other in stand_in.overlaps:
        assert not set(mine) & set(other)
    assert max(len(b) for b in stand_in.batches) <= len(asked)
    assert len(stand_in.batches) >= 3  # A three times: three batches at least


def test_one_key_twice_waits_for_the_first_batch() -> None:
    stand_in = StandIn()

    collect(stand_in, [payment("A", key="same"), payment("B", key="same")], stagger=0.01)

    assert stand_in.batches == [["A"], ["B"]]


def test_each_payment_gets_its_own_refusal_and_the_others_their_results() -> None:
    stand_in = StandIn(pause=0.0)

    answers = collect(stand_in, [payment("A"), payment("B", amount="-1"), payment("C")])

    assert answers[0] == {"unit": "A"}
    assert isinstance(answers[1], InvalidValue)
    assert answers[2] == {"unit": "C"}


def test_a_trip_that_fails_answers_every_payment_of_it_with_the_failure() -> None:
    class Broken(StandIn):
        def collect_payments(self, asked: Sequence[PaymentAsked]) -> list[Any]:
            raise ConnectionError("the store went away")

    answers = collect(Broken(), [payment("A"), payment("B")])

    assert all(isinstance(a, ConnectionError) for a in answers)


def test_no_more_batches_than_in_flight_run_at_once() -> None:
    stand_in = StandIn()

    collect(stand_in, [payment(f"U{n}") for n in range(40)], stagger=0.004)

    in_flight_at_once = max(
        (sum(1 for m, _ in stand_in.overlaps if m == b) + 1 for b in stand_in.batches),
        default=1,
    )
    assert in_flight_at_once <= IN_FLIGHT
