"""One unit replayed: from where the reform first reaches it, its facts recorded again.

:func:`start_of_change` finds the instant from which a unit's history may differ under
the reform (:mod:`ledger.replay.scope` says why the events before it stand as
recorded); :func:`replay_unit` carries those events over, puts the reform documents
and fund months in force at that instant, and records the facts from there on through
the use cases (:mod:`ledger.replay.scratch`), the region's moments slotted in.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from ledger.domain.errors import LedgerError
from ledger.domain.unit import Unit
from ledger.measures.context import Context
from ledger.projections.journal import Movement, unit_rows
from ledger.replay.figures import movements_of
from ledger.replay.report import Refusal
from ledger.replay.scope import Span, first_reached
from ledger.replay.scratch import ScratchLedger, is_fact
from ledger.replay.timeline import Enactment, Moment, Stages


def event_movements(event: Any) -> list[Movement]:
    """The movements ``rows_of`` maps an event to (both sides alike), without the audit
    entry ``rows_of`` adds to them (no figure of the report; a third of the mapping's
    time). An assessment's person lines are no figure either: they are left out before
    mapping, which halves the time of a replay (a row per person per month otherwise)."""
    if not isinstance(event, Unit.Event):
        return []  # a unit's stream holds unit events only; rows_of maps nothing else
    if isinstance(event, Unit.PeriodAssessed) and event.lines:
        event = copy.copy(event)
        object.__setattr__(event, "lines", [])
    return movements_of(unit_rows(event))


def movements(events: Iterable[Any]) -> list[Movement]:
    return [m for event in events for m in event_movements(event)]


def alike(produced: Sequence[Any], recorded: Sequence[Any]) -> bool:
    """Whether the replay made the very events the record holds, but for the instant they
    were made: then both sides' movements are the same in the same order (each side's
    instants grow with its versions), and so are the figures, which need not be computed
    twice. Anything else (another event, another amount, a refusal) is not alike."""
    if len(produced) != len(recorded):
        return False
    for mine, theirs in zip(produced, recorded, strict=True):
        if type(mine) is not type(theirs):
            return False
        a, b = dict(vars(mine)), dict(vars(theirs))
        a.pop("timestamp", None)
        b.pop("timestamp", None)
        if a != b:
            return False
    return True


def start_of_change(
    events: Sequence[Any],
    moments: Sequence[Moment],
    spans: Sequence[Span],
    enacting: frozenset[str],
    cited: frozenset[str] = frozenset(),
) -> datetime | None:
    """The instant from which the unit may differ: the first fact that names a day or
    period a span covers (or whose decisions do, or that is followed by a decision naming
    a ``cited`` document), or the first moment after the unit's registration that enacts
    a document of ``enacting`` or declares fund months on a day a span covers; None:
    nothing of the unit is reached."""
    start: datetime | None = None
    reached = first_reached(events, spans, cited)
    if reached is not None:
        fact = max(n for n in range(reached + 1) if is_fact(events[n]))
        start = events[fact].timestamp
    born = events[0].timestamp
    for m in moments:
        if m.at <= born:
            continue
        if start is not None and m.at >= start:
            break
        if isinstance(m, Enactment):
            if m.document_id in enacting:
                return m.at
        elif any(s.meets(m.as_of, m.as_of) for s in spans):
            return m.at
    return start


def replay_unit(
    scratch: ScratchLedger,
    stages: Stages,
    moments: Sequence[Moment],
    code: str,
    events: Sequence[Any],
    start: datetime | None,
) -> tuple[list[Any], int, list[Refusal]]:
    """The unit's facts from ``start`` (None: all of them) recorded again, the region's
    moments slotted in. Returns the unit's events under the reform (the first ``kept``
    are the record's own, carried over) and the facts the reform refused."""
    kept = 0 if start is None else sum(1 for e in events if e.timestamp < start)
    in_force = stages.initial()
    months: tuple[int | None, Any] = (None, None)
    pending = iter(moments)
    moment = next(pending, None)
    while moment is not None and start is not None and moment.at < start:
        # Before the change: the moment's decisions are among the events carried over.
        if isinstance(moment, Enactment):
            in_force = in_force | {moment.document_id}
        else:
            months = (moment.months, moment.as_of)
        moment = next(pending, None)
    scratch.in_force = stages.policies(in_force)
    scratch.set_fund_months(code, *months)
    produced: list[Any] = list(events[:kept])
    _roll_back(scratch, produced)
    refusals: list[Refusal] = []

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

    for event in events[kept:]:
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
    return produced, kept, refusals


def _roll_back(scratch: ScratchLedger, produced: list[Any]) -> None:
    """The unit as the events kept so far make it (a refused fact writes nothing)."""
    unit: Any = None
    for event in produced:
        unit = event.mutate(unit)
    scratch.current = cast(Unit | None, unit)
