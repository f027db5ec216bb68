"""The case workers' forms: register a unit, a person joins or leaves, assess, pay,
apply for a deferral, file a commitment.

A submission goes through the API's checks in the API's order: the role (inspectors and
administrators write nothing: 403), the unit and its agency (``own_unit``: 404, 403),
then the reason, the idempotency key and the body (the route's own model), and finally
the route's own function. A refusal is shown beside the field it names and nothing is
written. The form carries an idempotency key in a hidden field, made when the form was
shown: sending it again (a double click, the browser's resubmission) returns the first
result and records nothing more.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from ledger.api.auth import Principal, require
from ledger.api.deps import checked_reason, get_idempotency_key, own_unit
from ledger.api.desk.commands import REGISTER, UNIT_COMMANDS, Call, CommandForm
from ledger.api.desk.forms import (
    REASON_FIELD,
    FormState,
    body_of,
    received,
    refusal,
    validation_errors,
)
from ledger.api.desk.render import page
from ledger.api.desk.session import PostedForm, Signed
from ledger.api.problems import ApiProblem, status_of
from ledger.application import Actor, Ledger
from ledger.domain.errors import LedgerError, NotFound, Unavailable
from ledger.domain.token import Role

router = APIRouter(include_in_schema=False)

Uscc = Annotated[str, Path(max_length=32)]
Slug = Annotated[str, Path(max_length=40)]
case_worker = require(Role.case_worker)


@router.get("/desk/units/new")
async def register_form(request: Request, principal: Signed) -> HTMLResponse:
    await case_worker(principal)
    state = FormState(values={"agency": principal.agency})
    return _form(request, REGISTER, state, "/desk/units/new")


@router.post("/desk/units/new")
async def register(request: Request, principal: Signed, form: PostedForm) -> Response:
    await case_worker(principal)
    return await _submit(request, REGISTER, principal, form, "", "/desk/units/new")


@router.get("/desk/units/{uscc}/{slug}")
async def command_form(request: Request, uscc: Uscc, slug: Slug, principal: Signed) -> Response:
    command = _command(slug)
    code = await _own(request, uscc, principal)
    return _form(request, command, FormState(), f"/desk/units/{code}/{slug}", code)


@router.post("/desk/units/{uscc}/{slug}")
async def submit(
    request: Request, uscc: Uscc, slug: Slug, principal: Signed, form: PostedForm
) -> Response:
    command = _command(slug)
    code = await _own(request, uscc, principal)
    return await _submit(request, command, principal, form, code, f"/desk/units/{code}/{slug}")


def _command(slug: str) -> CommandForm:
    if slug not in UNIT_COMMANDS:
        raise NotFound(f"no form {slug!r}", field="slug")
    return UNIT_COMMANDS[slug]


async def _own(request: Request, uscc: str, principal: Principal) -> str:
    """The API's checks of a unit command: a case worker, of the unit's agency."""
    await case_worker(principal)
    ledger: Ledger = request.app.state.ledger
    return await own_unit(uscc, principal, ledger, request)


def _form(
    request: Request,
    command: CommandForm,
    state: FormState,
    action: str,
    uscc: str = "",
    status: int = 200,
) -> HTMLResponse:
    return page(
        request, "form.html", status, command=command, state=state, action=action, uscc=uscc
    )


async def _submit(
    request: Request,
    command: CommandForm,
    principal: Principal,
    form: PostedForm,
    uscc: str,
    action: str,
) -> Response:
    names = [f.name for f in command.fields] + [REASON_FIELD]
    state = received(form, command.fields)
    state.values[REASON_FIELD] = str(form.get(REASON_FIELD) or "")
    if state.errors:
        return _form(request, command, state, action, uscc, 400)
    try:
        reason = checked_reason(state.values[REASON_FIELD], REASON_FIELD)
        body = command.model.model_validate(body_of(state.values, command.fields))
    except ValidationError as exc:
        validation_errors(exc, state, names)
        return _form(request, command, state, action, uscc, 422)
    except ApiProblem as exc:
        refusal(exc, state, names)
        return _form(request, command, state, action, uscc, exc.status)
    call = Call(
        uscc=uscc,
        principal=principal,
        actor=Actor(principal.actor, reason, request.state.request_id),
        key=await get_idempotency_key(principal, state.key),
        ledger=request.app.state.ledger,
    )
    try:
        await run_in_threadpool(command.run, call, body)
    except Unavailable:
        raise  # the error page: nothing was written, try again
    except (LedgerError, ApiProblem) as exc:
        refusal(exc, state, names)
        status = exc.status if isinstance(exc, ApiProblem) else status_of(exc)
        return _form(request, command, state, action, uscc, status)
    unit = uscc or str(getattr(body, "uscc", "")).strip().upper()
    return RedirectResponse(f"/desk/units/{unit}?done={command.slug}", status_code=303)
