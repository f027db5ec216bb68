"""Bulk import of a month's assessments and of the tax bureau's payments, from CSV
(UTF-8 or GB18030) or an xlsx workbook, told apart by their content.

The file streams through in batches of units. Per batch: every row is checked
(a unit with a bad row is rejected whole, each bad row named with its line),
the batch's units are loaded with one query per chunk, the same use-case code as
the single commands records the facts and decisions on them
(``Ledger.record_assessment`` / ``record_payment``), and all written units are
saved in one atomic ``save()``: one table lock and one round trip per batch
instead of per unit. Importing the same file again changes nothing: assessments
already recorded with the same lines, and payments whose content key is already
recorded, count as unchanged.

Formats, rules and messages per file kind: :mod:`ledger.importing.assessments`
and :mod:`ledger.importing.payments`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

from eventsourcing.postgres import PostgresAggregateRecorder

from ledger.application import Actor, Ledger
from ledger.importing import assessments, payments
from ledger.importing.batch import Batches, Spec, gc_paused
from ledger.importing.csvfile import CsvSource, UnitRecords
from ledger.importing.outcome import ImportSummary, Rejection, Timings
from ledger.importing.parallel import run_in_workers
from ledger.importing.xlsxfile import open_source

__all__ = [
    "BATCH_UNITS",
    "ImportSummary",
    "Rejection",
    "default_workers",
    "import_assessments",
    "import_payments",
]

#: units per save(): one table lock and one round trip per ~17,000 person-lines, which
#: is then a small share of a batch (benchmarks/bench_import.py: the insert, database
#: included, is ~3 us of ~26 us per line); larger batches only hold more in memory and
#: leave a longer last batch for one worker to finish alone
BATCH_UNITS = 1_000
#: a batch also ends at this many rows, so that batches of big units stay small
BATCH_LINES = 40_000
#: below this size (~150,000 person-lines, a few seconds) a file is imported in-process:
#: starting worker processes (imports, connections, policies) takes about two seconds
PARALLEL_FROM_BYTES = 8 << 20

Progress = Callable[[int], None]
"""Called as the import advances, with the bytes of the file read so far."""


def import_assessments(
    ledger: Ledger,
    path: Path,
    *,
    actor: Actor,
    assessed_on: date,
    batch_units: int = BATCH_UNITS,
    workers: int | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    """核定 from a file: one assessment per unit and period.

    ``assessed_on`` is the date of rows without an ``assessed_on`` column value.
    ``workers=None`` chooses (see :func:`default_workers`).
    """
    source = open_source(path, assessments.REQUIRED, assessments.OPTIONAL)
    spec = Spec("assessments", source.columns, source.width, actor, assessed_on)
    return _import(ledger, source, spec, batch_units, workers, progress)


def import_payments(
    ledger: Ledger,
    path: Path,
    *,
    actor: Actor,
    batch_units: int = BATCH_UNITS,
    workers: int | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    """征收回传 from a file: one payment per unit and day, naming the items it settles."""
    source = open_source(path, payments.REQUIRED, payments.OPTIONAL)
    spec = Spec("payments", source.columns, source.width, actor)
    return _import(ledger, source, spec, batch_units, workers, progress)


def default_workers(ledger: Ledger, size: int) -> int:
    """Worker processes for a file of ``size`` bytes: one per core on PostgreSQL for a
    large file; SQLite takes one writer at a time, so there it is always one."""
    if not isinstance(ledger.recorder, PostgresAggregateRecorder) or size < PARALLEL_FROM_BYTES:
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def _import(
    ledger: Ledger,
    source: CsvSource,
    spec: Spec,
    batch_units: int,
    workers: int | None,
    progress: Progress | None,
) -> ImportSummary:
    summary = ImportSummary(str(source.path), spec.command)
    if workers is None:
        workers = default_workers(ledger, source.size)
    if not isinstance(ledger.recorder, PostgresAggregateRecorder):
        workers = 1
    summary.workers = workers
    start = time.perf_counter()

    def done(part: ImportSummary) -> None:
        summary.merge(part)
        if progress is not None:
            progress(source.bytes_read)

    with source:
        batches = _batches(source, batch_units, summary.timings)
        if workers > 1:
            run_in_workers(ledger, spec, batches, workers, done)
        else:
            runner = Batches(ledger, spec)
            for batch in batches:
                done(runner.run(batch))
    summary.rejections.sort(key=lambda r: r.line)
    summary.elapsed = time.perf_counter() - start
    ledger.logger.info(
        spec.command,
        actor=spec.actor.name,
        request_id=spec.actor.request_id,
        **summary.as_log(),
    )
    return summary


def _batches(source: CsvSource, units: int, timings: Timings) -> Iterator[list[UnitRecords]]:
    """The file's units in batches of up to ``units`` units or BATCH_LINES rows."""
    groups = source.units()
    while True:
        with timings.phase("read rows"), gc_paused():
            batch: list[UnitRecords] = []
            rows = 0
            for group in groups:
                batch.append(group)
                rows += group.count
                if len(batch) >= units or rows >= BATCH_LINES:
                    break
        if not batch:
            return
        yield batch
