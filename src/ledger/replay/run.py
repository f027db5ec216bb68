"""Replaying a policy set over the recorded facts, unit by unit, in proportion to what
changes.

First the reform is compared with the record document by document
(:mod:`ledger.replay.scope`). Then for each unit of the region(s): its recorded events
are read (in batches of units, one query each) and mapped to the record's figures; a
unit the changes do not reach is carried over (the reform's figures are the record's);
a unit they reach is replayed from the first fact they reach (:mod:`ledger.replay.units`)
with the reform documents in force at each point of the stream
(:mod:`ledger.replay.timeline`), and both sides' figures are computed by the same
functions (:mod:`ledger.replay.figures`). ``full=True`` replays every unit from its
registration and recomputes every assessment: the reference the scoped replay is tested
against.

Batches of units go to worker processes (:mod:`ledger.replay.workers`); their tallies
are exact sums, so any number of workers gives the same report. Only the units in hand
are ever held: memory does not grow with the size of the region, except for the units
that differ (the report lists them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder
from eventsourcing.sqlite import SQLiteAggregateRecorder

from ledger.catalogue.model import CatalogueFile
from ledger.catalogue.policyset import PolicySet
from ledger.domain.errors import NotFound
from ledger.domain.latefee import DailyRates
from ledger.domain.region import Region
from ledger.domain.unit import Unit
from ledger.importing import bulkload
from ledger.projections.store import region_prefix
from ledger.replay.figures import unit_result
from ledger.replay.report import ReplayReport
from ledger.replay.scope import Scope, Span, compare
from ledger.replay.scratch import ScratchLedger
from ledger.replay.tally import Tally
from ledger.replay.timeline import Moment, Recorded, Stages, recorded_documents, region_moments
from ledger.replay.units import (
    alike,
    event_movements,
    movements,
    replay_unit,
    start_of_change,
)
from ledger.usecases.base import LedgerBase

#: units read per query (and handed to a worker at a time)
BATCH = 500

#: progress(units done, units in all)
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class RegionPlan:
    """What every unit of a region shares: its moments, both sides' late-fee rates and
    the spans of the changes that reach it."""

    code: str
    name: str
    parent: str
    moments: tuple[Moment, ...]
    baseline_rate: DailyRates
    reform_rate: DailyRates
    spans: tuple[Span, ...]


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything a replay of a batch of units needs besides the store (picklable: a
    worker process gets it once)."""

    files: tuple[CatalogueFile, ...]
    revoked: dict[str, date]
    recorded: tuple[Recorded, ...]
    scope: Scope
    as_of: date
    known_at: datetime | None
    regions: dict[str, RegionPlan]


@dataclass(frozen=True, slots=True)
class Counted:
    """What a batch did besides its tally: units replayed (the others carried over)."""

    tally: Tally
    replayed: int


def run_replay(
    ledger: LedgerBase,
    policy_set: PolicySet,
    *,
    region: str | None = None,
    as_of: date,
    known_at: datetime | None = None,
    progress: Progress | None = None,
    full: bool = False,
    workers: int = 1,
    batch: int | None = None,
    counted: Callable[[int, int], None] | None = None,
) -> ReplayReport:
    """The differences ``policy_set`` would have made to the record, as of ``as_of``,
    from the facts recorded by ``known_at`` (None: all of them). Reads only.

    ``full``: replay every unit whole (the scope is the reference's only shortcut);
    ``workers``: processes to spread the batches over (1: this process; a store held in
    memory is always replayed here); ``batch``: units per query and per task (default:
    ``BATCH``, fewer where the workers would otherwise get less than four batches each).
    ``counted(units compared, units replayed)`` is told at the end how much was replayed
    rather than carried over."""
    regions = _regions(ledger, region)
    recorded = recorded_documents(ledger, known_at)
    scope = Scope.everything() if full else compare(ledger, policy_set, known_at)
    baseline_policies = ledger.policies_known_at(known_at)
    plan = Plan(
        files=tuple(policy_set.files.values()),
        revoked=dict(policy_set.revoked),
        recorded=tuple(recorded),
        scope=scope,
        as_of=as_of,
        known_at=known_at,
        regions={
            r.code: RegionPlan(
                r.code,
                r.name,
                r.parent,
                tuple(region_moments(ledger, r.code, recorded, policy_set, known_at)),
                baseline_policies.daily_rates(r.code),
                policy_set.daily_rates(r.code),
                scope.of_region(r.code),
            )
            for r in regions
        },
    )
    ids = {r.code: list(ledger.unit_ids_in(r.code)) for r in regions}
    size = batch or _batch_size(sum(len(v) for v in ids.values()), workers)
    batches = [(code, chunk) for code, of in ids.items() for chunk in _chunks(of, size)]
    total = sum(len(ids) for _, ids in batches)
    tally = Tally()
    done = replayed = 0

    def add(part: Counted, units: int) -> None:
        nonlocal done, replayed
        tally.merge(part.tally)
        replayed += part.replayed
        done += units
        if progress is not None:
            progress(done, total)

    from ledger.replay import workers as pool

    if min(workers, len(batches)) > 1 and pool.shareable(ledger):
        pool.run_in_workers(ledger, plan, batches, min(workers, len(batches)), add)
    else:
        replayer = Replayer(ledger, plan)
        try:
            for code, chunk in batches:
                add(replayer.run(code, chunk), len(chunk))
        finally:
            replayer.close()
    if counted is not None:
        counted(tally.compared, replayed)
    return tally.report(
        policy_set,
        recorded,
        Stages(policy_set, recorded).initial(),
        region=region,
        as_of=as_of,
        known_at=known_at,
    )


class Replayer:
    """Replays batches of units of a plan on one ledger (one per process)."""

    def __init__(self, ledger: LedgerBase, plan: Plan) -> None:
        self.ledger = ledger
        self.plan = plan
        reform = PolicySet(list(plan.files), plan.revoked)
        self.stages = Stages(reform, plan.recorded)
        self.scratch = ScratchLedger()
        self.scratch.reuse = not plan.scope.full
        self.scratch.changed = frozenset(plan.scope.changed)

    def close(self) -> None:
        self.scratch.close()

    def run(self, code: str, ids: Sequence[UUID]) -> Counted:
        plan, home = self.plan, self.plan.regions[code]
        changed = frozenset(plan.scope.changed)
        self.scratch.start_region(home.code, home.name, home.parent)
        tally, replayed = Tally(), 0
        same_rates = home.reform_rate == home.baseline_rate
        for events in _histories(self.ledger, ids):
            known = [e for e in events if plan.known_at is None or e.timestamp <= plan.known_at]
            if not known or not isinstance(known[0], Unit.Registered):
                continue
            moves = [event_movements(e) for e in known]
            baseline = unit_result([m for ms in moves for m in ms], plan.as_of, home.baseline_rate)
            if plan.scope.full:
                start = None
            else:
                start = start_of_change(known, home.moments, home.spans, changed)
                if start is None:
                    # Not reached by any change: the reform's figures are the record's.
                    tally.add(known[0], baseline, baseline, [])
                    continue
            produced, kept, refusals = replay_unit(
                self.scratch, self.stages, home.moments, code, known, start
            )
            replayed += 1
            if not plan.scope.full and same_rates and alike(produced[kept:], known[kept:]):
                # Replayed and found to decide exactly as recorded: the record's figures.
                tally.add(known[0], baseline, baseline, refusals)
                continue
            carried = [m for ms in moves[:kept] for m in ms]
            reform = unit_result(carried + movements(produced[kept:]), plan.as_of, home.reform_rate)
            tally.add(known[0], baseline, reform, refusals)
        return Counted(tally, replayed)


def _regions(ledger: LedgerBase, region: str | None) -> list[Region]:
    regions = sorted(ledger.regions(), key=lambda r: r.code)
    if region is None:
        return regions
    prefix = region_prefix(region)
    chosen = [r for r in regions if r.code.startswith(prefix)]
    if not chosen:
        raise NotFound(f"no pooling region registered under code {region}", field="region")
    return chosen


def _batch_size(units: int, workers: int) -> int:
    """``BATCH`` units, or fewer so that each worker gets four batches or more (a small
    region is then spread too), never under 50 (a query per batch)."""
    if workers <= 1:
        return BATCH
    return max(50, min(BATCH, units // (4 * workers)))


def _chunks(ids: Sequence[UUID], size: int) -> Iterator[list[UUID]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def _histories(ledger: LedgerBase, ids: Sequence[UUID]) -> Iterator[list[Any]]:
    """Each unit's recorded events, in version order, one query for the chunk."""
    recorder = ledger.recorder
    rows: Iterable[bulkload.Row]
    if isinstance(recorder, PostgresAggregateRecorder):
        rows = bulkload._postgres_rows(recorder, ids)
    elif isinstance(recorder, SQLiteAggregateRecorder):
        rows = bulkload._sqlite_rows(recorder, ids)
    else:
        for uid in ids:
            yield list(ledger.events.get(uid))
        return
    to_domain_event = ledger.mapper.to_domain_event
    current: list[Any] = []
    current_id: Any = None
    for originator_id, version, topic, state in rows:
        if originator_id != current_id:
            if current:
                yield current
            current, current_id = [], originator_id
        current.append(to_domain_event(StoredEvent(originator_id, version, topic, state)))
    if current:
        yield current
