"""A person's rights record (个人权益记录): every insured month, across units.

A case worker sees the months of their own agency's units (the others are counted in
``withheld_months``, not shown), and 404 for a person never insured in them (so that
no desk can look up anyone's insurance); inspectors and administrators see every
month. The run of continuous months is the person's, over every unit: the desk serving
them prints it.
"""

from __future__ import annotations

from fastapi import APIRouter

from ledger.api.deps import Reader, Views, agency_scope
from ledger.api.routers import READ_PROBLEMS
from ledger.api.schemas.persons import PersonQuery
from ledger.api.schemas.views import RightsMonthOut, RightsRecordOut
from ledger.clocks import business_date, instant
from ledger.domain.errors import NotFound
from ledger.domain.identifiers import mask_resident_id, parse_resident_id
from ledger.projections.rights import rights_record

router = APIRouter(prefix="/persons", tags=["rights"], responses=READ_PROBLEMS)


@router.post(
    "/rights-record", response_model=RightsRecordOut, summary="A person's rights record (a read)"
)
def person_rights(body: PersonQuery, principal: Reader, views: Views) -> RightsRecordOut:
    """Per month: base, the individual and unit parts and whether each is paid, the
    reduction, arrears, and the amount credited to the personal account (withheld while
    the unit part is deferred, credited on repayment). A POST that records nothing (no
    Idempotency-Key): the resident ID travels in the body, never in a URL."""
    rid = parse_resident_id(body.resident_id)
    record = rights_record(
        views.store,
        rid,
        as_of=body.as_of or business_date(None),
        known_at=instant(body.known_at),
        policies=views.policies(instant(body.known_at)),
    )
    months = record.months
    agency = agency_scope(principal)
    if agency is not None:
        agencies = {
            uscc: unit.agency
            for uscc in {m.uscc for m in months}
            if (unit := views.store.unit_by_uscc(uscc)) is not None
        }
        months = [m for m in months if agencies.get(m.uscc) == agency]
        if not months:
            # Not whether, nor how long, the person is insured elsewhere.
            raise NotFound(
                f"no insured month of {mask_resident_id(rid)} in agency {agency}'s units",
                field="resident_id",
            )
    return RightsRecordOut(
        resident_id=rid,
        as_of=record.as_of,
        known_at=record.known_at,
        months=[RightsMonthOut.model_validate(m) for m in months],
        continuous_months=record.continuous_months,
        withheld_months=len(record.months) - len(months),
    )
