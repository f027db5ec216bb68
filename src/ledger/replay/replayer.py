"""The replay of a batch of units, as one process does it (this one, or a worker).

A :class:`Plan` holds what every batch needs besides the store (picklable, so a worker
process gets it once); a :class:`Replayer` reads a batch's histories (one query), maps
the record's events to its figures, carries over the units the changes do not reach,
replays the others from their cut (:mod:`ledger.replay.units`) and tallies both sides.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder
from eventsourcing.sqlite import SQLiteAggregateRecorder

from ledger.catalogue.model import CatalogueFile
from ledger.catalogue.policyset import PolicySet
from ledger.domain.latefee import DailyRates
from ledger.domain.unit import Unit
from ledger.importing import bulkload
from ledger.replay.figures import unit_result
from ledger.replay.scope import Scope, Span
from ledger.replay.scratch import ScratchLedger
from ledger.replay.tally import Tally
from ledger.replay.timeline import Moment, Recorded, Stages
from ledger.replay.units import (
    alike,
    event_movements,
    movements,
    replay_unit,
    start_of_change,
)
from ledger.usecases.base import LedgerBase


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
    cited: frozenset[str]


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
        enacting = plan.scope.enacting
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
                start = start_of_change(known, home.moments, home.spans, enacting, home.cited)
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
