"""Replaying a policy set over the recorded facts, unit by unit.

For each unit of the region(s): its recorded events are read (in batches of units, one
query each), the facts among them are recorded again on a fresh unit through the use
cases (:mod:`ledger.replay.scratch`) with the reform documents in force at each point
of the stream (:mod:`ledger.replay.timeline`), the recorded decisions are set aside,
and both event lists become view rows (``rows_of``) from which the same figures are
computed (:mod:`ledger.replay.figures`). Only the unit in hand is ever held: memory
does not grow with the size of the region, except for the units that differ (the
report lists them).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder
from eventsourcing.sqlite import SQLiteAggregateRecorder

from ledger.catalogue.policyset import PolicySet
from ledger.domain.errors import LedgerError, NotFound
from ledger.domain.period import Period
from ledger.domain.region import Region
from ledger.domain.unit import Unit
from ledger.importing import bulkload
from ledger.measures.context import Context
from ledger.projections.journal import Movement, rows_of
from ledger.projections.store import region_prefix
from ledger.replay.figures import Figures, Flow, UnitResult, movements_of, unit_result
from ledger.replay.report import (
    Comparison,
    DocumentLine,
    MonthLine,
    Refusal,
    RegionLine,
    ReplayReport,
    UnitLine,
)
from ledger.replay.scratch import ScratchLedger
from ledger.replay.timeline import (
    Enactment,
    Moment,
    Recorded,
    Stages,
    recorded_documents,
    region_moments,
)
from ledger.usecases.base import LedgerBase

#: units read per query
BATCH = 500

#: progress(units done, units in all)
Progress = Callable[[int, int], None]


def run_replay(
    ledger: LedgerBase,
    policy_set: PolicySet,
    *,
    region: str | None = None,
    as_of: date,
    known_at: datetime | None = None,
    progress: Progress | None = None,
) -> ReplayReport:
    """The differences ``policy_set`` would have made to the record, as of ``as_of``,
    from the facts recorded by ``known_at`` (None: all of them). Reads only."""
    regions = _regions(ledger, region)
    recorded = recorded_documents(ledger, known_at)
    stages = Stages(policy_set, recorded)
    baseline_policies = ledger.policies_known_at(known_at)
    scratch = ScratchLedger()
    tally = _Tally()
    try:
        ids = {r.code: list(ledger.unit_ids_in(r.code)) for r in regions}
        total = sum(len(v) for v in ids.values())
        done = 0
        for home in regions:
            moments = region_moments(ledger, home.code, recorded, policy_set, known_at)
            scratch.start_region(home.code, home.name, home.parent)
            baseline_rate = baseline_policies.daily_rates(home.code)
            reform_rate = policy_set.daily_rates(home.code)
            for chunk in _chunks(ids[home.code], BATCH):
                for events in _histories(ledger, chunk):
                    known = [e for e in events if known_at is None or e.timestamp <= known_at]
                    if not known or not isinstance(known[0], Unit.Registered):
                        continue
                    first = known[0]
                    baseline = unit_result(_movements(known), as_of, baseline_rate)
                    produced, refusals = _replay_unit(scratch, stages, moments, home.code, known)
                    reform = unit_result(_movements(produced), as_of, reform_rate)
                    tally.add(first, baseline, reform, refusals)
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
    finally:
        scratch.close()
    return tally.report(
        policy_set, recorded, stages.initial(), region=region, as_of=as_of, known_at=known_at
    )


def _movements(events: Iterable[Any]) -> list[Movement]:
    """The movements ``rows_of`` maps the events to (both sides alike). An assessment's
    person lines are no figure of the report: they are left out before mapping, which
    halves the time of a replay (a row per person per month otherwise)."""
    found: list[Movement] = []
    for event in events:
        if isinstance(event, Unit.PeriodAssessed) and event.lines:
            event = copy.copy(event)
            object.__setattr__(event, "lines", [])
        found.extend(movements_of(rows_of(event)))
    return found


def _regions(ledger: LedgerBase, region: str | None) -> list[Region]:
    regions = sorted(ledger.regions(), key=lambda r: r.code)
    if region is None:
        return regions
    prefix = region_prefix(region)
    chosen = [r for r in regions if r.code.startswith(prefix)]
    if not chosen:
        raise NotFound(f"no pooling region registered under code {region}", field="region")
    return chosen


def _chunks(ids: Sequence[UUID], size: int) -> Iterator[Sequence[UUID]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


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


def _replay_unit(
    scratch: ScratchLedger,
    stages: Stages,
    moments: Sequence[Moment],
    code: str,
    events: Sequence[Any],
) -> tuple[list[Any], list[Refusal]]:
    """The unit's facts recorded again with the region's moments slotted in; returns the
    events produced and the facts the reform refused."""
    in_force = stages.initial()
    scratch.in_force = stages.policies(in_force)
    scratch.current = None
    scratch.set_fund_months(code, None, None)
    produced: list[Any] = []
    refusals: list[Refusal] = []
    pending = iter(moments)
    moment = next(pending, None)

    def collect() -> None:
        if scratch.current is not None:
            produced.extend(scratch.current.collect_events())

    def apply(m: Moment) -> None:
        nonlocal in_force
        if isinstance(m, Enactment):
            in_force = in_force | {m.document_id}
            scratch.in_force = stages.policies(in_force)
            scratch.decide_enactment(stages.reform.files[m.document_id], m.actor)
        else:
            scratch.set_fund_months(code, m.months, m.as_of)
            ctx = Context(
                m.actor.name,
                m.actor.reason,
                m.actor.request_id,
                m.as_of,
                f"FundMonthsDeclared {code} {m.months}",
            )
            scratch.decide_fund_months(m.months, ctx)
        collect()

    for event in events:
        while moment is not None and moment.at < event.timestamp:
            apply(moment)
            moment = next(pending, None)
        try:
            if scratch.refile(event):
                collect()
        except LedgerError as exc:
            refusals.append(Refusal(type(event).__name__, event.originator_version, exc.message))
            _roll_back(scratch, produced)
    while moment is not None:
        apply(moment)
        moment = next(pending, None)
    return produced, refusals


def _roll_back(scratch: ScratchLedger, produced: list[Any]) -> None:
    """A refused fact writes nothing: the unit goes back to the events kept so far."""
    unit: Any = None
    for event in produced:
        unit = event.mutate(unit)
    scratch.current = cast(Unit | None, unit)


@dataclass
class _Tally:
    """What the report keeps while the units stream by."""

    units: list[UnitLine] = field(default_factory=list)
    regions: dict[str, tuple[int, Figures, Figures]] = field(default_factory=dict)
    months: dict[Period, tuple[Flow, Flow]] = field(default_factory=dict)
    compared: int = 0

    def add(
        self,
        unit: Unit.Registered,
        baseline: UnitResult,
        reform: UnitResult,
        refusals: list[Refusal],
    ) -> None:
        self.compared += 1
        count, base, ref = self.regions.get(unit.region, (0, Figures(), Figures()))
        self.regions[unit.region] = (
            count + 1,
            base + baseline.figures,
            ref + reform.figures,
        )
        for month in baseline.months.keys() | reform.months.keys():
            b, r = self.months.get(month, (Flow(), Flow()))
            self.months[month] = (
                b + baseline.months.get(month, Flow()),
                r + reform.months.get(month, Flow()),
            )
        if (reform.figures - baseline.figures) or refusals:
            self.units.append(
                UnitLine(
                    unit.uscc,
                    unit.name,
                    unit.region,
                    Comparison(baseline.figures, reform.figures),
                    tuple(refusals),
                )
            )

    def report(
        self,
        reform: PolicySet,
        recorded: list[Recorded],
        initial: frozenset[str],
        *,
        region: str | None,
        as_of: date,
        known_at: datetime | None,
    ) -> ReplayReport:
        first = {r.document_id: r for r in recorded}
        documents = tuple(
            DocumentLine(
                d.id,
                d.number,
                d.version,
                "from the start" if d.id in initial else f"as recorded ({first[d.id].enacted_on})",
            )
            for d in sorted(reform.documents(), key=lambda d: d.id)
        )
        left_out = tuple(
            DocumentLine(r.document_id, r.number, r.version, "not in the policy set")
            for r in sorted(recorded, key=lambda r: r.document_id)
            if r.document_id not in reform
        )
        regions = tuple(
            RegionLine(code, count, Comparison(base, ref))
            for code, (count, base, ref) in sorted(self.regions.items())
        )
        total = Comparison(
            sum((r.comparison.baseline for r in regions), Figures()),
            sum((r.comparison.reform for r in regions), Figures()),
        )
        return ReplayReport(
            region=region or "",
            as_of=as_of,
            known_at=known_at,
            documents=documents + left_out,
            units_compared=self.compared,
            units=tuple(sorted(self.units, key=lambda u: u.uscc)),
            regions=regions,
            total=total,
            months=tuple(MonthLine(m, b, r) for m, (b, r) in sorted(self.months.items())),
        )
