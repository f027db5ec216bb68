"""Failures the routes themselves do not raise: routing, bodies, the store, the unexpected."""

from __future__ import annotations

from typing import Any

import pytest
from eventsourcing.persistence import OperationalError

from ledger.api import examples
from ledger.api.app import MAX_BODY
from ledger.domain.errors import Unavailable
from tests.api.conftest import Desk, problem


def test_an_unknown_path_is_a_problem_too(desk: Desk) -> None:
    refused = problem(desk.http.get("/nowhere"), 404)

    assert refused["code"] == "not-found"
    assert refused["instance"] == "/nowhere"


def test_a_method_the_route_does_not_take_is_405(desk: Desk) -> None:
    refused = problem(desk.http.delete("/regions"), 405)

    assert refused["code"] == "method-not-allowed"


def test_a_body_that_is_not_json_is_refused(desk: Desk) -> None:
    response = desk.http.post(
        "/regions",
        content=b'{"code": ',
        headers={
            "Authorization": f"Bearer {desk.tokens.admin}",
            "Idempotency-Key": "k",
            "Content-Type": "application/json",
        },
    )

    refused = problem(response, 422)
    assert refused["rule"] == "json_invalid"


def test_a_lost_store_connection_is_503_with_retry_after(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    def lost(*args: object, **kwargs: object) -> None:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(desk.ledger, "register_region", lost)

    response = desk.admin("/regions", examples.REGION)

    refused = problem(response, 503)
    assert response.headers["Retry-After"] == "5"
    assert "nothing was written" in refused["detail"]


def test_an_unreachable_store_is_503(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    def unreachable(*args: object, **kwargs: object) -> None:
        raise Unavailable("the event store cannot be reached: connection refused")

    monkeypatch.setattr(desk.ledger, "register_region", unreachable)

    refused = problem(desk.admin("/regions", examples.REGION), 503)

    assert refused["code"] == "store-unavailable"


def test_an_unexpected_error_is_a_500_problem_naming_the_request(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(desk.ledger, "register_region", broken)

    response = desk.admin("/regions", examples.REGION, headers={"X-Request-ID": "req-bug"})

    refused = problem(response, 500)
    assert "req-bug" in refused["detail"]
    assert "a bug" not in refused["detail"]


def test_the_openapi_document_and_the_docs_are_served(desk: Desk) -> None:
    document = desk.http.get("/openapi.json").json()
    docs = desk.http.get("/docs")

    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
    payment = document["components"]["schemas"]["PaymentCollection"]
    assert payment["examples"][0] == examples.PAYMENT
    assert document["components"]["schemas"]["PaymentItem"]["properties"]["amount"]["type"] == (
        "string"
    )


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_over_the_limit_is_413(desk: Desk, chunked: bool) -> None:
    chunk = b" " * (1024 * 1024)
    count = MAX_BODY // len(chunk) + 1
    body: Any = (chunk for _ in range(count)) if chunked else chunk * count

    response = desk.http.post(
        "/policies",
        content=body,
        headers={
            "Authorization": f"Bearer {desk.tokens.admin}",
            "Idempotency-Key": "big",
            "Content-Type": "application/toml",
        },
    )

    refused = problem(response, 413)
    assert refused["code"] == "request-entity-too-large"
