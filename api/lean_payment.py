"""The payment command, answered before FastAPI's routing: ``POST /units/{uscc}/payments``.

The tax bureau's payment feedback (回传) is the command sent most. Through FastAPI a
payment of a kept unit spent about a fifth of its server CPU (0.7 of 3.2 ms) on routing,
a dozen dependencies, body and response validation and a second thread-pool trip
(issue 11.2). ``LeanPayment`` answers
the plain case from the request middleware (``RequestContext``), as ``LeanBalance``
answers the plain balance read: the same use case with the same arguments (decided and
saved with the other plain payments in flight, ``ledger.api.batches``), the same
status, bytes and headers, the same log lines and metrics; anything else it hands on,
untouched, to the application (with the body it read, replayed), so every refusal of
input or caller is answered by the route as before.

It answers only when all of these hold, and hands the request on otherwise:

- ``POST`` of exactly ``/units/{uscc}/payments``, no root path, no query;
- ``Authorization: Bearer <secret>`` of a case worker's token this process found active
  before (``Ledger.kept_token``), for a unit whose agency this process looked up before
  (``Ledger.known_agency``) and which is the token's;
- one ``Idempotency-Key`` of the route's pattern, no ``X-Reason`` (the route takes it);
- a JSON media type, a ``Content-Length`` of at most ``MAX_BODY`` and no chunking;
- a body that is strict JSON (``jsonbody.strict_json``) and a valid ``PaymentCollection``;
- the token still active, confirmed in the payment's thread-pool trip before anything
  is decided for it (as ``auth.confirms_first``): if it was revoked the route answers
  (401), with nothing decided or written.

What the use case raises is answered by the application's own exception handlers, as
when the route runs it; the use case itself logs its one event, in the request's context.
"""

from __future__ import annotations

import contextvars
import inspect
import re
from collections.abc import Callable
from typing import Any

import structlog
from fastapi import FastAPI
from fastapi.routing import APIRoute, serialize_response
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from ledger.api.auth import Principal
from ledger.api.batches import PaymentBatches
from ledger.api.deps import KEY_PATTERN
from ledger.api.jsonbody import is_json_media, strict_json
from ledger.api.lean import bearer_secret, unit_in_path
from ledger.api.routers import payments
from ledger.api.schemas.payments import PaymentCollection
from ledger.application import Actor, Ledger
from ledger.domain.identifiers import parse_uscc
from ledger.domain.token import Role
from ledger.usecases.together import PaymentAsked, Revoked

ROUTE = "/units/{uscc}/payments"
_SUFFIX = "/payments"
_KEY = re.compile(KEY_PATTERN)
#: the largest body answered here (a payment's is a few hundred bytes; one naming
#: a thousand items a few dozen kilobytes): larger ones take the route
MAX_BODY = 256 * 1024


class LeanPayment:
    """Answers the plain payment (see the module's docstring) or hands it on."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        #: off: every payment takes FastAPI's route (tests compare the two answers)
        self.enabled = True
        #: payments answered here (tests check which path answered)
        self.answered = 0
        #: the payments' batches (``ledger.api.batches``)
        self.batches = PaymentBatches(lambda: app.state.ledger)
        #: the route this command stands in for: its template names the command in the
        #: request log line and the metrics, and its response field makes the body
        self.route = next(
            r
            for r in payments.router.routes
            if isinstance(r, APIRoute) and r.path == ROUTE and r.methods == {"POST"}
        )

    async def answer(self, scope: Scope, receive: Receive, send: Send) -> tuple[bool, Receive]:
        """(True, _) once the response is sent; else (False, the receive to go on with:
        the one given, or one replaying the body read here)."""
        if not self.enabled:
            return False, receive
        plain = _asked(scope)
        if plain is None:
            return False, receive
        uscc, secret, key, length = plain
        ledger: Ledger = self.app.state.ledger
        token = ledger.kept_token(secret)
        if token is None or token.role is not Role.case_worker:
            return False, receive
        try:
            code = parse_uscc(uscc, allow_bad_check=True)
        except Exception:
            return False, receive
        if ledger.known_agency(code) != token.agency:
            return False, receive
        body, complete = await _body(receive, length)
        replay = _replaying(body, complete, receive)
        if not complete:
            return False, replay
        try:
            command = PaymentCollection.model_validate(strict_json(body), from_attributes=True)
        except (ValueError, ValidationError):
            return False, replay
        principal = Principal(token.id, token.role, token.agency, token.name)
        # what the route's dependencies leave: the actor in the request's state (for the
        # request's log line) and in its log context (for the use case's)
        scope.setdefault("state", {})["actor"] = principal.actor
        structlog.contextvars.bind_contextvars(actor=principal.actor)
        items = command.items
        payment = PaymentAsked(
            token,
            code,
            command.paid_on,
            command.amount,
            [(i.period, i.part.value, i.amount) for i in items] if items else None,
            Actor(principal.actor, "", scope["state"]["request_id"]),
            f"{key} (token {token.id})",
            contextvars.copy_context(),
        )
        try:
            # with the payments that arrive meanwhile, in one thread-pool trip
            result = await self.batches.collect(payment)
        except Revoked:
            return False, replay
        except Exception as exc:
            handler = _handler(self.app, exc)
            if handler is None:
                raise
            scope["route"] = self.route
            self.answered += 1
            response = handler(Request(scope, replay), exc)
            if inspect.isawaitable(response):
                response = await response
            await response(scope, replay, send)
            return True, replay
        content = await serialize_response(
            field=self.route.response_field, response_content=result, dump_json=True
        )
        scope["route"] = self.route
        self.answered += 1
        await Response(content, status_code=201, media_type="application/json")(scope, replay, send)
        return True, replay


def _asked(scope: Scope) -> tuple[str, str, str, int] | None:
    """The unit, bearer secret, idempotency key and body length of a plain payment."""
    if scope["method"] != "POST" or scope["query_string"]:
        return None
    uscc = unit_in_path(scope, _SUFFIX)
    if uscc is None:
        return None
    seen: dict[bytes, str] = {}
    for name, value in scope["headers"]:
        if name in seen or name in (b"transfer-encoding", b"x-reason"):
            return None
        if name in (b"authorization", b"idempotency-key", b"content-type", b"content-length"):
            seen[name] = value.decode("latin-1")
    secret = bearer_secret(seen.get(b"authorization", ""))
    key = seen.get(b"idempotency-key", "")
    length = seen.get(b"content-length", "")
    if secret is None or not _KEY.fullmatch(key):
        return None
    if not (length.isdigit() and 0 < int(length) <= MAX_BODY):
        return None
    if not is_json_media(seen.get(b"content-type", "")):
        return None
    return uscc, secret, key, int(length)


async def _body(receive: Receive, length: int) -> tuple[bytes, bool]:
    """The body, and whether it came whole and as long as declared (else what came)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if size > length:
            return b"".join(chunks), False
        if not message.get("more_body", False):
            return b"".join(chunks), size == length


def _replaying(body: bytes, complete: bool, receive: Receive) -> Receive:
    """A receive that gives the body read first, then what ``receive`` gives."""
    pending: list[Message] = [
        {"type": "http.request", "body": body, "more_body": not complete and bool(body)}
    ]

    async def replay() -> Message:
        return pending.pop() if pending else await receive()

    return replay


def _handler(app: FastAPI, exc: Exception) -> Callable[..., Any] | None:
    """The application's handler of ``exc`` (as Starlette's exception middleware finds it)."""
    handlers: dict[Any, Callable[..., Any]] = app.exception_handlers
    for cls in type(exc).__mro__:
        if cls in handlers:
            return handlers[cls]
    return None
