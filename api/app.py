"""``create_app(settings)``: the FastAPI application over one ledger.

The ledger is built once, here, from the settings it is given (nothing is read or
connected at import time), kept on ``app.state`` and closed when the server stops.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from ledger import __version__
from ledger.api import desk, docs, ops, problems
from ledger.api.lean import LeanBalance
from ledger.api.lean_payment import LeanPayment
from ledger.api.middleware import BodyLimit, RequestContext
from ledger.api.readside import ReadSide
from ledger.api.replays import ReplayJobs
from ledger.api.routers import (
    audit,
    balances,
    commitments,
    deferrals,
    payments,
    persons,
    policies,
    regions,
    replays,
    reports,
    rights,
    tokens,
    units,
)
from ledger.bootstrap import build_ledger, open_view_store
from ledger.settings import Settings

#: an assessment of a large unit carries one line per person; 16 MiB is ~300,000 lines
MAX_BODY = 16 * 1024 * 1024

DESCRIPTION = """\
The contribution ledger over HTTP: case workers' commands, and the views (balances
and late fees, personal-rights records, the audit trail, the exchange reports) for
case workers and inspectors.

* **Authentication**: `Authorization: Bearer <token>`, tokens from
  `ledger token create --role case_worker|inspector|admin [--agency CODE]`.
  Case workers write the units of their own agency; administrators register
  regions, declare fund months, enact policies and manage tokens; inspectors write
  nothing. Every role reads; a case worker reads their own agency's units only.
  Missing or bad token: 401; wrong role or agency: 403.
* **Reads** take `as_of` (the business date figures are computed for; default today,
  China Standard Time) and `known_at` (only what was recorded by that instant). They
  see everything recorded before the request. Reads about a person are POSTs with the
  resident ID in the body (never in a URL); they record nothing.
* **Commands** are POSTs and need an `Idempotency-Key` header (400 without): a retry
  with the same key and body returns the first response, the same key with another
  body is 409. `X-Reason` (optional) is recorded in every event, with the actor and
  the request id (`X-Request-ID`, taken from the request or made, and echoed).
* **Money** is a JSON string with two decimals (`"1350.00"`); JSON numbers are
  refused. Dates are `YYYY-MM-DD`, contribution periods `YYYY-MM`.
* **Errors** are problem details (RFC 9457, `application/problem+json`) naming the
  field and the rule; a refusal by a policy names the rule and the figures.
  Nothing is written when a request fails.
"""

ROUTERS = (
    regions,
    policies,
    units,
    persons,
    payments,
    deferrals,
    commitments,
    tokens,
    balances,
    audit,
    rights,
    reports,
    replays,
)


class LedgerAPI(FastAPI):
    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            schema = super().openapi()
            _document_json_bodies(schema)
            _document_clocks(schema)
            _document_problems(schema)
            _require_idempotency_key(schema)
        return self.openapi_schema or {}


def create_app(settings: Settings) -> FastAPI:
    ledger = build_ledger(settings)
    views = ReadSide(ledger, open_view_store(settings, ledger))
    replay_jobs = ReplayJobs(ledger)

    def close() -> None:
        # In this order: a replay still running reads the ledger's connection, and
        # closing a SQLite connection under a query in another thread crashes the process.
        replay_jobs.close()
        views.close()
        ledger.close()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        views.start_background()  # a long history is projected while the server serves
        views.follow()  # and what is recorded from then on, between reads
        yield
        close()

    app = LedgerAPI(
        title="Medical-insurance contribution ledger",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served with local assets by ledger.api.docs
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.ledger = ledger
    app.state.views = views
    app.state.replays = replay_jobs
    app.state.close = close
    app.state.metrics = ops.Metrics(views)
    problems.install(app)
    # The last added is the outermost: the request id is set before the size is checked.
    app.add_middleware(BodyLimit, max_body=MAX_BODY)
    app.state.lean = LeanBalance(app)
    app.state.lean_payment = LeanPayment(app)
    app.state.lean.enabled = app.state.lean_payment.enabled = settings.lean
    app.add_middleware(RequestContext, lean=app.state.lean, payment=app.state.lean_payment)
    for module in ROUTERS:
        app.include_router(module.router)
    app.include_router(ops.router)
    docs.install(app)
    desk.install(app)
    return app


def from_environment() -> FastAPI:
    """The app on the LEDGER_* settings: the factory ``ledger serve --workers N`` runs."""
    return create_app(Settings())


def _operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return [op for path in schema.get("paths", {}).values() for op in path.values()]


def _document_json_bodies(schema: dict[str, Any]) -> None:
    """A route with a JSON body may answer 400 (not JSON) and 415 (not sent as JSON):
    ``ledger.api.jsonbody``."""
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    why = {
        "400": "the body is not JSON: not UTF-8, not well formed, or a key twice in an object"
        " (or, for a command, Idempotency-Key missing)",
        "415": "the body is not sent as application/json",
    }
    for operation in _operations(schema):
        if "application/json" not in operation.get("requestBody", {}).get("content", {}):
            continue
        responses = operation.setdefault("responses", {})
        for status, description in why.items():
            responses[status] = {
                "description": description,
                "content": {"application/json": {"schema": problem_ref}},
            }


#: the formats of the read clocks, wherever they are named (``ledger.clocks``): ``as_of``
#: is a date; ``known_at``, ``since`` and ``until`` are instants, a date-time (naive =
#: China Standard Time) or a date (the end of that day)
_CLOCK_FORMATS: dict[str, dict[str, Any]] = {
    "as_of": {"format": "date"},
    "known_at": {"anyOf": [{"format": "date-time"}, {"format": "date"}]},
    "since": {"anyOf": [{"format": "date-time"}, {"format": "date"}]},
    "until": {"anyOf": [{"format": "date-time"}, {"format": "date"}]},
}


def _document_clocks(schema: dict[str, Any]) -> None:
    """Dates and instants travel as strings the routes parse (so that a bad one is a
    problem naming the field); the document says which strings."""
    named: list[tuple[str, dict[str, Any]]] = [
        (p["name"], p["schema"])
        for op in _operations(schema)
        for p in op.get("parameters", [])
        if p.get("in") == "query"
    ]
    components = schema.get("components", {}).get("schemas", {})
    for operation in _operations(schema):
        for content in operation.get("requestBody", {}).get("content", {}).values():
            ref = content.get("schema", {}).get("$ref", "")
            # request bodies only: a response's ``known_at`` is written by the ledger
            if ref.startswith("#/components/schemas/"):
                component = components[ref.rsplit("/", 1)[1]]
                named += list(component.get("properties", {}).items())
    for name, field in named:
        if name not in _CLOCK_FORMATS:
            continue
        for branch in field.get("anyOf", [field]):
            if branch.get("type") == "string" and "format" not in branch:
                branch.update(_CLOCK_FORMATS[name])


def _document_problems(schema: dict[str, Any]) -> None:
    """Error responses are ``application/problem+json``, not FastAPI's application/json."""
    for operation in _operations(schema):
        for status, response in operation.get("responses", {}).items():
            content = response.get("content", {})
            if status[0] in "45" and "application/json" in content:
                content[problems.PROBLEM_JSON] = content.pop("application/json")


def _require_idempotency_key(schema: dict[str, Any]) -> None:
    """The header is optional to FastAPI only so that a missing key can answer 400
    (draft-ietf-httpapi-idempotency-key-header) rather than a generic 422."""
    for operation in _operations(schema):
        for parameter in operation.get("parameters", []):
            if parameter.get("in") == "header" and parameter.get("name") == "Idempotency-Key":
                parameter["required"] = True
                # ``str | None`` gives anyOf [string, null]; a header is never null.
                branches = parameter["schema"].pop("anyOf", [])
                parameter["schema"].update(next(b for b in branches if b.get("type") == "string"))
