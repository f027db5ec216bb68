"""Failures the routes themselves do not raise: routing, bodies, the store, the unexpected."""

from __future__ import annotations

import json
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


def test_a_method_the_route_does_not_take_is_405_naming_every_method_it_takes(
    desk: Desk,
) -> None:
    response = desk.http.delete("/regions")

    refused = problem(response, 405)
    assert refused["code"] == "method-not-allowed"
    # GET /regions and POST /regions are two routes; Starlette named only the first.
    assert response.headers["Allow"] == "GET, POST"


def _post_region(desk: Desk, body: bytes, content_type: str | None) -> Any:
    """POST /regions with raw bytes; refused, it must leave the log where it was."""
    headers = {"Authorization": f"Bearer {desk.tokens.admin}", "Idempotency-Key": "k"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    return desk.http.post("/regions", content=body, headers=headers)


REGION = {"code": "150400", "name": "赤峰市", "parent": "150000"}


def test_a_body_that_is_not_json_is_400_as_the_readme_says(desk: Desk) -> None:
    before = desk.high_water()
    refused = problem(_post_region(desk, b'{"code": ', "application/json"), 400)

    assert refused["code"] == "malformed-json"
    assert refused["rule"] == "json_invalid"
    assert desk.high_water() == before


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_body_sent_as_another_media_type_is_415(desk: Desk, content_type: str | None) -> None:
    body = json.dumps(REGION).encode()

    before = desk.high_water()
    refused = problem(_post_region(desk, body, content_type), 415)

    assert refused["field"] == "Content-Type"
    assert desk.high_water() == before


def test_a_key_sent_twice_is_refused_rather_than_the_last_taken(desk: Desk) -> None:
    body = b'{"code": "150400", "name": "x", "parent": "150000", "code": "530900"}'

    before = desk.high_water()
    refused = problem(_post_region(desk, body, "application/json"), 400)

    assert "'code' appears twice" in refused["detail"]
    assert desk.high_water() == before


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32", "utf-8-sig"])
def test_a_body_in_another_encoding_than_utf8_is_refused(desk: Desk, encoding: str) -> None:
    body = json.dumps(REGION, ensure_ascii=False).encode(encoding)

    before = desk.high_water()
    refused = problem(_post_region(desk, body, "application/json"), 400)

    assert refused["code"] == "malformed-json"
    assert desk.high_water() == before


def test_a_plain_utf8_body_still_registers(desk: Desk) -> None:
    body = json.dumps(REGION, ensure_ascii=False).encode()

    assert _post_region(desk, body, "application/json; charset=utf-8").status_code == 201


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
