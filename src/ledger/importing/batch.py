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
from uuid import UUID

from eventsourcing.application import ProcessingEvent
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
    (``benchmarks/bench_import.py``, in README "Benchmarks"). A batch is bounded
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
    """``ledger.save(*objs)``: the same steps, in one atomic save, without its two runtime
    protocol checks per object. On Python 3.11 an ``isinstance`` against a
    ``runtime_checkable`` protocol lists the protocol's members on every call, 11 us per
    unit (0.7 us a person-line of an import); an aggregate is known to be one here."""
    processing: ProcessingEvent[UUID] = ProcessingEvent()
    for obj in objs:
        if isinstance(obj, Aggregate):
            processing.events.extend(obj.collect_events())
            processing.aggregates[obj.id] = obj
        else:
            processing.collect_events(obj)  # anything else, as the library takes it
    # Application.save's own steps (eventsourcing 9.5), in its order.
    recordings = ledger._record(processing)
    ledger._take_snapshots(processing)
    ledger._notify(recordings)
    ledger.notify(processing.events)


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
