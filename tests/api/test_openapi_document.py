"""The OpenAPI document says what the server enforces: a request the document admits is
not refused for its form, and what the server refuses for its form the document refuses
too, so a client generated from it cannot send it.

Each case is checked both ways: against the document (JSON Schema, formats validated)
and against the server.
"""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest

from ledger.api import examples
from tests.api.conftest import Desk, problem


@pytest.fixture
def document(desk: Desk) -> dict[str, Any]:
    served: dict[str, Any] = desk.http.get("/openapi.json").json()
    return served


def admits(document: dict[str, Any], schema: dict[str, Any], value: Any) -> bool:
    root = {"components": document["components"], **schema}
    return bool(jsonschema_rs.validator_for(root, validate_formats=True).is_valid(value))


def parameter(document: dict[str, Any], path: str, method: str, name: str) -> dict[str, Any]:
    operation = document["paths"][path][method]
    found = next(p for p in operation["parameters"] if p["name"] == name)
    schema: dict[str, Any] = found["schema"]
    return schema


def body(document: dict[str, Any], path: str) -> dict[str, Any]:
    content = document["paths"][path]["post"]["requestBody"]["content"]
    schema: dict[str, Any] = content["application/json"]["schema"]
    return schema


BALANCE = "/units/{uscc}/balance"


@pytest.mark.parametrize(
    ("name", "value"),
    [("as_of", "2023-02-30"), ("as_of", "2023-13-01"), ("known_at", "yesterday")],
)
def test_a_read_clock_the_server_refuses_is_outside_the_document(
    desk: Desk, document: dict[str, Any], name: str, value: str
) -> None:
    refused = problem(
        desk.http.get(
            f"/units/{examples.CHIFENG_USCC}/balance",
            params={name: value},
            headers={"Authorization": f"Bearer {desk.tokens.inspector}"},
        ),
        422,
    )

    assert refused["field"] == name
    assert not admits(document, parameter(document, BALANCE, "get", name), value)


def test_the_read_clocks_admit_a_date_and_a_date_time(document: dict[str, Any]) -> None:
    as_of = parameter(document, BALANCE, "get", "as_of")
    known_at = parameter(document, BALANCE, "get", "known_at")

    assert admits(document, as_of, "2023-08-01")
    assert admits(document, known_at, "2023-07-31")
    assert admits(document, known_at, "2023-07-31T12:00:00+08:00")
    assert admits(
        document,
        body(document, "/persons/rights-record"),
        {
            "resident_id": examples.CHIFENG_PERSON,
            "known_at": "2023-07-31T12:00:00+08:00",
        },
    )
    assert not admits(
        document,
        body(document, "/persons/rights-record"),
        {
            "resident_id": examples.CHIFENG_PERSON,
            "known_at": "now",
        },
    )


@pytest.mark.parametrize("resident_id", ["1", "15040219850312", " 150402198503120013", "A" * 18])
def test_a_resident_id_of_the_wrong_form_is_outside_the_document(
    desk: Desk, document: dict[str, Any], resident_id: str
) -> None:
    refused = problem(
        desk.http.post(
            "/persons/rights-record",
            json={"resident_id": resident_id},
            headers={"Authorization": f"Bearer {desk.tokens.inspector}"},
        ),
        422,
    )

    assert (refused["field"], refused["rule"]) == ("resident_id", "GB 11643-1999")
    assert not admits(
        document, body(document, "/persons/rights-record"), {"resident_id": resident_id}
    )


@pytest.mark.parametrize("reason", ["50%", "%zz", "tab\there", "%E5%87"])
def test_a_reason_the_server_refuses_is_outside_the_document(
    desk: Desk, document: dict[str, Any], reason: str
) -> None:
    before = desk.high_water()
    refused = problem(
        desk.admin(
            "/regions",
            {"code": "150400", "name": "赤峰市", "parent": "150000"},
            headers={"X-Reason": reason},
        ),
        422,
    )

    assert refused["field"] == "X-Reason"
    assert desk.high_water() == before
    if reason != "%E5%87":  # a cut UTF-8 sequence: refused, beyond what a pattern can say
        assert not admits(document, parameter(document, "/regions", "post", "X-Reason"), reason)


def test_a_percent_encoded_reason_is_in_the_document(document: dict[str, Any]) -> None:
    reason = parameter(document, "/regions", "post", "X-Reason")

    assert admits(document, reason, "%E5%87%8F%E5%BE%81 2020")
    assert admits(document, reason, "")


@pytest.mark.parametrize(
    "sources",
    [
        {},
        {"policy_set": None, "files": None},
        {"policy_set": "fund-months-above-3", "files": ["[document]"]},
    ],
    ids=["neither", "both-null", "both"],
)
def test_a_replay_names_exactly_one_policy_set_in_the_document_too(
    desk: Desk, document: dict[str, Any], sources: dict[str, Any]
) -> None:
    request = {"as_of": "2020-12-31", **sources}

    problem(desk.admin("/replays", request), 422)
    assert not admits(document, body(document, "/replays"), request)


def test_a_replay_by_reference_or_inline_is_in_the_document(document: dict[str, Any]) -> None:
    replay = body(document, "/replays")

    assert admits(document, replay, {"as_of": "2020-12-31", "policy_set": "fund-months-above-3"})
    assert admits(document, replay, {"as_of": "2020-12-31", "files": ["x"], "policy_set": None})


@pytest.mark.parametrize(
    "request_body",
    [
        {"role": "admin", "agency": "150401"},
        {"role": "inspector", "agency": "150401"},
        {"role": "case_worker"},
        {"role": "case_worker", "agency": ""},
    ],
)
def test_a_token_whose_role_and_agency_disagree_is_outside_the_document(
    desk: Desk, document: dict[str, Any], request_body: dict[str, str]
) -> None:
    problem(desk.admin("/tokens", request_body), 422)
    assert not admits(document, body(document, "/tokens"), request_body)


def test_tokens_of_every_role_are_in_the_document(document: dict[str, Any]) -> None:
    tokens = body(document, "/tokens")

    assert admits(document, tokens, {"role": "case_worker", "agency": "150401"})
    assert admits(document, tokens, {"role": "admin"})
    assert admits(document, tokens, {"role": "inspector", "agency": "", "name": "审计"})
