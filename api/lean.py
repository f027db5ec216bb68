"""The hot read, answered before FastAPI's routing: ``GET /units/{uscc}/balance``.

Most of what the API serves is a unit's balance as of a day after its last movement,
read by a token this process has seen. Through FastAPI that read spent about as much
CPU on routing, dependencies and validation as on the answer (issue 11.1), and five
round trips to the database. ``LeanBalance`` answers that one case from the request
middleware (``RequestContext``) with the same bytes, status and headers as the route,
and the same request log line and metrics; anything else it hands on, untouched, to
the application, so every refusal and every other case is answered as before.

It answers only when all of these hold, and hands the request on otherwise:

- ``GET`` of exactly ``/units/{uscc}/balance``, no root path, a query of at most
  ``as_of`` (``YYYY-MM-DD``), ``format=json`` and ``headers=zh|en``, each once;
- ``Authorization: Bearer <secret>`` of a token this process found active before
  (``Ledger.kept_token``) and that has no event since (not revoked: checked in the
  read's own query), of a role that reads; a case worker's, only for a unit of their
  agency;
- a unit whose registration this process looked up before (``known_unit``), none of
  whose events the views set aside;
- views holding everything recorded before the read (as ``ReadSide.fresh``; a read
  that would wait for the follower or answer 503 is handed on);
- the balance kept through the unit's last movement, and ``as_of`` on or after the day
  that movement took effect (``balance_ready``);
- no error of any kind on the way (a bad date, a missing rule, a lost database...).

The route stays declared, so the OpenAPI document is unchanged, and it answers the
first read of a unit (which keeps the unit's registration and balance for the next).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import structlog
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ledger.api.auth import Principal
from ledger.api.readside import ReadSide
from ledger.api.routers import balances
from ledger.application import Ledger
from ledger.clocks import business_date
from ledger.domain.identifiers import parse_uscc
from ledger.domain.token import Role
from ledger.logs import get_logger
from ledger.projections.sql import SqlViewStore
from ledger.reports.formats import MEDIA_TYPES
from ledger.reports.kept_body import KeptBodies

ROUTE = "/units/{uscc}/balance"
_PREFIX, _SUFFIX = "/units/", "/balance"
#: as the route's ``as_of`` pattern (``DATE_PATTERN``), ASCII digits only
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_HEADERS = frozenset({"zh", "en"})
_READERS = frozenset({Role.case_worker, Role.inspector, Role.admin})


@dataclass(frozen=True, slots=True)
class _Asked:
    uscc: str
    as_of: str | None
    secret: str


class LeanBalance:
    """Answers the plain balance read (see the module's docstring) or says it did not."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        #: off: every read takes FastAPI's route (tests compare the two answers)
        self.enabled = True
        #: reads answered here (tests check which path answered)
        self.answered = 0
        self.bodies = KeptBodies()
        #: the route this read stands in for: its template names the read in the request
        #: log line and the metrics, as when the route answers
        self.route = next(
            r
            for r in balances.router.routes
            if isinstance(r, APIRoute) and r.endpoint is balances.balance and r.path == ROUTE
        )

    async def answer(self, scope: Scope, receive: Receive, send: Send) -> bool:
        """Sends the balance and returns True, or sends nothing and returns False."""
        if not self.enabled:
            return False
        asked = _asked(scope)
        if asked is None:
            return False
        try:
            found = await asyncio.get_running_loop().run_in_executor(None, self._read, asked)
        except Exception as exc:  # the route answers it, as it always has
            # (at debug level: the request's log line stays the one the route writes)
            get_logger().debug("lean_read_handed_on", error=repr(exc))
            return False
        if found is None:
            return False
        body, actor = found
        # what the route would have left for the request middleware: the template its
        # log line and metrics name, and the actor (auth.py's ``_bound``)
        scope["route"] = self.route
        scope.setdefault("state", {})["actor"] = actor
        structlog.contextvars.bind_contextvars(actor=actor)
        self.answered += 1
        await Response(body, media_type=MEDIA_TYPES["json"])(scope, receive, send)
        return True

    def _read(self, asked: _Asked) -> tuple[bytes, str] | None:
        """The JSON body and the actor, or None: hand the request on. Runs in a thread
        (one trip, as the route makes), the event loop's own executor: a plain hop, which
        costs less than anyio's (its capacity limiter, its context copy); nothing here
        logs, so the request's log context need not be copied."""
        state = self.app.state
        ledger: Ledger = state.ledger
        side: ReadSide = state.views
        token = ledger.kept_token(asked.secret)
        if token is None or token.role not in _READERS:
            return None
        store: SqlViewStore = side.store
        unit = store.known_unit(parse_uscc(asked.uscc, allow_bad_check=True))
        if unit is None:
            return None
        if token.role is Role.case_worker and unit.agency != token.agency:
            return None
        as_of = business_date(asked.as_of, "as_of")
        now = side.unit_now(unit.unit_id, token)
        views, kept = now.views, now.views.kept
        if not (now.fresh and now.token_active) or views.damaged or kept is None:
            return None
        if kept.through != views.last or as_of < kept.valid_from:
            return None
        # the route's body (``respond``: ``render_json`` of the table), without the rows
        # and notes the other formats take
        body = self.bodies.body(unit, kept, as_of, side.policies())
        return body, Principal(token.id, token.role, token.agency, token.name).actor


def _asked(scope: Scope) -> _Asked | None:
    """The unit, day and bearer secret of a plain balance read (None: not one)."""
    if scope["method"] != "GET":
        return None
    uscc = unit_in_path(scope, _SUFFIX)
    if uscc is None:
        return None
    query: dict[str, str] = {}
    for name, value in parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True):
        if name in query:
            return None
        query[name] = value
    as_of = query.pop("as_of", None)
    if as_of is not None and not _DAY.fullmatch(as_of):
        return None
    if query.pop("format", "json") != "json" or query.pop("headers", "zh") not in _HEADERS:
        return None
    if query:
        return None
    secret = _bearer(scope["headers"])
    return None if secret is None else _Asked(uscc, as_of, secret)


def unit_in_path(scope: Scope, suffix: str) -> str | None:
    """The ``{uscc}`` of a request for exactly ``/units/{uscc}<suffix>`` at no root path
    (as the route's template matches it: one path segment), else None."""
    path: str = scope["path"]
    if scope.get("root_path") or not (path.startswith(_PREFIX) and path.endswith(suffix)):
        return None
    uscc = path[len(_PREFIX) : -len(suffix)]
    return uscc if uscc and "/" not in uscc else None


def _bearer(headers: Any) -> str | None:
    """The secret of the first Authorization header, read as ``HTTPBearer`` reads it;
    None also for a request with a body (``BodyLimit`` may have a word to say on it)."""
    secret = None
    seen = False
    for name, value in headers:
        if name == b"authorization" and not seen:
            seen = True
            secret = bearer_secret(value.decode("latin-1"))
        elif name == b"transfer-encoding" or (name == b"content-length" and value != b"0"):
            return None
    return secret


def bearer_secret(authorization: str) -> str | None:
    """The token of an ``Authorization: Bearer <secret>`` header's value, as
    ``HTTPBearer`` reads it (the scheme in any case), else None."""
    scheme, _, given = authorization.partition(" ")
    return given.strip() if scheme.lower() == "bearer" and given.strip() else None
