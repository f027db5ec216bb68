"""Pooling regions: administrators register them and declare their fund's months."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from ledger.api.deps import Admin, CurrentActor, IdempotencyKey, LedgerDep, Reader
from ledger.api.jsonbody import JSONRoute
from ledger.api.routers import COMMAND_PROBLEMS, READ_PROBLEMS
from ledger.api.schemas.regions import FundMonthsDeclaration, RegionRegistration
from ledger.api.schemas.results import CommandResult
from ledger.api.schemas.views import RegionOut
from ledger.application import Result

router = APIRouter(
    route_class=JSONRoute, prefix="/regions", tags=["regions"], responses=COMMAND_PROBLEMS
)

RegionCode = Annotated[str, Path(description="6-digit region code", examples=["150300"])]


@router.post(
    "",
    status_code=201,
    response_model=CommandResult,
    summary="Register a region",
    operation_id="register_region",
)
def register_region(
    body: RegionRegistration,
    _: Admin,
    actor: CurrentActor,
    key: IdempotencyKey,
    ledger: LedgerDep,
) -> Result:
    """统筹地区: the area whose fund pools the contributions. Administrators only."""
    return ledger.register_region(body.code, body.name, body.parent, actor, key)


@router.post(
    "/{code}/fund-months",
    response_model=CommandResult,
    summary="Declare the fund's payable months",
    operation_id="declare_fund_months",
)
def declare_fund_months(
    code: RegionCode,
    body: FundMonthsDeclaration,
    _: Admin,
    actor: CurrentActor,
    key: IdempotencyKey,
    ledger: LedgerDep,
) -> Result:
    """累计结存可支付月数; more than 6 opens the 2022 deferral, decided at once for the
    region's units. Administrators only."""
    return ledger.declare_fund_months(code, body.months, body.as_of, actor, key)


@router.get(
    "",
    response_model=list[RegionOut],
    responses=READ_PROBLEMS,
    summary="List regions",
    operation_id="list_regions",
)
def list_regions(_: Reader, ledger: LedgerDep) -> list[RegionOut]:
    """Registered pooling regions and their fund's declared months, in code order."""
    return sorted((RegionOut.model_validate(r) for r in ledger.regions()), key=lambda r: r.code)
