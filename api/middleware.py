"""Request id in and out, one log line per request, and the last-resort 500.

A plain ASGI middleware rather than Starlette's ``BaseHTTPMiddleware``: the latter runs
the app in another task, so a structlog binding made here would not reach the route
(and one made by the route would not come back). Here the request id is bound in the
request's own task before anything else runs; route handlers, run in the thread pool
with a copy of that context, log with it.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import structlog
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ledger.api.lean import LeanBalance
from ledger.api.lean_payment import LeanPayment
from ledger.api.ops import command_routes
from ledger.api.problems import problem, slug
from ledger.logs import get_logger

REQUEST_ID = "X-Request-ID"
# Echoed into logs and events: only plain characters, so a header cannot forge a log line.
_ACCEPTED_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


def accepted_request_id(header: str | None) -> str:
    """The client's id when it is a sane one, else a fresh one."""
    if header and _ACCEPTED_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


class RequestContext:
    """``lean`` and ``payment``: answer the plain balance read and the plain payment
    before the application routes them (``ledger.api.lean``, ``ledger.api.lean_payment``);
    whatever they do not answer goes on to the application."""

    def __init__(
        self, app: ASGIApp, lean: LeanBalance | None = None, payment: LeanPayment | None = None
    ) -> None:
        self.app = app
        self.lean = lean
        self.payment = payment
        self.log = get_logger()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = accepted_request_id(Headers(scope=scope).get(REQUEST_ID))
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        response: dict[str, int] = {}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID] = request_id
            await send(message)

        try:
            answered = self.lean is not None and await self.lean.answer(
                scope, receive, send_with_id
            )
            if not answered and self.payment is not None:
                answered, receive = await self.payment.answer(scope, receive, send_with_id)
            if not answered:
                await self.app(scope, receive, send_with_id)
        except Exception:
            # Anything the exception handlers did not turn into a problem: logged with
            # its traceback here, answered as a problem that names the request id.
            self.log.exception("unhandled error", request_id=request_id)
            if "status" not in response:
                await problem(
                    Request(scope),
                    500,
                    "internal-error",
                    f"an unexpected error; quote request id {request_id}",
                )(scope, receive, send_with_id)
        finally:
            route = getattr(scope.get("route"), "path", None)
            status = response.get("status", 500)
            seconds = time.perf_counter() - started
            self.log.info(
                "request",
                method=scope["method"],
                # The route's template, not the raw path: identifiers stay out of the log.
                route=route or scope["path"],
                status=status,
                duration_ms=round(seconds * 1000, 1),
                actor=state.get("actor", ""),
                request_id=request_id,
            )
            structlog.contextvars.clear_contextvars()
            self._count(scope, route, status, seconds, state.get("problem_code", ""))

    @staticmethod
    def _count(scope: Scope, route: str | None, status: int, seconds: float, code: str) -> None:
        """Into the app's metrics (``ledger.api.ops``); a path no route matches is one
        label, ``unmatched``, so that scanning random paths adds no series."""
        app = scope.get("app")
        metrics = getattr(getattr(app, "state", None), "metrics", None)
        if app is None or metrics is None:
            return
        if metrics.command_routes is None:
            metrics.command_routes = command_routes(app.openapi())
        metrics.observe(scope["method"], route or "unmatched", status, seconds, code)


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")


class BodyLimit:
    """413 for a body over the limit, as a problem. (FastAPI's own ``max_body_size``
    answers in plain text, from inside Starlette, before any handler can speak.)"""

    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body:
            too_large = BodyTooLarge(self.max_body)
            await problem(Request(scope), 413, slug(413), too_large.detail)(scope, receive, send)
            return
        received = 0

        async def counting() -> Message:
            # A chunked body declares no length: counted as it arrives. Raised from the
            # route's body read, an HTTPException reaches the problem handler.
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_body:
                raise BodyTooLarge(self.max_body)
            return message

        await self.app(scope, counting, send)
