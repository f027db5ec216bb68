"""The import's batches in worker processes (``ledger.workers``: spawned, a bounded
number queued, one ledger each).

Checking rows, folding units and recording facts and decisions is pure Python; the
importing process reads and groups the file and hands out batches of raw records.
Batches hold disjoint units (a unit's rows are contiguous), so workers never write the
same unit; their saves take turns on the event table's lock. A worker that dies leaves
its saved batches saved: they count as unchanged next time, so the import can simply be
run again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ledger.application import Ledger
from ledger.importing.batch import Batches, Spec
from ledger.importing.csvfile import UnitRecords
from ledger.importing.outcome import ImportSummary
from ledger.workers import run_batches

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
    run_batches(
        ledger,
        start=_start,
        setup=spec,
        run=_run,
        batches=batches,
        workers=workers,
        done=lambda _, counts: done(counts),
        what="import",
    )
