"""Written commitments (承诺书): filed, reviewed, and possibly found false."""

from __future__ import annotations

from fastapi import APIRouter

from ledger.api.deps import CurrentActor, IdempotencyKey, LedgerDep, OwnUnit
from ledger.api.jsonbody import JSONRoute
from ledger.api.routers import COMMAND_PROBLEMS
from ledger.api.schemas.commitments import (
    CommitmentFiling,
    CommitmentFoundFalse,
    CommitmentReview,
)
from ledger.api.schemas.results import CommandResult
from ledger.application import Result

router = APIRouter(
    route_class=JSONRoute,
    prefix="/units/{uscc}/commitments",
    tags=["commitments"],
    responses=COMMAND_PROBLEMS,
)


@router.post(
    "",
    status_code=201,
    response_model=CommandResult,
    summary="File a commitment",
    operation_id="file_commitment",
)
def file_commitment(
    uscc: OwnUnit,
    body: CommitmentFiling,
    actor: CurrentActor,
    key: IdempotencyKey,
    ledger: LedgerDep,
) -> Result:
    """The unit commits it is an SME and chooses its deferral months (济医保发〔2022〕12号)."""
    return ledger.file_commitment(uscc, body.months, body.filed_on, actor, key)


@router.post(
    "/review",
    response_model=CommandResult,
    summary="Review a filed commitment",
    operation_id="review_commitment",
)
def review_commitment(
    uscc: OwnUnit,
    body: CommitmentReview,
    actor: CurrentActor,
    key: IdempotencyKey,
    ledger: LedgerDep,
) -> Result:
    """Accepted: the unit is classified an SME by commitment and its deferral decided."""
    return ledger.review_commitment(uscc, body.accepted, body.reviewed_on, actor, key)


@router.post(
    "/false-finding",
    response_model=CommandResult,
    summary="Record a commitment found false",
    operation_id="find_commitment_false",
)
def find_commitment_false(
    uscc: OwnUnit,
    body: CommitmentFoundFalse,
    actor: CurrentActor,
    key: IdempotencyKey,
    ledger: LedgerDep,
) -> Result:
    """The deferred principal is called due, with late fees from the original due dates."""
    return ledger.find_commitment_false(uscc, body.found_on, actor, key)
