"""2020 deferral on application: the unit applies, the approver decides."""

from __future__ import annotations

from fastapi import APIRouter

from ledger.api.deps import CurrentActor, IdempotencyKey, LedgerDep, OwnUnit
from ledger.api.jsonbody import JSONRoute
from ledger.api.routers import COMMAND_PROBLEMS
from ledger.api.schemas.deferrals import DeferralApplication, DeferralDecision
from ledger.api.schemas.results import CommandResult
from ledger.application import Result

router = APIRouter(
    route_class=JSONRoute,
    prefix="/units/{uscc}/deferral-applications",
    tags=["deferrals"],
    responses=COMMAND_PROBLEMS,
)


@router.post(
    "",
    status_code=201,
    response_model=CommandResult,
    summary="Apply for a deferral",
    operation_id="apply_for_deferral",
)
def apply_for_deferral(
    uscc: OwnUnit,
    body: DeferralApplication,
    actor: CurrentActor,
    key: IdempotencyKey,
    ledger: LedgerDep,
) -> Result:
    """申请缓缴: the limits of the region's policy apply (months, latest end); granted at
    once where the policy only needs filing (备案)."""
    return ledger.apply_for_deferral(
        uscc, body.periods, body.applied_on, body.attachments, actor, key
    )


@router.post(
    "/decision",
    response_model=CommandResult,
    summary="Decide a pending application",
    operation_id="decide_deferral_application",
)
def decide_deferral_application(
    uscc: OwnUnit,
    body: DeferralDecision,
    actor: CurrentActor,
    key: IdempotencyKey,
    ledger: LedgerDep,
) -> Result:
    return ledger.decide_deferral_application(
        uscc, body.approved, body.decided_on, body.approver, actor, key
    )
