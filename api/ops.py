"""Operations: ``/healthz`` for probes and ``/metrics`` for Prometheus.

``/healthz`` answers 200 when the event store answers and the views are within
``ReadSide.backlog`` events of it (the reads then answer at once), else 503 as problem
details saying which, with the figures either way: the store's last notification, the
views' position and the lag between them. It asks the store with a time limit, so a
probe is never held by a store that does not answer.

``/metrics`` is Prometheus's text format (``prometheus-client``):

- ``ledger_http_request_duration_seconds{method,route,status}``: a histogram of request
  latency by route *template* (``/units/{uscc}/balance``: identifiers never become
  labels; a path no route matches is ``unmatched``);
- ``ledger_commands_total{command,outcome}``: every command request (a POST that takes
  an Idempotency-Key) by its operation id and what came of it: ``recorded`` (2xx),
  ``refused`` (a rule of a policy or of law), ``invalid`` (bad input), ``conflict``,
  ``denied`` (401/403), ``not_found``, ``contention`` (503: it lost every race to
  save), ``unavailable`` (503) or ``error``;
- ``ledger_events``, ``ledger_views_position``, ``ledger_views_lag_events`` (read at the
  scrape) and ``ledger_store_up``.

Neither needs a token (a probe and a scraper have none); neither says anything about a
unit or a person. With ``ledger serve --workers N`` each process counts its own
requests in ``PROMETHEUS_MULTIPROC_DIR`` (set by ``ledger serve``) and any of them
answers a scrape with the sum (prometheus-client's multiprocess mode).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import anyio
from anyio import to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from ledger.api.problems import PROBLEM_JSON, TYPE_BASE
from ledger.api.readside import ReadSide

#: seconds a health check waits for the store
HEALTH_TIMEOUT = 5.0
#: latency buckets (seconds): a read takes milliseconds, a replay's start a little more
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

router = APIRouter(include_in_schema=False)


class Metrics:
    """The app's instruments, in a registry of its own (two apps in one process, as in
    the tests, must not share counts)."""

    def __init__(self, views: ReadSide) -> None:
        self.multiprocess = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
        # In multiprocess mode the values live in files; the scrape reads them all.
        owner = None if self.multiprocess else CollectorRegistry()
        self.requests = Histogram(
            "ledger_http_request_duration_seconds",
            "HTTP request latency by route template",
            ["method", "route", "status"],
            buckets=BUCKETS,
            registry=owner,
        )
        self.commands = Counter(
            "ledger_commands",
            "Command requests by operation id and outcome",
            ["command", "outcome"],
            registry=owner,
        )
        self._own = owner
        self._views = _ViewsCollector(views)
        #: (method, route template) -> operation id of the command routes
        self.command_routes: dict[tuple[str, str], str] | None = None

    def observe(self, method: str, route: str, status: int, seconds: float, code: str) -> None:
        self.requests.labels(method, route, str(status)).observe(seconds)
        command = (self.command_routes or {}).get((method, route))
        if command is not None:
            self.commands.labels(command, outcome(status, code)).inc()

    def exposition(self) -> bytes:
        registry = CollectorRegistry()
        if self.multiprocess:
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        else:
            assert self._own is not None
            for collector in (self.requests, self.commands):
                registry.register(collector)
        registry.register(self._views)
        return generate_latest(registry)


def outcome(status: int, code: str) -> str:
    if 200 <= status < 300:
        return "recorded"
    if status == 422 and code == "rule-violation":
        return "refused"
    if status == 503 and code == "contention":
        return "contention"
    return {
        400: "invalid",
        401: "denied",
        403: "denied",
        404: "not_found",
        409: "conflict",
        413: "invalid",
        415: "invalid",
        422: "invalid",
        503: "unavailable",
    }.get(status, "error")


def command_routes(schema: dict[str, Any]) -> dict[tuple[str, str], str]:
    """The command operations of an OpenAPI document: those taking an Idempotency-Key."""
    found = {}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            names = {p.get("name") for p in operation.get("parameters", [])}
            if "Idempotency-Key" in names:
                found[(method.upper(), path)] = operation["operationId"]
    return found


class _ViewsCollector(Collector):
    """The store's and the views' positions, read when scraped."""

    def __init__(self, views: ReadSide) -> None:
        self.views = views

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("ledger_store_up", "1 if the event store answered the scrape")
        try:
            events, position, aside = health(self.views)
        except Exception:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily(
            "ledger_events", "The event store's last notification id", value=events
        )
        yield GaugeMetricFamily(
            "ledger_views_position", "The last notification the views hold", value=position
        )
        yield GaugeMetricFamily(
            "ledger_views_lag_events",
            "Notifications recorded but not yet in the views",
            value=max(events - position, 0),
        )
        yield GaugeMetricFamily(
            "ledger_views_set_aside_events",
            "Events the views could not map or that follow a missing version: their "
            "units answer history-damaged",
            value=aside,
        )


def positions(views: ReadSide) -> tuple[int, int]:
    return views.ledger.recorder.max_notification_id() or 0, views.store.position()


def health(views: ReadSide) -> tuple[int, int, int]:
    """The positions, and how many events the views set aside (a damaged history)."""
    events, position = positions(views)
    return events, position, views.store.set_aside()


@router.get("/metrics")
def metrics(request: Request) -> Response:
    collected: Metrics = request.app.state.metrics
    return Response(collected.exposition(), media_type=CONTENT_TYPE_LATEST)


@router.get("/healthz")
async def healthz(request: Request) -> JSONResponse:
    views: ReadSide = request.app.state.views
    try:
        with anyio.fail_after(HEALTH_TIMEOUT):
            # abandoned, not awaited, when the time is up: the thread ends when the store
            # answers or its own time-out fires; the probe has its answer by then
            events, position, aside = await to_thread.run_sync(
                health, views, abandon_on_cancel=True
            )
    except TimeoutError:
        return _unhealthy(request, f"the event store did not answer within {HEALTH_TIMEOUT} s")
    except Exception as exc:
        return _unhealthy(request, f"the event store cannot be reached ({type(exc).__name__})")
    lag = max(events - position, 0)
    figures = {
        "store": "reachable",
        "events": events,
        "views_position": position,
        "views_lag": lag,
        "views_lag_limit": views.backlog,
        # not a reason for 503: every other unit answers (see ledger audit verify)
        "views_set_aside": aside,
    }
    if lag > views.backlog:
        return _unhealthy(
            request,
            f"the views are {lag} events behind the event store (more than {views.backlog}: "
            "reads answer 503 until they catch up)",
            figures,
        )
    return JSONResponse({"status": "ok", **figures}, headers={"Cache-Control": "no-store"})


def _unhealthy(
    request: Request, detail: str, figures: dict[str, Any] | None = None
) -> JSONResponse:
    body = {
        "type": TYPE_BASE + "unhealthy",
        "title": "Service Unavailable",
        "status": 503,
        "detail": detail,
        "instance": request.url.path,
        "code": "unhealthy",
        "request_id": getattr(request.state, "request_id", ""),
        **(figures or {"store": "unreachable"}),
    }
    return JSONResponse(
        body,
        status_code=503,
        media_type=PROBLEM_JSON,
        headers={"Retry-After": "5", "Cache-Control": "no-store"},
    )
