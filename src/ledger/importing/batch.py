"""One batch of units: check their rows, load them, record, save them in one ``save()``.

The same code runs in the importing process or in worker processes; what a
worker needs is in a :class:`Spec`, which pickles. A batch that meets a
concurrent writer (an ``IntegrityError`` on save: someone saved one of these
units after it was loaded) is reloaded and redone, so nothing is written twice.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from ledger.application import Actor, Ledger
from ledger.importing import assessments, payments
from ledger.importing.bulkload import load_aggregates
from ledger.importing.common import Context, Lookups
from ledger.importing.csvfile import UnitRecords
from ledger.importing.outcome import ImportSummary, Timings, UnitOutcome, unit_rejected

#: attempts at a batch that meets concurrent writes (each reloads its units)
ATTEMPTS = 3

Plan = assessments.AssessmentPlan | payments.PaymentPlan


@dataclass(frozen=True, slots=True)
class Spec:
    """What to import and how the file's columns lie: everything a worker needs."""

    kind: Literal["assessments", "payments"]
    columns: dict[str, int]
    width: int
    actor: Actor
    #: assessments: the date of a row without ``assessed_on``
    default_on: date | None = None

    @property
    def command(self) -> str:
        return f"import_{self.kind}"


class Batches:
    """Runs batches against one ledger (one per process)."""

    def __init__(self, ledger: Ledger, spec: Spec) -> None:
        self.ledger = ledger
        self.spec = spec
        self.ctx = Context(ledger, spec.actor, ledger.policies())
        self.lookups = Lookups()

    def run(self, groups: Sequence[UnitRecords]) -> ImportSummary:
        """The counts of one batch (to be merged into the import's summary)."""
        with gc_paused():
            return self._run(groups)

    def _run(self, groups: Sequence[UnitRecords]) -> ImportSummary:
        summary = ImportSummary("", self.spec.command)
        plans: list[Plan] = []
        with summary.timings.phase("check rows"):
            for group in groups:
                parsed = self._parse(group)
                if isinstance(parsed, UnitOutcome):
                    summary.count(parsed)
                else:
                    plans.append(parsed)
        if plans:
            self._write(plans, summary)
        return summary

    def _parse(self, group: UnitRecords) -> Plan | UnitOutcome:
        spec = self.spec
        if spec.kind == "assessments":
            assert spec.default_on is not None
            return assessments.parse(group, spec.columns, spec.width, spec.default_on, self.lookups)
        return payments.parse(group, spec.columns, spec.width, self.lookups)

    def _apply(self, plan: Plan, loaded: dict[Any, Any]) -> UnitOutcome:
        if isinstance(plan, assessments.AssessmentPlan):
            return assessments.apply(plan, loaded, self.ctx)
        return payments.apply(plan, loaded, self.ctx)

    def _write(self, plans: list[Plan], summary: ImportSummary) -> None:
        timings = summary.timings
        ids = [aggregate_id for plan in plans for aggregate_id in plan.ids()]
        for _attempt in range(ATTEMPTS):
            with timings.phase("load units"):
                loaded = load_aggregates(self.ledger, ids)
            with timings.phase("decide and record"):
                outcomes = [self._apply(plan, loaded) for plan in plans]
            saved = [obj for outcome in outcomes for obj in outcome.saved]
            events = sum(len(obj.pending_events) for obj in saved if isinstance(obj, Aggregate))
            try:
                with timings.phase("save"), timed_inserts(self.ledger, timings):
                    if saved:
                        save(self.ledger, saved)
            except IntegrityError:
                # Another writer saved one of these units after it was loaded: redo the
                # batch from fresh state (what is now recorded counts as unchanged).
                continue
            summary.events += events
            for outcome in outcomes:
                summary.count(outcome)
            return
        for plan in plans:
            summary.count(
                unit_rejected(
                    plan.group,
                    f"unit {plan.uscc} kept changing while this batch was written "
                    "(concurrent writes); import the file again",
                )
            )


@contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for one batch, on again after it.

    A batch makes a few hundred thousand container objects (rows, lines, events, the
    units loaded), nearly all freed by reference counting when it ends; meanwhile the
    collector would pass over them again and again (every 700 allocations, and the
    older generations as they grow): a fifth of the import's CPU, 2 to 3 us a line
    (``benchmarks/bench_import.py``, in ``docs/benchmarks.md``). A batch is bounded
    (BATCH_UNITS, BATCH_LINES), so what cyclic garbage it leaves is bounded too and is
    collected after it, as usual.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def save(ledger: Ledger, objs: Sequence[Any]) -> None:
    """``ledger.save(*objs)``: one atomic save (without the library's runtime protocol
    checks: ``LedgerBase.save``); a seam the tests replace."""
    ledger.save(*objs)


@contextmanager
def timed_inserts(ledger: Ledger, timings: Timings) -> Iterator[None]:
    """Times the recorder's insert (its share of ``save()``; the rest is encoding).

    Wraps the bound method on the recorder instance for the duration only.
    """
    recorder = ledger.recorder
    insert: Callable[..., Any] = recorder.insert_events

    def timed(*args: Any, **kwargs: Any) -> Any:
        start, start_cpu = time.perf_counter(), time.process_time()
        try:
            return insert(*args, **kwargs)
        finally:
            timings.add("insert", time.perf_counter() - start, time.process_time() - start_cpu)

    setattr(recorder, "insert_events", timed)  # noqa: B010 -- mypy forbids assigning a method
    try:
        yield
    finally:
        delattr(recorder, "insert_events")
