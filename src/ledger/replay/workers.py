"""Batches of units replayed in worker processes: a replay is CPU-bound Python, one core
per process (threads would take turns on one core).

Each worker builds its own ledger (its own connections) from the replaying ledger's
environment, and its own replayer from the plan it is given once; the parent hands out
batches of unit ids, a bounded number at a time, and merges the tallies they return
(exact sums: the report does not depend on the number of workers or the order batches
finish in). Started with ``spawn``, as the importer's workers are: forking a process
whose connection pools run threads is unsafe. A store held in memory cannot be shared
with another process: such a ledger is replayed in its own process.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from uuid import UUID

from ledger.application import Ledger
from ledger.domain.errors import Unavailable
from ledger.replay.replayer import Counted, Plan, Replayer
from ledger.usecases.base import LedgerBase

#: batches queued per worker: enough to keep each busy while the parent merges
QUEUED_PER_WORKER = 2

_replayer: Replayer | None = None


def shareable(ledger: LedgerBase) -> bool:
    """Whether another process can open the ledger's store (not one held in memory)."""
    if not isinstance(ledger, Ledger):
        return False
    env = ledger.env
    module = env.get("PERSISTENCE_MODULE", "")
    if module.endswith("postgres"):
        return True
    if module.endswith("sqlite"):
        name = env.get("SQLITE_DBNAME", "")
        return bool(name) and ":memory:" not in name and "mode=memory" not in name
    return False


def _start(ledger_class: type[Ledger], env: dict[str, str], plan: Plan) -> None:
    global _replayer  # one replayer per worker process, built once
    _replayer = Replayer(ledger_class(env=env), plan)


def _run(code: str, ids: list[UUID]) -> Counted:
    assert _replayer is not None, "worker not started"
    return _replayer.run(code, ids)


def run_in_workers(
    ledger: LedgerBase,
    plan: Plan,
    batches: Sequence[tuple[str, list[UUID]]],
    workers: int,
    done: Callable[[Counted, int], None],
) -> None:
    """Replays every batch in ``workers`` processes; ``done`` gets each batch's tally and
    its number of units."""
    assert isinstance(ledger, Ledger)
    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start,
        # The replaying ledger has created the tables: workers must not race to.
        initargs=(type(ledger), {**ledger.env, "CREATE_TABLE": "n"}, plan),
    )
    sizes: dict[Future[Counted], int] = {}
    pending: set[Future[Counted]] = set()

    def collect(finished: set[Future[Counted]]) -> None:
        for future in finished:
            done(future.result(), sizes.pop(future))

    try:
        for code, ids in batches:
            future = pool.submit(_run, code, ids)
            sizes[future] = len(ids)
            pending.add(future)
            if len(pending) >= QUEUED_PER_WORKER * workers:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                collect(finished)
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            collect(finished)
    except BrokenProcessPool as exc:
        pool.shutdown(wait=True, cancel_futures=True)
        raise Unavailable(f"a replay worker stopped ({exc}); run the replay again") from exc
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
