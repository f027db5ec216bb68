"""A person's rights record (个人权益记录): every insured month, across units.

A case worker sees the months of their own agency's units (the others are counted in
``withheld_months``, not shown), and 404 for a person never insured in them (so that
no desk can look up anyone's insurance); inspectors and administrators see every
month. The run of continuous months is the person's, over every unit: the desk serving
them prints it.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from ledger.api.deps import Reader, Views, agency_scope
from ledger.api.jsonbody import JSONRoute
from ledger.api.reporting import FILES, FormatQuery, HeadersQuery, respond
from ledger.api.routers import READ_PROBLEMS
from ledger.api.schemas.persons import PersonQuery
from ledger.api.schemas.views import RightsRecordOut
from ledger.clocks import instant
from ledger.reports import RIGHTS, Query

router = APIRouter(
    route_class=JSONRoute, prefix="/persons", tags=["rights"], responses=READ_PROBLEMS
)


@router.post(
    "/rights-record",
    response_model=RightsRecordOut,
    responses=FILES,
    summary="A person's rights record (a read)",
    operation_id="read_person_rights_record",
)
def person_rights(
    body: PersonQuery,
    principal: Reader,
    views: Views,
    format: FormatQuery = "json",
    headers: HeadersQuery = "zh",
) -> Response:
    """Per month: base, the individual and unit parts and whether each is paid, the
    reduction, arrears, and the amount credited to the personal account (withheld while
    the unit part is deferred, credited on repayment). A POST that records nothing (no
    Idempotency-Key): the resident ID travels in the body, never in a URL."""
    query = Query(
        as_of=body.as_of,
        known_at=instant(body.known_at),
        subject=body.resident_id,
        agency=agency_scope(principal),
    )
    return respond(RIGHTS.run(views, query), format, headers)
