"""What the ledger refuses at its edges (issue 13), on SQLite and PostgreSQL: an amount
past the one bound for money, a date outside the ledger's years. Each refusal is a 422
problem naming the field, nothing is written, and the reads of every unit keep
answering."""

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


# ------------------------------------------------------- the ledger's years (13.3)


def _get(desk: Desk, path: str, **params: str) -> object:
    headers = {"Authorization": f"Bearer {desk.tokens.case_worker}"}
    return desk.http.get(path, params=params, headers=headers)


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/reports/reminders", {"as_of": "9999-12-31"}, "as_of"),  # was 500 (OverflowError)
        ("/reports/reminders", {"as_of": "0001-01-01"}, "as_of"),
        ("/reports/deferral-list", {"month": "2150-01"}, "month"),
        ("/units/{uscc}/balance", {"known_at": "0001-01-01T00:00:00"}, "known_at"),  # was 500
        ("/units/{uscc}/balance", {"known_at": "9999-12-31"}, "known_at"),
        ("/units/{uscc}/balance", {"as_of": "1989-12-31"}, "as_of"),
        ("/units/{uscc}/audit-trail", {"since": "0001-01-01T00:00:00"}, "since"),
        ("/units/{uscc}/audit-trail", {"as_of": "2100-01-01"}, "as_of"),
    ],
)
def test_a_read_with_a_date_outside_the_ledgers_years_is_422_naming_it(
    desk: Desk, path: str, params: dict[str, str], field: str
) -> None:
    uscc = _unit_with_a_person(desk)

    refused = problem(_get(desk, path.format(uscc=uscc), **params), 422)  # type: ignore[arg-type]

    assert refused["field"] == field, refused
    _balance(desk, uscc)


@pytest.mark.parametrize(
    ("route", "body", "field"),
    [
        ("payments", {"amount": "100.00", "paid_on": "9999-12-31"}, "paid_on"),
        ("payments", {"amount": "100.00", "paid_on": "1989-12-31"}, "paid_on"),
        ("assessments", {"period": "2150-01", "assessed_on": "2099-12-31"}, "period"),
        ("assessments", {"period": "1985-01", "assessed_on": "2020-05-31"}, "period"),
        (
            "deferral-applications",
            {"periods": "2020-05..2020-06", "applied_on": "0001-01-01"},
            "applied_on",
        ),
        (
            "persons",
            {"resident_id": "", "base": "5000.00", "joined_on": "0001-01-01"},
            "joined_on",
        ),
    ],
)
def test_a_command_dated_outside_the_ledgers_years_is_422_and_writes_nothing(
    desk: Desk, route: str, body: dict[str, str], field: str
) -> None:
    uscc = _unit_with_a_person(desk)
    if "resident_id" in body:
        body = {**body, "resident_id": desk.resident_id(uscc[2:8])}
    before = desk.high_water()

    refused = problem(desk.post(f"/units/{uscc}/{route}", body), 422)

    assert refused["field"] == field, refused
    assert desk.high_water() == before
