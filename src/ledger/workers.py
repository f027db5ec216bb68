"""Batches run in worker processes, a bounded number queued at a time: the bulk import
and the replay are CPU-bound Python, one core per process (threads would take turns on
one core).

Each worker builds its own ledger (its own connections) from the parent ledger's
environment, with ``CREATE_TABLE=n``: the parent has created the tables (and the
chained save's function), and workers starting at once need not race to. Workers are
started with ``spawn``: forking a process whose connection pools run threads is unsafe.
At most ``QUEUED_PER_WORKER`` batches per worker wait, so memory stays flat however many
batches there are.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from ledger.application import Ledger
from ledger.domain.errors import Unavailable
from ledger.processes import exit_with_parent

B = TypeVar("B")
R = TypeVar("R")

#: batches queued per worker: enough to keep each busy while the parent reads or merges
QUEUED_PER_WORKER = 2


def run_batches(
    ledger: Ledger,
    *,
    start: Callable[[type[Ledger], dict[str, str], Any], None],
    setup: Any,
    run: Callable[[B], R],
    batches: Iterable[B],
    workers: int,
    done: Callable[[B, R], None],
    what: str,
) -> None:
    """``run`` every batch in ``workers`` processes, each begun with ``start(ledger's
    class, its environment, setup)``; ``done`` gets each batch with its result, in the
    order they finish. A worker that dies is ``Unavailable`` naming ``what`` (an import,
    a replay): what it saved stays saved, so the command can simply be run again.
    ``start`` and ``run`` are module-level functions (a spawned process imports them)."""
    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_started,
        initargs=(start, type(ledger), {**ledger.env, "CREATE_TABLE": "n"}, setup),
    )
    pending: dict[Future[R], B] = {}

    def collect(finished: set[Future[R]]) -> None:
        for future in finished:
            done(pending.pop(future), future.result())

    try:
        for batch in batches:
            pending[pool.submit(run, batch)] = batch
            if len(pending) >= QUEUED_PER_WORKER * workers:
                collect(wait(pending, return_when=FIRST_COMPLETED).done)
        while pending:
            collect(wait(pending, return_when=FIRST_COMPLETED).done)
    except BrokenProcessPool as exc:
        # A worker died (it printed why: e.g. its store went away).
        pool.shutdown(wait=True, cancel_futures=True)
        article = "an" if what[:1] in "aeiou" else "a"
        raise Unavailable(f"{article} {what} worker stopped ({exc}); run the {what} again") from exc
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _started(
    start: Callable[[type[Ledger], dict[str, str], Any], None],
    ledger: type[Ledger],
    env: dict[str, str],
    setup: Any,
) -> None:
    exit_with_parent()
    start(ledger, env, setup)
