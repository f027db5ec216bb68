"""Insured persons of a unit: join, base change, departure."""

from __future__ import annotations

from fastapi import APIRouter

from ledger.api.deps import CurrentActor, IdempotencyKey, LedgerDep, OwnUnit
from ledger.api.jsonbody import JSONRoute
from ledger.api.routers import COMMAND_PROBLEMS
from ledger.api.schemas.persons import BaseChange, Departure, PersonJoining
from ledger.api.schemas.results import CommandResult
from ledger.application import Result

router = APIRouter(
    route_class=JSONRoute,
    prefix="/units/{uscc}/persons",
    tags=["persons"],
    responses=COMMAND_PROBLEMS,
)


@router.post(
    "",
    status_code=201,
    response_model=CommandResult,
    summary="A person joins",
    operation_id="join_person",
)
def join_person(
    uscc: OwnUnit,
    body: PersonJoining,
    actor: CurrentActor,
    key: IdempotencyKey,
    ledger: LedgerDep,
) -> Result:
    return ledger.join_person(uscc, body.resident_id, body.base, body.joined_on, actor, key)


@router.post(
    "/base-changes",
    response_model=CommandResult,
    summary="Change a person's base",
    operation_id="change_base",
)
def change_base(
    uscc: OwnUnit,
    body: BaseChange,
    actor: CurrentActor,
    key: IdempotencyKey,
    ledger: LedgerDep,
) -> Result:
    """缴费基数 from a period on, until the next change."""
    return ledger.change_base(uscc, body.resident_id, body.base, body.since, actor, key)


@router.post(
    "/departures",
    response_model=CommandResult,
    summary="A person leaves",
    operation_id="record_departure",
)
def person_left(
    uscc: OwnUnit,
    body: Departure,
    actor: CurrentActor,
    key: IdempotencyKey,
    ledger: LedgerDep,
) -> Result:
    """Resignation, retirement or transfer: that person's deferred unit part falls due."""
    return ledger.person_left(
        uscc, body.resident_id, body.trigger, body.left_on, actor, body.destination, key
    )
