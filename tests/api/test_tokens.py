"""/tokens: administrators issue, list and revoke bearer tokens."""

from __future__ import annotations

import asyncio
from uuid import UUID

import httpx
from fastapi import FastAPI

from ledger.bootstrap import build_ledger
from ledger.domain.token import Token
from tests.api.conftest import (
    AGENCY,
    CHIFENG,
    SETUP,
    Desk,
    Prepared,
    ok,
    problem,
    settings_for,
)


def test_an_issued_token_is_shown_once_and_works(desk: Desk) -> None:
    desk.region(CHIFENG)

    issued = ok(
        desk.admin("/tokens", {"role": "case_worker", "agency": AGENCY, "name": "王芳"}), 201
    )
    used = desk.unit(CHIFENG, token=issued["token"])

    assert issued["token"].startswith("ldg_")
    assert (issued["role"], issued["agency"], issued["name"]) == ("case_worker", AGENCY, "王芳")
    assert desk.ledger.unit(used).agency == AGENCY


def test_only_the_digest_of_a_token_is_stored(desk: Desk) -> None:
    issued = ok(desk.admin("/tokens", {"role": "inspector", "name": "审计"}), 201)

    events = list(desk.ledger.events.get(UUID(issued["token_id"])))

    assert isinstance(events[0], Token.Issued)
    assert issued["token"] not in repr(events)


def test_a_retry_answers_the_same_token_id_without_the_token(desk: Desk) -> None:
    body = {"role": "inspector", "name": "审计"}

    first = ok(desk.admin("/tokens", body, key="issue-1"), 201)
    again = ok(desk.admin("/tokens", body, key="issue-1"), 201)

    assert again == {**first, "token": None}


def test_a_case_workers_token_names_an_agency_and_only_theirs_does(desk: Desk) -> None:
    no_agency = problem(desk.admin("/tokens", {"role": "case_worker"}), 422)
    inspector_with_one = problem(desk.admin("/tokens", {"role": "inspector", "agency": "1"}), 422)
    unknown_role = problem(desk.admin("/tokens", {"role": "auditor"}), 422)

    assert no_agency["field"] == inspector_with_one["field"] == "agency"
    assert (unknown_role["field"], unknown_role["rule"]) == ("role", "enum")


def test_tokens_are_listed_without_their_secrets(desk: Desk) -> None:
    response = desk.http.get("/tokens", headers={"Authorization": f"Bearer {desk.tokens.admin}"})

    listed = response.json()
    assert response.status_code == 200
    assert {t["role"] for t in listed} == {"admin", "inspector", "case_worker"}
    assert all(
        set(t) == {"token_id", "role", "agency", "name", "issued_at", "revoked_at"} for t in listed
    )


def test_a_revoked_token_is_refused_from_then_on(desk: Desk) -> None:
    issued = ok(desk.admin("/tokens", {"role": "admin", "name": "temp"}), 201)

    revoked = desk.admin(f"/tokens/{issued['token_id']}/revocation")
    after = problem(desk.post("/tokens", {"role": "admin"}, token=issued["token"]), 401)

    assert [e["type"] for e in ok(revoked)["events"]] == ["Revoked"]
    assert after["code"] == "unauthenticated"


def test_a_token_revoked_by_another_process_is_refused_at_its_next_use(
    desk: Desk, prepared: Prepared
) -> None:
    desk.region(CHIFENG)
    balance = f"/units/{desk.unit(CHIFENG)}/balance"
    issued = ok(desk.admin("/tokens", {"role": "inspector", "name": "temp"}), 201)
    reader = {"Authorization": f"Bearer {issued['token']}"}
    before = desk.http.get("/regions", headers=reader)  # the server now keeps the token
    read_before = desk.http.get(balance, headers=reader)
    elsewhere = build_ledger(settings_for(prepared.store), configure_logs=False)
    try:  # as ``ledger token revoke`` or another ``ledger serve`` worker would
        elsewhere.revoke_token(issued["token_id"], SETUP)
    finally:
        elsewhere.close()

    read_after = problem(desk.http.get(balance, headers=reader), 401)
    after = problem(desk.http.get("/regions", headers=reader), 401)

    assert before.status_code == read_before.status_code == 200
    assert after["code"] == read_after["code"] == "unauthenticated"


def test_a_token_revoked_by_another_process_records_no_command_at_its_next_use(
    desk: Desk, prepared: Prepared
) -> None:
    desk.region(CHIFENG)
    issued = ok(
        desk.admin("/tokens", {"role": "case_worker", "agency": AGENCY, "name": "temp"}), 201
    )
    uscc = desk.unit(CHIFENG, token=issued["token"])  # the server now keeps the token
    payment = {"amount": "10.00", "paid_on": "2020-03-10"}
    ok(desk.post(f"/units/{uscc}/payments", payment, token=issued["token"]), 201)
    elsewhere = build_ledger(settings_for(prepared.store), configure_logs=False)
    try:  # as ``ledger token revoke`` or another ``ledger serve`` worker would
        elsewhere.revoke_token(issued["token_id"], SETUP)
    finally:
        elsewhere.close()
    high_water = desk.high_water()

    refused = problem(desk.post(f"/units/{uscc}/payments", payment, token=issued["token"]), 401)
    other_unit = problem(
        desk.post(f"/units/{desk.uscc(CHIFENG)}/payments", payment, token=issued["token"]), 401
    )

    assert refused["code"] == other_unit["code"] == "unauthenticated"
    assert desk.high_water() == high_water


def test_revoking_twice_is_a_conflict_and_an_unknown_id_is_not_found(desk: Desk) -> None:
    issued = ok(desk.admin("/tokens", {"role": "inspector"}), 201)
    ok(desk.admin(f"/tokens/{issued['token_id']}/revocation"))

    twice = problem(desk.admin(f"/tokens/{issued['token_id']}/revocation"), 409)
    unknown = problem(desk.admin("/tokens/00000000-0000-0000-0000-000000000000/revocation"), 404)
    not_an_id = problem(desk.admin("/tokens/abc/revocation"), 422)

    assert "was revoked" in twice["detail"]
    assert unknown["field"] == not_an_id["field"] == "token_id"


def test_a_unit_id_is_not_a_token_id(desk: Desk) -> None:
    desk.region(CHIFENG)
    uscc = desk.unit(CHIFENG)
    unit_id = desk.ledger.unit(uscc).id

    refused = problem(desk.admin(f"/tokens/{unit_id}/revocation"), 404)

    assert refused["field"] == "token_id"


def test_only_administrators_manage_tokens(desk: Desk) -> None:
    by_case_worker = problem(desk.post("/tokens", {"role": "admin"}), 403)
    listing = desk.http.get("/tokens", headers={"Authorization": f"Bearer {desk.tokens.inspector}"})

    assert by_case_worker["rule"] == "role"
    assert listing.status_code == 403


def test_a_token_revoked_after_a_command_is_refused_by_a_read_in_the_same_task(
    desk: Desk, app: FastAPI, prepared: Prepared
) -> None:
    # An in-process ASGI client runs every request in the caller's own task and context:
    # a command's mark (its handler confirms the token) must not outlive its request,
    # or a later read there would take the kept token unconfirmed.
    desk.region(CHIFENG)
    issued = ok(
        desk.admin("/tokens", {"role": "case_worker", "agency": AGENCY, "name": "temp"}), 201
    )
    uscc = desk.unit(CHIFENG, token=issued["token"])
    headers = {"Authorization": f"Bearer {issued['token']}", "Idempotency-Key": "k-1"}
    payment = {"amount": "10.00", "paid_on": "2020-03-10"}

    async def pay_then_read() -> tuple[int, int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ledger.test") as c:
            paid = await c.post(f"/units/{uscc}/payments", json=payment, headers=headers)
            elsewhere = build_ledger(settings_for(prepared.store), configure_logs=False)
            try:
                elsewhere.revoke_token(issued["token_id"], SETUP)
            finally:
                elsewhere.close()
            read = await c.get("/regions", headers={"Authorization": headers["Authorization"]})
            return paid.status_code, read.status_code

    assert asyncio.run(pay_then_read()) == (201, 401)
