"""The lean payments that arrive together, handed to the thread pool as batches.

Each plain payment used to take a thread-pool trip of its own: its thread asked the
store three things, decided, queued its events for the group commit and slept until
its group committed. Sixteen payments in flight were sixteen threads handing the
interpreter lock to one another at every query and wake-up. Here the event loop
queues each payment and, while no batch is in the pool (``IN_FLIGHT``), hands all
those waiting (up to ``MAX_BATCH``) to one trip,
``Ledger.collect_payments`` (``ledger.usecases.together``): one round trip for the
look-ups, each decided in turn, one transaction for their events. No timer: a batch
is whatever queued while the previous ones ran, so a lone payment waits for nobody.

Two payments of the same unit, or with the same key, are never in one batch (nor in
batches in flight together): the later one waits for the next batch, so that it is decided on the
earlier one's committed events (as two requests on one unit are, one after the other,
through the route).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool

from ledger.application import Ledger, Result
from ledger.usecases.together import PaymentAsked

__all__ = ["IN_FLIGHT", "MAX_BATCH", "PaymentBatches"]

#: payments in one batch at most
MAX_BATCH = 64
#: batches in the thread pool at once. One: while it waits on the store the event loop
#: reads the next requests, and a second batch beside it only split them (alternated,
#: fresh history, quiet: 416 and 511/s, 1.88 and 1.51 ms of server CPU a payment with
#: one; 379 and 369/s, 2.35 and 2.40 ms with two; 354/s, 2.57 ms with three)
IN_FLIGHT = 1

_Waiting = tuple[PaymentAsked, "asyncio.Future[Result]"]


class PaymentBatches:
    """Collects payments in batches; ``collect`` answers each as its batch ends."""

    def __init__(self, ledger: Callable[[], Ledger]) -> None:
        self._ledger = ledger
        self._waiting: list[_Waiting] = []
        #: the units and keys of the payments in batches now in the pool
        self._busy: set[tuple[str, str]] = set()
        self._running = 0
        self._tasks: set[asyncio.Task[None]] = set()
        #: batches run and payments in them (for tests and benchmarks)
        self.batches = self.payments = 0

    async def collect(self, asked: PaymentAsked) -> Result:
        """The payment's result, or what it raised, once its batch has run."""
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((asked, future))
        self._start()
        return await future

    def _start(self) -> None:
        while self._running < IN_FLIGHT and (batch := self._take()):
            self._running += 1
            task = asyncio.get_running_loop().create_task(self._run(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _take(self) -> list[_Waiting]:
        """The next batch, in arrival order, skipping (for later) a payment whose unit
        or key is in a batch in flight or already in this one."""
        batch: list[_Waiting] = []
        rest: list[_Waiting] = []
        for waiting in self._waiting:
            names = _names(waiting[0])
            if len(batch) < MAX_BATCH and not names & self._busy:
                batch.append(waiting)
                self._busy |= names
            else:
                rest.append(waiting)
        self._waiting = rest
        return batch

    async def _run(self, batch: list[_Waiting]) -> None:
        try:
            outcomes = await run_in_threadpool(
                self._ledger().collect_payments, [asked for asked, _ in batch]
            )
        except Exception as exc:  # the whole trip failed: every payment of it
            outcomes = [exc] * len(batch)
        finally:
            self._running -= 1
            for asked, _ in batch:
                self._busy -= _names(asked)
        self.batches += 1
        self.payments += len(batch)
        # the next batch first: its trip to the pool begins before this batch's requests
        # are answered, so that the store's work for it overlaps the event loop's for them
        self._start()
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            if future.done():  # its request went away meanwhile
                continue
            if isinstance(outcome, Exception):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)


def _names(asked: PaymentAsked) -> set[tuple[str, str]]:
    return {("unit", asked.uscc), ("key", asked.key)}
