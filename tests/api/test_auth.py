"""Every route against every kind of caller: 401 without a good token, 403 for the
wrong role or agency, and nothing written either way."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from ledger.api import examples
from tests.api.conftest import CHIFENG, OTHER_AGENCY, Desk, problem

ADMIN_ROUTES: list[tuple[str, dict[str, Any]]] = [
    ("/regions", examples.REGION),
    ("/regions/150400/fund-months", examples.FUND_MONTHS),
    ("/policies", {}),
    ("/policies/chifeng-2020-3/revocation", {"revoked_on": "2020-04-01"}),
    ("/tokens", examples.TOKEN),
    ("/tokens/00000000-0000-0000-0000-000000000000/revocation", {}),
]
UNIT_ROUTES: list[tuple[str, dict[str, Any]]] = [
    ("/units/{uscc}/classification", examples.CLASSIFICATION),
    ("/units/{uscc}/assessments", examples.ASSESSMENT),
    ("/units/{uscc}/assessments/2022-07/revocation", examples.REVOCATION),
    ("/units/{uscc}/deregistration", examples.DEREGISTRATION),
    ("/units/{uscc}/deregistration/completion", examples.DEREGISTRATION_DONE),
    ("/units/{uscc}/persons", examples.JOINING),
    ("/units/{uscc}/persons/base-changes", examples.BASE_CHANGE),
    ("/units/{uscc}/persons/departures", examples.DEPARTURE),
    ("/units/{uscc}/payments", examples.PAYMENT),
    ("/units/{uscc}/deferral-applications", examples.DEFERRAL_APPLICATION),
    ("/units/{uscc}/deferral-applications/decision", examples.DEFERRAL_DECISION),
    ("/units/{uscc}/commitments", examples.COMMITMENT),
    ("/units/{uscc}/commitments/review", examples.COMMITMENT_REVIEW),
    ("/units/{uscc}/commitments/false-finding", examples.COMMITMENT_FALSE),
]
CASE_WORKER_ROUTES = [("/units", examples.UNIT), *UNIT_ROUTES]
ALL_ROUTES = ADMIN_ROUTES + CASE_WORKER_ROUTES


def _ids(routes: list[tuple[str, dict[str, Any]]]) -> list[str]:
    return [path for path, _ in routes]


@pytest.fixture
def uscc(desk: Desk) -> str:
    """A unit of the case worker's agency, in a region with the seeds' policies."""
    desk.region(CHIFENG)
    return desk.unit(CHIFENG)


def _send(desk: Desk, path: str, body: dict[str, Any], uscc: str, **kwargs: Any) -> Any:
    path = path.format(uscc=uscc)
    if path == "/policies":
        return desk.post(path, content=examples.POLICY_TOML, **kwargs)
    return desk.post(path, body, **kwargs)


def test_the_matrix_names_every_command_route(app: FastAPI) -> None:
    posts = {
        path.replace("{code}", "150400").replace("{period}", "2022-07")
        for path, operations in app.openapi()["paths"].items()
        if "post" in operations and _is_command(operations["post"])
    }
    # a replay takes a key too but records nothing; inspectors start them (test_replays.py)
    posts.discard("/replays")

    named = {
        p.replace("00000000-0000-0000-0000-000000000000", "{token_id}").replace(
            "chifeng-2020-3", "{document_id}"
        )
        for p in _ids(ALL_ROUTES)
    }
    assert named == posts


def _is_command(operation: dict[str, Any]) -> bool:
    """A POST that records something takes an Idempotency-Key; reads about a person are
    POSTs too (the resident ID stays out of URLs), without one (tests/api/test_reads.py)."""
    return any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", []))


@pytest.mark.parametrize(("path", "body"), ALL_ROUTES, ids=_ids(ALL_ROUTES))
def test_without_a_token_every_route_is_401(
    desk: Desk, uscc: str, path: str, body: dict[str, Any]
) -> None:
    before = desk.high_water()

    response = _send(desk, path, body, uscc, token=None)

    refused = problem(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert refused["code"] == "unauthenticated"
    assert desk.high_water() == before


@pytest.mark.parametrize("token", ["ldg_unknown", "not-even-ours", "x" * 500])
def test_an_unknown_token_is_401_invalid_token(desk: Desk, uscc: str, token: str) -> None:
    response = desk.post(f"/units/{uscc}/payments", examples.PAYMENT, token=token)

    problem(response, 401)
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_a_scheme_other_than_bearer_is_401(desk: Desk, uscc: str) -> None:
    response = desk.http.post(
        f"/units/{uscc}/payments",
        json=examples.PAYMENT,
        headers={"Authorization": f"Basic {desk.tokens.case_worker}", "Idempotency-Key": "k"},
    )

    problem(response, 401)


@pytest.mark.parametrize(("path", "body"), ALL_ROUTES, ids=_ids(ALL_ROUTES))
def test_inspectors_write_nothing(desk: Desk, uscc: str, path: str, body: dict[str, Any]) -> None:
    before = desk.high_water()

    refused = problem(_send(desk, path, body, uscc, token=desk.tokens.inspector), 403)

    assert refused["rule"] == "role"
    assert desk.high_water() == before


@pytest.mark.parametrize(("path", "body"), CASE_WORKER_ROUTES, ids=_ids(CASE_WORKER_ROUTES))
def test_administrators_do_not_write_the_units_records(
    desk: Desk, uscc: str, path: str, body: dict[str, Any]
) -> None:
    refused = problem(_send(desk, path, body, uscc, token=desk.tokens.admin), 403)

    assert "case worker" in refused["detail"]


@pytest.mark.parametrize(("path", "body"), ADMIN_ROUTES, ids=_ids(ADMIN_ROUTES))
def test_case_workers_do_not_administer(
    desk: Desk, uscc: str, path: str, body: dict[str, Any]
) -> None:
    refused = problem(_send(desk, path, body, uscc), 403)

    assert "administrator" in refused["detail"]


@pytest.mark.parametrize(("path", "body"), UNIT_ROUTES, ids=_ids(UNIT_ROUTES))
def test_a_case_worker_of_another_agency_may_not_touch_the_unit(
    desk: Desk, uscc: str, path: str, body: dict[str, Any]
) -> None:
    before = desk.high_water()

    refused = problem(_send(desk, path, body, uscc, token=desk.tokens.other_agency), 403)

    assert refused["rule"] == "agency"
    assert OTHER_AGENCY in refused["detail"]
    assert desk.high_water() == before


def test_a_unit_that_does_not_exist_is_not_found(desk: Desk) -> None:
    missing = desk.uscc(CHIFENG)

    refused = problem(desk.post(f"/units/{missing}/payments", examples.PAYMENT), 404)

    assert refused["field"] == "uscc"


def test_a_malformed_uscc_in_the_path_is_invalid(desk: Desk) -> None:
    refused = problem(desk.post("/units/not-a-uscc/payments", examples.PAYMENT), 422)

    assert (refused["field"], refused["rule"]) == ("uscc", "GB 32100-2015")
