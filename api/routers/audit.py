"""The audit trail: every event of a unit, or naming a person, in recorded order.

Each line: when it was recorded, by whom, why, under which request, and for a
decision the policy applied and the fact that caused it. A case worker reads the
trails of their agency's units; a person's trail shows them the events of their
agency's units only. Inspectors and administrators read every trail.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ledger.api.deps import (
    AS_OF_HELP,
    KNOWN_AT_HELP,
    ReadableUnit,
    Reader,
    Views,
    agency_scope,
)
from ledger.api.routers import READ_PROBLEMS
from ledger.api.schemas.persons import PersonTrailQuery
from ledger.api.schemas.types import DATE_PATTERN
from ledger.api.schemas.views import AuditLineOut, AuditTrail
from ledger.clocks import business_date, instant
from ledger.domain.identifiers import parse_resident_id
from ledger.projections.audit import AuditLine, person_trail, unit_trail
from ledger.projections.journal import UnitRegistered
from ledger.projections.rights import units_by_id
from ledger.projections.store import ViewStore

router = APIRouter(tags=["audit"], responses=READ_PROBLEMS)

INSTANT_HELP = "ISO 8601 date-time (naive = China Standard Time) or a date"


@router.get("/units/{uscc}/audit-trail", response_model=AuditTrail, summary="A unit's audit trail")
async def unit_audit_trail(
    unit: ReadableUnit,
    kind: Annotated[
        list[str] | None,
        Query(max_length=50, description="event types, repeatable: PaymentCollected"),
    ] = None,
    since: Annotated[
        str | None, Query(max_length=40, description=f"recorded at or after; {INSTANT_HELP}")
    ] = None,
    until: Annotated[
        str | None, Query(max_length=40, description=f"recorded at or before; {INSTANT_HELP}")
    ] = None,
    as_of: Annotated[
        str | None,
        Query(pattern=DATE_PATTERN, description=f"{AS_OF_HELP}; default: every date"),
    ] = None,
    known_at: Annotated[str | None, Query(max_length=40, description=KNOWN_AT_HELP)] = None,
) -> AuditTrail:
    on = business_date(as_of, "as_of") if as_of else None
    known, first, last = instant(known_at), instant(since, "since"), instant(until, "until")

    def view(store: ViewStore, found: UnitRegistered) -> AuditTrail:
        trail = unit_trail(
            store, found.uscc, as_of=on, known_at=known, kinds=kind, since=first, until=last
        )
        return AuditTrail(subject=found.uscc, lines=[_line(line) for line in trail])

    return await unit.run(view)


@router.post(
    "/persons/audit-trail", response_model=AuditTrail, summary="A person's audit trail (a read)"
)
def person_audit_trail(body: PersonTrailQuery, principal: Reader, views: Views) -> AuditTrail:
    """Every event naming the person (joined, base changed, left, a deferred part called
    due for them) and every assessment with a line for them. A POST that records nothing
    (no Idempotency-Key): the resident ID travels in the body, never in a URL."""
    rid = parse_resident_id(body.resident_id)
    trail = person_trail(
        views.store,
        rid,
        as_of=body.as_of,
        known_at=instant(body.known_at),
        kinds=body.kinds,
    )
    agency = agency_scope(principal)
    if agency is not None:
        units = units_by_id(views.store, {line.entry.originator_id for line in trail}, None)
        trail = [
            line
            for line in trail
            if (u := units.get(line.entry.originator_id)) is not None and u.agency == agency
        ]
    return AuditTrail(subject=rid, lines=[_line(line) for line in trail])


def _line(line: AuditLine) -> AuditLineOut:
    e = line.entry
    return AuditLineOut(
        recorded_at=e.recorded_at,
        on=line.on,
        originator_id=str(e.originator_id),
        version=e.version,
        type=e.type,
        actor=e.actor,
        reason=e.reason,
        request_id=e.request_id,
        document=e.document,
        policy=e.policy,
        caused_by=e.caused_by,
        detail=e.detail,
    )
