"""The audit trail: every event of a unit, or naming a person, in recorded order.

Each line: when it was recorded, by whom, why, under which request, and for a
decision the policy applied and the fact that caused it. A case worker reads the
trails of their agency's units; a person's trail shows them the events of their
agency's units only. Inspectors and administrators read every trail.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from ledger.api.deps import ReadableUnit, Reader, Views, agency_scope
from ledger.api.jsonbody import JSONRoute
from ledger.api.reporting import FILES, FormatQuery, HeadersQuery, respond
from ledger.api.routers import READ_PROBLEMS
from ledger.api.schemas.persons import PersonTrailQuery
from ledger.api.schemas.types import DATE_PATTERN, EventKind
from ledger.api.schemas.views import AuditTrail
from ledger.clocks import instant
from ledger.projections.journal import UnitRegistered
from ledger.projections.store import ViewStore
from ledger.reports import FILTERS, PERSON_TRAIL, UNIT_TRAIL, Table, ViewsAndPolicies
from ledger.reports import Query as ReportQuery

router = APIRouter(route_class=JSONRoute, tags=["audit"], responses=READ_PROBLEMS)

INSTANT_HELP = "ISO 8601 date-time (naive = China Standard Time) or a date"


@router.get(
    "/units/{uscc}/audit-trail",
    response_model=AuditTrail,
    responses=FILES,
    summary="A unit's audit trail",
    operation_id="read_unit_audit_trail",
)
async def unit_audit_trail(
    unit: ReadableUnit,
    kind: Annotated[
        list[EventKind] | None, Query(max_length=50, description=FILTERS["kind"].en)
    ] = None,
    since: Annotated[
        str | None, Query(max_length=40, description=f"recorded at or after; {INSTANT_HELP}")
    ] = None,
    until: Annotated[
        str | None, Query(max_length=40, description=f"recorded at or before; {INSTANT_HELP}")
    ] = None,
    as_of: Annotated[
        str | None,
        Query(pattern=DATE_PATTERN, description=f"{FILTERS['as_of'].en}; default: every date"),
    ] = None,
    known_at: Annotated[
        str | None, Query(max_length=40, description=FILTERS["known_at"].en)
    ] = None,
    format: FormatQuery = "json",
    headers: HeadersQuery = "zh",
) -> Response:
    query = ReportQuery.parse(as_of=as_of, known_at=known_at, since=since, until=until, kinds=kind)

    def view(store: ViewStore, found: UnitRegistered) -> Table:
        reads = ViewsAndPolicies(store, unit.side.policies)
        return UNIT_TRAIL.run(reads, replace(query, subject=found.uscc))

    return respond(await unit.run(view), format, headers)


@router.post(
    "/persons/audit-trail",
    response_model=AuditTrail,
    responses=FILES,
    summary="A person's audit trail (a read)",
    operation_id="read_person_audit_trail",
)
def person_audit_trail(
    body: PersonTrailQuery,
    principal: Reader,
    views: Views,
    format: FormatQuery = "json",
    headers: HeadersQuery = "zh",
) -> Response:
    """Every event naming the person (joined, base changed, left, a deferred part called
    due for them) and every assessment with a line for them. A POST that records nothing
    (no Idempotency-Key): the resident ID travels in the body, never in a URL."""
    query = ReportQuery(
        as_of=body.as_of,
        known_at=instant(body.known_at),
        kinds=body.kinds,
        subject=body.resident_id,
        agency=agency_scope(principal),
    )
    return respond(PERSON_TRAIL.run(views, query), format, headers)
