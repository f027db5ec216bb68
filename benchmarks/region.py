"""Setting up a synthetic region in a ledger fast: not part of what is measured.

Registering 300,000 units through ``Ledger.register_unit`` costs one save (and a
table lock) each. Here the same events are made by the same domain code
(``Unit.register``, the region's unit log, the deferral decision the use case
takes on registration) and saved a few thousand units per ``save()``.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from eventsourcing.application import EventSourcedLog
from eventsourcing.domain import Aggregate

from ledger.application import Actor, Ledger
from ledger.catalogue.loader import load_default_catalogue
from ledger.domain.identifiers import parse_uscc, uscc_has_valid_check
from ledger.domain.region import UnitIndexed, region_units_log_id, unit_id
from ledger.domain.unit import Unit
from ledger.measures import automatic_deferral
from ledger.measures.context import Context

SETUP = Actor("benchmark-setup", "synthetic region", "bench-setup")


def prepare_ledger(ledger: Ledger, region: str, name: str, fund_months: int) -> None:
    """The packaged catalogue enacted, the region registered, its fund months declared."""
    for file in load_default_catalogue():
        ledger.enact_policy(file, SETUP)
    ledger.register_region(region, name, "", SETUP)
    ledger.declare_fund_months(region, fund_months, date(2024, 1, 1), SETUP)


def register_units(
    ledger: Ledger,
    units_csv: Path,
    per_save: int = 2_000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Registers every unit of a ``generate.py`` registration file; returns how many."""
    policies = ledger.policies()
    logs: dict[str, tuple[EventSourcedLog[Any], int]] = {}
    months: dict[str, int | None] = {}
    pending: list[Any] = []
    count = 0
    with units_csv.open(encoding="utf-8", newline="") as file:
        for row in csv.DictReader(file):
            region = row["region"]
            if region not in logs:
                log = EventSourcedLog(ledger.events, region_units_log_id(region), UnitIndexed)
                last = log.get_last()
                logs[region] = (log, last.originator_version if last else 0)
                months[region] = ledger.region(region).fund_months
            log, version = logs[region]
            uscc = parse_uscc(row["uscc"])
            established = date.fromisoformat(row["established_on"])
            unit = Unit.register(
                unit_id(uscc),
                uscc=uscc,
                uscc_check_overridden=not uscc_has_valid_check(uscc),
                name=row["name"],
                unit_type=row["unit_type"],
                region=region,
                agency=row["agency"],
                unit_number=row["unit_number"],
                established_on=established,
                **SETUP.meta(),
            )
            ctx = Context(SETUP.name, SETUP.reason, SETUP.request_id, established, "setup")
            automatic_deferral.consider(unit, policies, months[region], ctx)
            entry = log.trigger_event(
                unit_id=unit.id, uscc=uscc, next_originator_version=version + 1
            )
            logs[region] = (log, version + 1)
            pending += [unit, entry]
            count += 1
            if len(pending) >= 2 * per_save:
                _save(ledger, pending, progress)
    _save(ledger, pending, progress)
    return count


def _save(ledger: Ledger, pending: list[Any], progress: Callable[[int], None] | None) -> None:
    if pending:
        ledger.save(*pending)
        if progress is not None:
            progress(sum(1 for obj in pending if isinstance(obj, Aggregate)))
        pending.clear()
