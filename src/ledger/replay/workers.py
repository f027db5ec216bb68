"""Batches of units replayed in worker processes: a replay is CPU-bound Python, one core
per process (threads would take turns on one core).

Each worker builds its own ledger (its own connections) from the replaying ledger's
environment (``ledger.workers``: spawned, a bounded number queued), and its own replayer
from the plan it is given once; the parent hands out batches of unit ids and merges the
tallies they return (exact sums: the report does not depend on the number of workers or
the order batches finish in). A store held in memory cannot be shared with another
process: such a ledger is replayed in its own process.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from uuid import UUID

from ledger.application import Ledger
from ledger.replay.replayer import Counted, Plan, Replayer
from ledger.usecases.base import LedgerBase
from ledger.workers import run_batches

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


def _run(batch: tuple[str, list[UUID]]) -> Counted:
    assert _replayer is not None, "worker not started"
    code, ids = batch
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
    run_batches(
        ledger,
        start=_start,
        setup=plan,
        run=_run,
        batches=batches,
        workers=workers,
        done=lambda batch, counted: done(counted, len(batch[1])),
        what="replay",
    )
