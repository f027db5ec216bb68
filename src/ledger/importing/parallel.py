"""Batches in worker processes: the import is CPU-bound Python, one core per process.

Checking rows, folding units and recording facts and decisions is pure Python,
so threads would take turns on one core; processes use them all. Each worker
builds its own ledger (its own connections) from the importing ledger's
environment; the importing process reads and groups the file and hands out
batches of raw records, a bounded number at a time, so memory stays flat.
Batches hold disjoint units (a unit's rows are contiguous), so workers never
write the same unit; their saves take turns on the event table's lock.

Workers are started with ``spawn``: forking a process whose connection pools run
threads is unsafe.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from ledger.application import Ledger
from ledger.domain.errors import Unavailable
from ledger.importing.batch import Batches, Spec
from ledger.importing.csvfile import UnitRecords
from ledger.importing.outcome import ImportSummary

#: batches queued per worker: enough to keep each busy while the next is read
QUEUED_PER_WORKER = 2

_batches: Batches | None = None


def _start(ledger_class: type[Ledger], env: dict[str, str], spec: Spec) -> None:
    global _batches  # one runner per worker process, built once
    _batches = Batches(ledger_class(env=env), spec)


def _run(groups: list[UnitRecords]) -> ImportSummary:
    assert _batches is not None, "worker not started"
    return _batches.run(groups)


def run_in_workers(
    ledger: Ledger,
    spec: Spec,
    batches: Iterable[list[UnitRecords]],
    workers: int,
    done: Callable[[ImportSummary], None],
) -> None:
    """Runs every batch in ``workers`` processes; ``done`` gets each batch's counts."""
    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start,
        # The importing ledger has created the tables: workers starting at once must not
        # (concurrent CREATE OR REPLACE FUNCTION fails with "tuple concurrently updated").
        initargs=(type(ledger), {**ledger.env, "CREATE_TABLE": "n"}, spec),
    )
    pending: set[Future[ImportSummary]] = set()
    try:
        for batch in batches:
            pending.add(pool.submit(_run, batch))
            if len(pending) >= QUEUED_PER_WORKER * workers:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    done(future.result())
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                done(future.result())
    except BrokenProcessPool as exc:
        # A worker died (it printed why: e.g. its store went away). Saved batches stay
        # saved and count as unchanged next time, so the import can simply be run again.
        pool.shutdown(wait=True, cancel_futures=True)
        raise Unavailable(f"an import worker stopped ({exc}); run the import again") from exc
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
