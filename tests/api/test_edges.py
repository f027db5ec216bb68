"""What the ledger refuses at its edges (issue 13), on SQLite and PostgreSQL: an amount
past the one bound for money, … Each refusal is a 422 problem naming the field, nothing
is written, and the reads of every unit keep answering."""

from __future__ import annotations

import re

import pytest

from tests.api.conftest import CHIFENG, Desk, Prepared, ok, prepare, problem
from tests.conftest import StoreConfig

LARGEST = "99999999999.99"


@pytest.fixture
def prepared(store: StoreConfig) -> Prepared:
    return Prepared(store, prepare(store))


def _balance(desk: Desk, uscc: str) -> dict[str, object]:
    headers = {"Authorization": f"Bearer {desk.tokens.case_worker}"}
    return ok(
        desk.http.get(f"/units/{uscc}/balance", params={"as_of": "2020-07-31"}, headers=headers)
    )


def _unit_with_a_person(desk: Desk) -> str:
    desk.region(CHIFENG)
    uscc = desk.unit(CHIFENG)
    desk.person(uscc, "5000.00")
    return uscc


# ---------------------------------------------------------------- money (13.1)


def test_a_payment_past_the_largest_amount_is_refused_and_reads_keep_answering(
    desk: Desk,
) -> None:
    uscc = _unit_with_a_person(desk)
    ok(desk.post(f"/units/{uscc}/assessments", {"period": "2020-06", "assessed_on": "2020-07-02"}))
    before = desk.high_water()

    refused = problem(
        desk.post(
            f"/units/{uscc}/payments", {"amount": "5000000000000.00", "paid_on": "2020-06-10"}
        ),
        422,
    )

    assert refused["field"] == "amount"
    assert desk.high_water() == before
    ok(desk.post(f"/units/{uscc}/payments", {"amount": LARGEST, "paid_on": "2020-07-10"}), 201)
    balance = _balance(desk, uscc)  # the views hold the largest amount, on PostgreSQL too
    # June: 350.00 unit part + 100.00 individual part settled, the rest held as credit
    assert balance["credit_held"] == "99999999549.99"


def test_a_base_past_the_largest_amount_is_refused(desk: Desk) -> None:
    uscc = _unit_with_a_person(desk)
    rid = desk.resident_id(uscc[2:8])
    before = desk.high_water()

    refused = problem(
        desk.post(
            f"/units/{uscc}/persons",
            {"resident_id": rid, "base": "1000000000000.00", "joined_on": "2020-01-01"},
        ),
        422,
    )

    assert refused["field"] == "base"
    assert desk.high_water() == before


def test_an_assessment_whose_unit_total_would_pass_the_largest_amount_is_refused(
    desk: Desk,
) -> None:
    uscc = _unit_with_a_person(desk)
    # 17 persons at the largest base: 6% of each is 6,000,000,000.00, 102 billion in all
    lines = [{"resident_id": desk.resident_id(uscc[2:8]), "base": LARGEST} for _ in range(17)]
    before = desk.high_water()

    refused = problem(
        desk.post(
            f"/units/{uscc}/assessments",
            {"period": "2020-06", "assessed_on": "2020-07-02", "lines": lines},
        ),
        422,
    )

    assert refused["field"] == "base"
    assert "unit_medical" in refused["detail"]
    assert desk.high_water() == before
    ok(
        desk.post(
            f"/units/{uscc}/assessments",
            {"period": "2020-06", "assessed_on": "2020-07-02", "lines": lines[:16]},
        )
    )
    _balance(desk, uscc)


def test_the_openapi_document_bounds_money_as_the_server_does(desk: Desk) -> None:
    document = ok(desk.http.get("/openapi.json"))
    pattern = document["components"]["schemas"]["PaymentCollection"]["properties"]["amount"][
        "pattern"
    ]

    assert re.fullmatch(pattern, LARGEST)
    assert not re.fullmatch(pattern, "100000000000.00")
