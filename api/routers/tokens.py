"""Bearer tokens: administrators issue, list and revoke them.

The first administrator's token comes from the CLI (``ledger token create --role
admin``): whoever can run the CLI on the store's host already holds the store.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from ledger.api.deps import Admin, CurrentActor, IdempotencyKey, LedgerDep
from ledger.api.jsonbody import JSONRoute
from ledger.api.routers import COMMAND_PROBLEMS, problems
from ledger.api.schemas.results import CommandResult
from ledger.api.schemas.tokens import TokenIssued, TokenOut, TokenRequest
from ledger.application import Result

router = APIRouter(route_class=JSONRoute, prefix="/tokens", tags=["tokens"])


@router.post(
    "",
    status_code=201,
    response_model=TokenIssued,
    summary="Issue a token",
    responses=COMMAND_PROBLEMS,
    operation_id="create_token",
)
def create_token(
    body: TokenRequest,
    _: Admin,
    actor: CurrentActor,
    key: IdempotencyKey,
    ledger: LedgerDep,
) -> TokenIssued:
    """The token is in this response only (it is stored as a SHA-256 digest). A retry
    with the same Idempotency-Key answers the same token id with `token: null`:
    revoke that token and issue another if the first response was lost."""
    issued = ledger.issue_token(
        role=body.role.value, agency=body.agency, name=body.name, actor=actor, key=key
    )
    return TokenIssued(
        token_id=str(issued.token_id),
        role=issued.role,
        agency=issued.agency,
        name=issued.name,
        token=issued.secret,
    )


@router.get(
    "",
    response_model=list[TokenOut],
    summary="List tokens",
    responses=problems(401, 403, 503),
    operation_id="list_tokens",
)
def get_tokens(_: Admin, ledger: LedgerDep) -> list[TokenOut]:
    """Every token issued, revoked ones included; never the tokens themselves."""
    return [
        TokenOut(
            token_id=str(t.id),
            role=t.role,
            agency=t.agency,
            name=t.name,
            issued_at=t.created_on,
            revoked_at=t.revoked_on,
        )
        for t in ledger.list_tokens()
    ]


@router.post(
    "/{token_id}/revocation",
    response_model=CommandResult,
    summary="Revoke a token",
    responses=COMMAND_PROBLEMS,
    operation_id="revoke_token",
)
def revoke(
    token_id: Annotated[str, Path(description="the token's id (not the token)")],
    _: Admin,
    actor: CurrentActor,
    key: IdempotencyKey,
    ledger: LedgerDep,
) -> Result:
    """From now on the token answers 401."""
    return ledger.revoke_token(token_id, actor, key)
