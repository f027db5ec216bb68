"""Idempotency keys, nothing written on failure, and what every event records.

On SQLite and PostgreSQL: the idempotency record is saved with the events in one
atomic save, and that is the store's work.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from eventsourcing.persistence import IntegrityError

from ledger.domain.token import token_digest, token_id
from ledger.usecases import stored
from tests.api.conftest import AGENCY, CHIFENG, SETUP, Desk, Prepared, ok, prepare, problem, types
from tests.conftest import StoreConfig

PAYMENT = {"amount": "300.00", "paid_on": "2020-03-10"}


@pytest.fixture
def prepared(store: StoreConfig) -> Prepared:
    return Prepared(store, prepare(store))


@pytest.fixture
def uscc(desk: Desk) -> str:
    """Chifeng, February 2020 assessed: 300.00 owed after the reduction."""
    desk.region(CHIFENG)
    uscc = desk.unit(CHIFENG)
    desk.person(uscc, "5000.00")
    ok(desk.post(f"/units/{uscc}/assessments", {"period": "2020-02", "assessed_on": "2020-03-02"}))
    return uscc


def test_a_retry_returns_the_first_response_and_records_nothing_more(desk: Desk, uscc: str) -> None:
    first = desk.post(f"/units/{uscc}/payments", PAYMENT, key="tax-2020-03-10")
    after_first = desk.high_water()

    again = desk.post(f"/units/{uscc}/payments", PAYMENT, key="tax-2020-03-10")

    assert (
        (again.status_code, again.json())
        == (first.status_code, first.json())
        == (
            201,
            {"command": "collect_payment", "events": [{"type": "PaymentCollected", "version": 5}]},
        )
    )
    assert desk.high_water() == after_first


def test_the_same_key_with_another_body_is_409_and_writes_nothing(desk: Desk, uscc: str) -> None:
    ok(desk.post(f"/units/{uscc}/payments", PAYMENT, key="tax-1"), 201)
    before = desk.high_water()

    refused = problem(
        desk.post(f"/units/{uscc}/payments", {**PAYMENT, "amount": "100.00"}, key="tax-1"), 409
    )

    assert "tax-1" in refused["detail"]
    assert "used for a different request" in refused["detail"]
    assert desk.high_water() == before


def test_keys_are_the_clients_own(desk: Desk, uscc: str) -> None:
    colleague = desk.ledger.issue_token(role="case_worker", agency=AGENCY, actor=SETUP).secret
    ok(desk.post(f"/units/{uscc}/payments", PAYMENT, key="1"), 201)

    theirs = desk.post(f"/units/{uscc}/payments", PAYMENT, key="1", token=colleague)

    assert types(theirs) == ["PaymentCollected"]
    assert theirs.json()["events"][0]["version"] == 6


def test_a_post_without_an_idempotency_key_is_400_and_writes_nothing(desk: Desk, uscc: str) -> None:
    before = desk.high_water()

    refused = problem(desk.post(f"/units/{uscc}/payments", PAYMENT, key=None), 400)
    malformed = problem(desk.post(f"/units/{uscc}/payments", PAYMENT, key="two words"), 422)

    assert (refused["field"], refused["rule"]) == ("Idempotency-Key", "idempotency-key.required")
    assert malformed["field"] == "Idempotency-Key"
    assert desk.high_water() == before


def test_a_failed_request_leaves_its_key_free_for_the_retry(desk: Desk) -> None:
    desk.region(CHIFENG)
    missing = desk.uscc(CHIFENG)
    joining = {
        "resident_id": desk.resident_id("150402"),
        "base": "5000.00",
        "joined_on": "2020-01-01",
    }
    problem(desk.post(f"/units/{missing}/persons", joining, key="join-1"), 404)
    ok(
        desk.post(
            "/units",
            {
                "uscc": missing,
                "name": "x",
                "region": CHIFENG,
                "agency": AGENCY,
                "established_on": "2012-05-01",
            },
        ),
        201,
    )

    retried = desk.post(f"/units/{missing}/persons", joining, key="join-1")

    assert types(retried) == ["PersonJoined"]


def test_a_rule_violation_writes_nothing(desk: Desk, uscc: str) -> None:
    before = desk.high_water()

    problem(
        desk.post(
            f"/units/{uscc}/deferral-applications",
            {"periods": "2020-05..2020-10", "applied_on": "2020-05-06"},
        ),
        422,
    )

    assert desk.high_water() == before


def test_every_event_records_the_actor_the_request_id_and_the_reason(desk: Desk) -> None:
    desk.region(CHIFENG)
    uscc = desk.unit(CHIFENG)
    desk.person(uscc, "5000.00")
    headers = {
        "X-Request-ID": "req-2020-03-02-0001",
        "X-Reason": quote("2月核定 (赤医保发〔2020〕3号)"),
    }

    response = desk.post(
        f"/units/{uscc}/assessments",
        {"period": "2020-02", "assessed_on": "2020-03-02"},
        headers=headers,
    )

    assert response.headers["X-Request-ID"] == "req-2020-03-02-0001"
    recorded = desk.events(uscc)[-len(types(response)) :]
    assert [type(e).__name__ for e in recorded] == ["PeriodAssessed", "ReductionApplied"]
    acting = token_id(token_digest(desk.tokens.case_worker))
    for event in recorded:
        assert event.request_id == "req-2020-03-02-0001"
        assert event.reason == "2月核定 (赤医保发〔2020〕3号)"
        assert event.actor == f"api:case_worker/{acting}"


def test_a_request_id_is_made_when_none_or_a_strange_one_is_sent(desk: Desk, uscc: str) -> None:
    none = desk.post(f"/units/{uscc}/payments", PAYMENT)
    strange = desk.post(f"/units/{uscc}/payments", PAYMENT, headers={"X-Request-ID": "a b;c"})

    made = [none.headers["X-Request-ID"], strange.headers["X-Request-ID"]]
    assert all(len(r) == 32 and r.isalnum() for r in made)
    assert desk.events(uscc)[-1].request_id == made[1]


def test_a_reason_too_long_is_refused(desk: Desk, uscc: str) -> None:
    refused = problem(
        desk.post(f"/units/{uscc}/payments", PAYMENT, headers={"X-Reason": "x" * 501}), 422
    )

    assert refused["field"] == "X-Reason"


def test_a_command_that_loses_every_race_is_contention_with_retry_after(
    desk: Desk, uscc: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every save finds the store changed under it (another desk saving first each time).
    def lost(events: object) -> None:
        raise IntegrityError("duplicate key value violates unique constraint")

    # what every group's and every batch's transaction goes through
    monkeypatch.setattr(desk.ledger.group_commit, "_save", lost)
    monkeypatch.setattr(stored, "BACKOFF", 0.0)
    before = desk.high_water()

    response = desk.post(f"/units/{uscc}/payments", PAYMENT)

    refused = problem(response, 503)
    # its own type, not 409 `conflict` (which a retry cannot cure): retry after a moment
    assert (refused["code"], refused["type"].rsplit("/", 1)[1]) == ("contention", "contention")
    assert int(response.headers["Retry-After"]) >= 1
    assert desk.high_water() == before
