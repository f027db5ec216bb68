"""Replaying a policy set over the recorded facts, unit by unit, in proportion to what
changes.

First the reform is compared with the record document by document
(:mod:`ledger.replay.scope`). Then for each unit of the region(s): its recorded events
are read (in batches of units, one query each) and mapped to the record's figures; a
unit the changes do not reach is carried over (the reform's figures are the record's);
a unit they reach is replayed from the first fact they reach (:mod:`ledger.replay.units`)
with the reform documents in force at each point of the stream
(:mod:`ledger.replay.timeline`), and both sides' figures are computed by the same
functions (:mod:`ledger.replay.figures`); a batch of units is
:mod:`ledger.replay.replayer`'s. ``full=True`` replays every unit from its registration
and recomputes every assessment: the reference the scoped replay is tested against.

Batches of units go to worker processes (:mod:`ledger.replay.workers`); their tallies
are exact sums, so any number of workers gives the same report. Only the units in hand
are ever held: memory does not grow with the size of the region, except for the units
that differ (the report lists them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from uuid import UUID

from ledger.catalogue.policyset import PolicySet
from ledger.domain.errors import NotFound
from ledger.domain.region import Region
from ledger.projections.store import region_prefix
from ledger.replay import workers as pool
from ledger.replay.replayer import Counted, Plan, RegionPlan, Replayer
from ledger.replay.report import ReplayReport
from ledger.replay.scope import Scope, compare
from ledger.replay.tally import Tally
from ledger.replay.timeline import Stages, recorded_documents, region_moments
from ledger.usecases.base import LedgerBase

#: units read per query (and handed to a worker at a time)
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
                scope.cited_in(r.code),
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
