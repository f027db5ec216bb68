"""Payments the tax bureau collected and reported back (回传)."""

from __future__ import annotations

from fastapi import APIRouter

from ledger.api.deps import CurrentActor, IdempotencyKey, LedgerDep, OwnUnit
from ledger.api.jsonbody import JSONRoute
from ledger.api.routers import COMMAND_PROBLEMS
from ledger.api.schemas.payments import PaymentCollection
from ledger.api.schemas.results import CommandResult
from ledger.application import Result

router = APIRouter(
    route_class=JSONRoute,
    prefix="/units/{uscc}/payments",
    tags=["payments"],
    responses=COMMAND_PROBLEMS,
)


@router.post(
    "",
    status_code=201,
    response_model=CommandResult,
    summary="Record a payment",
    operation_id="collect_payment",
)
def collect_payment(
    uscc: OwnUnit,
    body: PaymentCollection,
    actor: CurrentActor,
    key: IdempotencyKey,
    ledger: LedgerDep,
) -> Result:
    """Per item when the tax bureau names them; otherwise the ledger's allocation order.
    An excess becomes credit."""
    items = [(i.period, i.part.value, i.amount) for i in body.items] if body.items else None
    return ledger.collect_payment(uscc, body.paid_on, body.amount, actor, items=items, key=key)
