"""One log line per request and one per use case, both with request id and actor."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from fastapi import FastAPI
from structlog.testing import capture_logs

from ledger.api import examples
from ledger.api.app import create_app
from tests.api.conftest import Desk, Prepared, ok, settings_for


@pytest.fixture
def app(prepared: Prepared) -> Iterator[FastAPI]:
    """The app logging at INFO, as in production (the other tests log warnings only)."""
    app = create_app(settings_for(prepared.store, "INFO"))
    yield app
    app.state.close()


def test_a_command_logs_its_request_and_its_use_case(desk: Desk) -> None:
    with capture_logs() as logs:
        ok(desk.admin("/regions", examples.REGION, headers={"X-Request-ID": "req-log-1"}), 201)

    requests = [e for e in logs if e["event"] == "request"]
    use_cases = [e for e in logs if e["event"] == "register_region"]
    assert len(requests) == len(use_cases) == 1
    assert requests[0]["request_id"] == use_cases[0]["request_id"] == "req-log-1"
    assert requests[0]["actor"] == use_cases[0]["actor"]
    assert requests[0]["actor"].startswith("api:admin/")
    assert (requests[0]["route"], requests[0]["status"]) == ("/regions", 201)


def test_the_request_line_names_the_route_not_the_identifiers(desk: Desk) -> None:
    with capture_logs() as logs:
        desk.post(f"/units/{examples.CHIFENG_USCC}/persons", examples.JOINING)

    (line,) = [e for e in logs if e["event"] == "request"]
    assert line["route"] == "/units/{uscc}/persons"
    assert line["status"] == 404


def test_a_refused_request_is_logged_without_a_use_case_line(desk: Desk) -> None:
    with capture_logs() as logs:
        desk.post("/regions", examples.REGION, token=None)

    assert [e["event"] for e in logs] == ["request"]
    assert (logs[0]["status"], logs[0]["actor"]) == (401, "")


def test_what_a_use_case_logs_carries_the_request_id_and_actor_bound_per_request(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Bound in the request's task (middleware, auth), seen in the thread the sync route
    # runs in: any line logged during the command carries them, not only those that
    # pass them explicitly.
    register = desk.ledger.register_region

    def logging_register(*args: Any, **kwargs: Any) -> Any:
        structlog.get_logger().info("inside the use case")
        return register(*args, **kwargs)

    monkeypatch.setattr(desk.ledger, "register_region", logging_register)

    with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        ok(desk.admin("/regions", examples.REGION, headers={"X-Request-ID": "req-ctx"}), 201)

    (inside,) = [e for e in logs if e["event"] == "inside the use case"]
    assert inside["request_id"] == "req-ctx"
    assert inside["actor"].startswith("api:admin/")
