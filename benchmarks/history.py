"""A synthetic multi-year history, written fast: the read side's benchmark input.

Units of ``benchmarks.generate`` (same sizes, USCCs and resident IDs) in Chifeng
(150400), each assessed every month from ``first`` on and paying on the 10th of
the next month (one in twenty pays a month late, so late fees exist), with the
decisions the ledger takes on the way (the 2022 deferral of Inner Mongolia for the
units it applies to). The events are made by the ledger's own code
(``Unit.register``, ``Ledger.record_assessment``, ``Ledger.record_payment``) and
saved a few thousand events per ``save()``: a unit's whole history is recorded in
memory and written with one table lock, which is what makes three years of
20,000 units a matter of minutes instead of hours of one save per command.
(Not tens of thousands per save: one ``save()`` of ~15,000 events, some 35 MB,
never returns, on the library's recorder as on the importer's; psycopg's
pipeline and the server both end up waiting to read.)
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from eventsourcing.application import EventSourcedLog

from benchmarks import generate
from benchmarks.region import prepare_ledger
from ledger.application import Actor, Ledger
from ledger.domain.errors import NotFound
from ledger.domain.identifiers import uscc_has_valid_check
from ledger.domain.money import ZERO
from ledger.domain.period import Period
from ledger.domain.region import UnitIndexed, region_units_log_id, unit_id
from ledger.domain.unit import Unit
from ledger.measures import automatic_deferral
from ledger.measures.context import Context

ACTOR = Actor("benchmark-history", "synthetic history", "bench-history")
FIRST = Period(2022, 1)
#: a tenth of the units are found small in July 2022: the 2022 deferral applies to them
CLASSIFIED_IN = Period(2022, 7)
CLASSIFIED_SHARE = 0.1


@dataclass(slots=True)
class Built:
    units: int = 0
    months: int = 0
    events: int = 0
    person_lines: int = 0


def build_history(
    ledger: Ledger,
    *,
    units: int,
    months: int,
    seed: int = 20240501,
    first: Period = FIRST,
    per_save: int = 4_000,
    progress: Callable[[int], None] | None = None,
) -> Built:
    """Records ``units`` x ``months`` of assessments and payments, saving about
    ``per_save`` events at a time; ``progress`` gets the units saved."""
    try:
        ledger.region(generate.REGION)
    except NotFound:  # a fresh ledger: the catalogue, the region and its fund
        prepare_ledger(ledger, generate.REGION, generate.REGION_NAME, fund_months=12)
    policies = ledger.policies()
    fund_months = ledger.region(generate.REGION).fund_months
    log = EventSourcedLog(ledger.events, region_units_log_id(generate.REGION), UnitIndexed)
    last = log.get_last()
    version = last.originator_version if last else 0
    rng = random.Random(seed + 1)
    built = Built(units=units, months=months)
    person = 0
    pending: list[Any] = []
    pending_events = 0
    for index, synthetic in enumerate(generate.units(units, seed)):
        unit = _register(synthetic, index, policies, fund_months)
        members = []
        for _ in range(synthetic.persons):
            members.append((generate.resident_id_of(person), Decimal(generate.base_text(rng))))
            person += 1
        for month in range(months):
            period = first + month
            ledger.record_assessment(
                unit,
                period,
                members,
                date(period.year, period.month, 5),
                ACTOR,
                policies=policies,
                fund_months=fund_months,
            )
            if period == CLASSIFIED_IN and rng.random() < CLASSIFIED_SHARE:
                _classify_small(unit, policies, fund_months)
            late = rng.random() < 0.05
            paid = (period + (2 if late else 1)).first_day.replace(day=10)
            # What is due: a deferred unit part waits for its deadline.
            total = sum((i.outstanding - i.deferred_open for i in unit.items_of(period)), ZERO)
            ledger.record_payment(unit, paid, total, None, ACTOR)
        built.person_lines += synthetic.persons * months
        version += 1
        entry = log.trigger_event(unit_id=unit.id, uscc=unit.uscc, next_originator_version=version)
        pending += [unit, entry]
        pending_events += len(unit.pending_events) + 1
        if pending_events >= per_save:
            built.events += _save(ledger, pending, progress)
            pending_events = 0
    built.events += _save(ledger, pending, progress)
    return built


def _register(
    synthetic: generate.SyntheticUnit, index: int, policies: Any, fund_months: int | None
) -> Unit:
    # The same events as Ledger.register_unit, without its save (see benchmarks/region.py).
    uscc = synthetic.uscc
    unit = Unit.register(
        unit_id(uscc),
        uscc=uscc,
        uscc_check_overridden=not uscc_has_valid_check(uscc),
        name=synthetic.name,
        unit_type=synthetic.unit_type,
        region=generate.REGION,
        agency=generate.AGENCY,
        unit_number=f"U{index:07d}",
        established_on=synthetic.established_on,
        **ACTOR.meta(),
    )
    ctx = Context(ACTOR.name, ACTOR.reason, ACTOR.request_id, synthetic.established_on, "setup")
    automatic_deferral.consider(unit, policies, fund_months, ctx)
    return unit


def _classify_small(unit: Unit, policies: Any, fund_months: int | None) -> None:
    # As Ledger.classify_unit records it: the fact, then the deferral it may decide.
    on = date(2022, 7, 20)
    unit.trigger_event(
        Unit.Classified,
        size_class="small",
        industry="retail",
        source="data",
        classified_on=on,
        **ACTOR.meta(),
    )
    ctx = Context(
        ACTOR.name, ACTOR.reason, ACTOR.request_id, on, f"Classified small (v{unit.version})"
    )
    automatic_deferral.consider(unit, policies, fund_months, ctx)


def _save(ledger: Ledger, pending: list[Any], progress: Callable[[int], None] | None) -> int:
    """Saves the pending units and log entries; returns the number of events written."""
    if not pending:
        return 0
    units = [obj for obj in pending if isinstance(obj, Unit)]
    events = sum(len(u.pending_events) for u in units) + len(pending) - len(units)
    ledger.save(*pending)
    if progress is not None:
        progress(len(units))
    pending.clear()
    return events
