"""Who calls: bearer tokens (``ledger token create``), roles and the agency boundary.

- no token, or not a bearer: 401; an unknown or revoked token: 401 (``invalid_token``);
- a role the route does not allow, or a unit of another agency: 403.

The principal is resolved in an ``async`` dependency (the token look-up itself runs
in the thread pool): a structlog binding made here is in the request task's context,
so the sync route handlers that run after it, copied from that context, log with it.

A command's route (``confirms_first``) takes a token this process found active before
without that trip, and confirms it is still active in the trip its sync handler makes
anyway, before the handler runs: nothing is read or written for a revoked token, and
each command saves a trip to the thread pool (issue 11.2).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar
from uuid import UUID

import structlog
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from ledger.api.problems import ApiProblem
from ledger.application import Ledger
from ledger.domain.token import Role, Token

bearer = HTTPBearer(
    auto_error=False,
    bearerFormat="ldg_…",
    description="A token from `ledger token create --role case_worker|inspector|admin`.",
)


@dataclass(frozen=True, slots=True)
class Principal:
    """The holder of an active token."""

    token_id: UUID
    role: Role
    agency: str
    name: str

    @property
    def actor(self) -> str:
        """The actor recorded in events: the holder's name and the token that acted."""
        return f"api:{self.name}/{self.token_id}"


T = TypeVar("T")

#: the request a ``confirms_first`` handler answers, set in the request's task before
#: the route's dependencies run (None: another route's): they may take a kept token
#: unconfirmed
_handled: ContextVar[Request | None] = ContextVar("handled_request", default=None)


def confirms_first(handler: Callable[..., T]) -> Callable[..., T]:
    """A sync route handler that first confirms a token taken unconfirmed (401 if it
    was revoked since), in its own thread; ``handling_confirmed`` marks its requests."""

    @functools.wraps(handler)
    def run(*args: Any, **kwargs: Any) -> T:
        request = _handled.get()
        if request is not None:
            confirm_principal(request)
        return handler(*args, **kwargs)

    return run


@contextmanager
def handling_confirmed(request: Request) -> Iterator[None]:
    """Around the dependencies and handler of a route whose handler is
    ``confirms_first`` (in the request's task); unmarked after, so that no later
    request run in the same context (an in-process client's) is taken for one."""
    marked = _handled.set(request)
    try:
        yield
    finally:
        _handled.reset(marked)


def _unauthenticated(detail: str, error: str = "") -> ApiProblem:
    challenge = f'Bearer error="{error}"' if error else "Bearer"
    return ApiProblem(401, "unauthenticated", detail, headers={"WWW-Authenticate": challenge})


def forbidden(detail: str, rule: str) -> ApiProblem:
    return ApiProblem(403, "forbidden", detail, rule=rule)


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    if credentials is None:
        raise _unauthenticated("this route needs an Authorization: Bearer <token> header")
    if _handled.get() is not None:  # the handler confirms a kept token, in its own trip
        ledger: Ledger = request.app.state.ledger
        kept = ledger.kept_token(credentials.credentials)
        if kept is not None:
            request.state.unconfirmed_token = kept
            return _bound(request, kept)
    principal = await principal_of(request, credentials.credentials)
    if principal is None:
        raise _unauthenticated("the bearer token is unknown or revoked", "invalid_token")
    return principal


async def current_principal_checked_later(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """As ``current_principal``, but a token this process found active before is taken
    at once, with no trip to the thread pool: the route confirms it is still active
    (``confirm_principal``) in the one trip it makes anyway, before anything is read."""
    if credentials is None:
        raise _unauthenticated("this route needs an Authorization: Bearer <token> header")
    ledger: Ledger = request.app.state.ledger
    kept = ledger.kept_token(credentials.credentials)
    if kept is None:
        principal = await principal_of(request, credentials.credentials)
        if principal is None:
            raise _unauthenticated("the bearer token is unknown or revoked", "invalid_token")
        return principal
    request.state.unconfirmed_token = kept
    return _bound(request, kept)


def confirm_principal(request: Request) -> None:
    """401 if the token ``current_principal_checked_later`` took unchecked was revoked
    since it was kept (called from the route's thread)."""
    kept: Token | None = getattr(request.state, "unconfirmed_token", None)
    if kept is not None:
        ledger: Ledger = request.app.state.ledger
        if not ledger.still_active(kept):
            raise _unauthenticated("the bearer token is unknown or revoked", "invalid_token")
        request.state.unconfirmed_token = None


async def principal_of(request: Request, secret: str) -> Principal | None:
    """The holder of ``secret`` if it is an active token (the API's bearer header and the
    desk's cookie carry the same tokens), bound to the request's log context."""
    ledger: Ledger = request.app.state.ledger
    token = await run_in_threadpool(ledger.authenticate, secret)
    if token is None:
        return None
    return _bound(request, token)


def _bound(request: Request, token: Token) -> Principal:
    principal = Principal(token.id, token.role, token.agency, token.name)
    # Read by the request-logging middleware, which runs outside this context.
    request.state.actor = principal.actor
    structlog.contextvars.bind_contextvars(actor=principal.actor)
    return principal


_WHO = {
    Role.case_worker: "a case worker of the unit's agency",
    Role.inspector: "an inspector",
    Role.admin: "an administrator",
}


def require(
    *roles: Role, confirmed_later: bool = False
) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency letting through only the given roles (403 for the others); with
    ``confirmed_later``, the route calls ``confirm_principal`` before it reads."""

    def allowed(principal: Principal) -> Principal:
        if principal.role not in roles:
            who = " or ".join(_WHO[r] for r in roles)
            raise forbidden(
                f"a token of role {principal.role.value} may not do this; it takes {who}",
                rule="role",
            )
        return principal

    # Two functions, not one with the resolver in a variable: FastAPI reads the
    # annotations as strings, which name only what the module defines.
    async def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        return allowed(principal)

    async def check_later(
        principal: Annotated[Principal, Depends(current_principal_checked_later)],
    ) -> Principal:
        return allowed(principal)

    return check_later if confirmed_later else check


def check_agency(principal: Principal, agency: str, what: str) -> None:
    """A case worker acts only on the units of their own agency."""
    if agency != principal.agency:
        # Which agency holds it is not said: a case worker learns nothing of another's units.
        raise forbidden(
            f"{what} is not of agency {principal.agency}, the only one this token acts for",
            rule="agency",
        )
