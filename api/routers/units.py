"""Units: case workers register them for their agency, classify, assess, deregister;
every role lists and reads them (case workers their own agency's)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from ledger.api.auth import check_agency
from ledger.api.deps import (
    CaseWorker,
    Clocks,
    CurrentActor,
    IdempotencyKey,
    LedgerDep,
    OwnUnit,
    ReadableUnit,
    Reader,
    Views,
    agency_scope,
)
from ledger.api.jsonbody import JSONRoute
from ledger.api.routers import COMMAND_PROBLEMS, READ_PROBLEMS
from ledger.api.schemas.results import CommandResult
from ledger.api.schemas.types import PERIOD_PATTERN
from ledger.api.schemas.units import (
    AssessmentRequest,
    AssessmentRevocation,
    Classification,
    DeregistrationCompletion,
    DeregistrationRequest,
    UnitRegistration,
)
from ledger.api.schemas.views import UnitPage, UnitSummary
from ledger.application import Result
from ledger.domain.period import Period

router = APIRouter(
    route_class=JSONRoute, prefix="/units", tags=["units"], responses=COMMAND_PROBLEMS
)


@router.post(
    "",
    status_code=201,
    response_model=CommandResult,
    summary="Register a unit",
    operation_id="register_unit",
)
def register_unit(
    body: UnitRegistration,
    principal: CaseWorker,
    actor: CurrentActor,
    key: IdempotencyKey,
    ledger: LedgerDep,
) -> Result:
    """参保单位 under its USCC, for the case worker's own agency (else 403)."""
    check_agency(principal, body.agency.strip(), "the unit to register")
    return ledger.register_unit(
        uscc=body.uscc,
        name=body.name,
        unit_type=body.unit_type.value,
        region=body.region,
        agency=body.agency,
        unit_number=body.unit_number,
        established_on=body.established_on,
        actor=actor,
        allow_bad_check=body.allow_bad_check,
        key=key,
    )


@router.post(
    "/{uscc}/classification",
    response_model=CommandResult,
    summary="Classify a unit (企业划型)",
    operation_id="classify_unit",
)
def classify_unit(
    uscc: OwnUnit,
    body: Classification,
    actor: CurrentActor,
    key: IdempotencyKey,
    ledger: LedgerDep,
) -> Result:
    """From department data: a size class, or the figures of the 300号 table to compute it."""
    return ledger.classify_unit(
        uscc,
        industry=body.industry.value,
        classified_on=body.classified_on,
        actor=actor,
        size_class=body.size_class.value if body.size_class else None,
        employees=body.employees,
        revenue=body.revenue,
        assets=body.assets,
        key=key,
    )


@router.post(
    "/{uscc}/assessments",
    response_model=CommandResult,
    summary="Assess a period",
    operation_id="assess_period",
)
def assess(
    uscc: OwnUnit,
    body: AssessmentRequest,
    actor: CurrentActor,
    key: IdempotencyKey,
    ledger: LedgerDep,
) -> Result:
    """核定: per person the base given, or the members' bases for the period. The
    decisions of the enacted policies (reduction, deferral split, credit) follow."""
    lines = [(line.resident_id, line.base) for line in body.lines] if body.lines else None
    return ledger.assess(uscc, body.period, body.assessed_on, actor, lines=lines, key=key)


@router.post(
    "/{uscc}/assessments/{period}/revocation",
    response_model=CommandResult,
    summary="Revoke an unpaid assessment",
    operation_id="revoke_assessment",
)
def revoke_assessment(
    uscc: OwnUnit,
    period: Annotated[
        str, Path(pattern=PERIOD_PATTERN, description="YYYY-MM", examples=["2022-07"])
    ],
    body: AssessmentRevocation,
    actor: CurrentActor,
    key: IdempotencyKey,
    ledger: LedgerDep,
) -> Result:
    return ledger.revoke_assessment(uscc, Period.parse(period), body.revoked_on, actor, key)


@router.post(
    "/{uscc}/deregistration",
    response_model=CommandResult,
    summary="Request deregistration (注销)",
    operation_id="request_deregistration",
)
def request_deregistration(
    uscc: OwnUnit,
    body: DeregistrationRequest,
    actor: CurrentActor,
    key: IdempotencyKey,
    ledger: LedgerDep,
) -> Result:
    """Every deferred amount is called due at once (医保发〔2022〕21号 四)."""
    return ledger.request_deregistration(uscc, body.requested_on, actor, key)


@router.post(
    "/{uscc}/deregistration/completion",
    response_model=CommandResult,
    summary="Complete a deregistration",
    operation_id="complete_deregistration",
)
def complete_deregistration(
    uscc: OwnUnit,
    body: DeregistrationCompletion,
    actor: CurrentActor,
    key: IdempotencyKey,
    ledger: LedgerDep,
) -> Result:
    """Refused (422, rule `deregistration`) while deferred contributions are unpaid."""
    return ledger.complete_deregistration(uscc, body.completed_on, actor, key)


# --------------------------------------------------------------------- reads


@router.get(
    "",
    response_model=UnitPage,
    responses=READ_PROBLEMS,
    summary="List units",
    operation_id="list_units",
)
def list_units(
    principal: Reader,
    views: Views,
    clocks: Clocks,
    region: Annotated[
        str | None,
        Query(pattern=r"^[0-9]{6}$", description="region code; 150000 takes all of 15xxxx"),
    ] = None,
    agency: Annotated[
        str | None,
        Query(pattern=r"^[0-9A-Za-z]{1,20}$", description="a case worker's own by default"),
    ] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> UnitPage:
    """Registered units in USCC order (as known at ``known_at``), a page at a time.
    A case worker lists their own agency's units."""
    found = views.store.units(
        region=region, agency=agency_scope(principal, agency), known_at=clocks.known_at
    )
    found.sort(key=lambda u: u.uscc)
    page = [UnitSummary.model_validate(u) for u in found[offset : offset + limit]]
    return UnitPage(units=page, total=len(found), offset=offset, limit=limit)


@router.get(
    "/{uscc}",
    response_model=UnitSummary,
    responses=READ_PROBLEMS,
    summary="A unit's record",
    operation_id="read_unit",
)
async def show_unit(unit: ReadableUnit) -> UnitSummary:
    return await unit.run(lambda _, found: UnitSummary.model_validate(found))
