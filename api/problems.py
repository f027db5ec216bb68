"""Every failure as RFC 9457 problem details (``application/problem+json``).

Status by kind of error:

- ``InvalidValue``, ``InvalidIdentifier``, ``CatalogueError``, request validation: 422;
- ``RuleViolation``: 422 as well. The request is well formed and understood but a rule
  of a policy or of law forbids it: "unprocessable content" (RFC 9110 15.5.21). 409 is
  kept for ``Conflict``, a contradiction with what is already recorded (registered twice,
  an idempotency key reused), which the client resolves by looking at the state;
- ``NotFound``: 404; ``Unavailable`` and a lost store connection: 503 with Retry-After
  (nothing was written: the save is atomic, so a retry is safe); ``Contention`` (other
  commands saved first on every attempt) is an ``Unavailable``, 503 ``contention`` with
  a shorter Retry-After: not 409, which says a retry of the same request cannot help;
  ``HistoryDamaged`` (a unit's events the views set aside): 503 without Retry-After;
- the API's own refusals (:class:`ApiProblem`): 400 (no Idempotency-Key), 401, 403, 415;
  a body over the limit: 413 (:class:`ledger.api.middleware.BodyLimit`);
- a JSON body that cannot be read (not UTF-8, not JSON, a key twice): 400, and one not
  sent as JSON: 415 (``ledger.api.jsonbody``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response
from starlette.routing import Match

from ledger.domain.errors import (
    CatalogueError,
    Conflict,
    Contention,
    HistoryDamaged,
    InvalidValue,
    LedgerError,
    NotFound,
    RuleViolation,
    Unavailable,
)

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://ledger.invalid/problems/"
#: seconds a client should wait before retrying when the store is unreachable
RETRY_AFTER = "5"
#: and when its command lost every race to save (the others are done in milliseconds)
CONTENTION_RETRY_AFTER = "1"

_STATUS: dict[type[LedgerError], int] = {
    InvalidValue: 422,
    CatalogueError: 422,
    RuleViolation: 422,
    Conflict: 409,
    NotFound: 404,
    Unavailable: 503,
    HistoryDamaged: 503,
}


class ApiProblem(Exception):
    """A refusal of the API itself (authentication, roles, headers, media type)."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        field: str = "",
        rule: str = "",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.field = field
        self.rule = rule
        self.headers = dict(headers or {})


def status_of(exc: LedgerError) -> int:
    for cls in type(exc).__mro__:
        if cls in _STATUS:
            return _STATUS[cls]
    return 400


def problem(
    request: Request,
    status: int,
    code: str,
    detail: str,
    *,
    field: str = "",
    rule: str = "",
    errors: Sequence[Mapping[str, str]] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": TYPE_BASE + code,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "code": code,
        "request_id": getattr(request.state, "request_id", ""),
    }
    if field:
        body["field"] = field
    if rule:
        body["rule"] = rule
    if errors:
        body["errors"] = list(errors)
    # for the metrics: a refusal by a rule and invalid input are both 422
    request.state.problem_code = code
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


async def _ledger_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LedgerError)
    status = status_of(exc)
    wait = CONTENTION_RETRY_AFTER if isinstance(exc, Contention) else RETRY_AFTER
    # a damaged history is not a passing outage: no Retry-After
    headers = {"Retry-After": wait} if isinstance(exc, Unavailable) else None
    return problem(
        request, status, exc.code, exc.message, field=exc.field, rule=exc.rule, headers=headers
    )


async def _store_error(request: Request, exc: Exception) -> Response:
    # The connection failed mid-command: the save is atomic, so nothing is half-written.
    return problem(
        request,
        503,
        Unavailable.code,
        f"the event store cannot be reached ({type(exc).__name__}); nothing was written, retry",
        headers={"Retry-After": RETRY_AFTER},
    )


async def _api_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiProblem)
    return problem(
        request,
        exc.status,
        exc.code,
        exc.detail,
        field=exc.field,
        rule=exc.rule,
        headers=exc.headers,
    )


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    undecodable = [e for e in exc.errors() if e.get("type") == "json_invalid"]
    if undecodable:
        # Not a field's fault: the body could not be read at all (RFC 9110 15.5.1).
        why = (undecodable[0].get("ctx") or {}).get("error", "not JSON")
        return problem(
            request,
            400,
            "malformed-json",
            f"the body cannot be read as JSON: {why}",
            rule="json_invalid",
        )
    errors = [_field_error(e) for e in exc.errors()]
    listed = "; ".join(f"{e['field'] or e['location']}: {e['message']}" for e in errors)
    first = errors[0] if errors else {"field": "", "rule": ""}
    return problem(
        request,
        422,
        "invalid-request",
        f"the request is not valid: {listed}",
        field=first["field"],
        rule=first["rule"],
        errors=errors,
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    # Routing's own refusals: an unknown path (404), a method not allowed (405).
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request))
    return problem(
        request, exc.status_code, slug(exc.status_code), str(exc.detail), headers=headers
    )


#: the methods a 405 looks for at the path (in the order ``Allow`` lists them)
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route takes at the request's path (Starlette's 405 names only
    the first route that matched the path, though ``GET`` and ``POST`` may be two)."""
    routes = request.app.router.routes
    return [
        method
        for method in _METHODS
        if any(r.matches({**request.scope, "method": method})[0] is Match.FULL for r in routes)
    ]


def slug(status: int) -> str:
    """``405`` -> ``method-not-allowed``: the problem code of a plain HTTP status."""
    return HTTPStatus(status).phrase.lower().replace(" ", "-")


def _field_error(error: Mapping[str, Any]) -> dict[str, str]:
    location, *path = error.get("loc", ()) or ("body",)
    rule = str(error.get("type", "invalid"))
    # A body that is not JSON at all is located by a character offset, not a field.
    field = "" if rule == "json_invalid" else _dotted(path)
    return {
        "field": field,
        "location": str(location),
        "rule": rule,
        "message": str(error.get("msg", "")),
    }


def _dotted(path: Sequence[str | int]) -> str:
    """``("items", 0, "amount")`` -> ``items[0].amount``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def install(app: FastAPI) -> None:
    """Registers the handlers; unexpected exceptions are the middleware's (see there)."""
    app.add_exception_handler(LedgerError, _ledger_error)
    app.add_exception_handler(OperationalError, _store_error)
    app.add_exception_handler(InterfaceError, _store_error)
    app.add_exception_handler(ApiProblem, _api_problem)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
