"""POST /units/{uscc}/payments: what the tax bureau collected (回传)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ledger.domain.errors import InvalidValue
from ledger.domain.money import money_text
from tests.api.conftest import CHIFENG, Desk, ok, problem, types


def _assessed_february(desk: Desk) -> str:
    # Chifeng, February 2020, base 5,000.00: 150.00 medical (halved) + 50.00 + 100.00.
    desk.region(CHIFENG)
    uscc = desk.unit(CHIFENG)
    desk.person(uscc, "5000.00")
    ok(desk.post(f"/units/{uscc}/assessments", {"period": "2020-02", "assessed_on": "2020-03-02"}))
    return uscc


def test_a_payment_settles_the_assessment(desk: Desk) -> None:
    uscc = _assessed_february(desk)

    response = desk.post(f"/units/{uscc}/payments", {"amount": "300.00", "paid_on": "2020-03-10"})

    assert response.status_code == 201
    assert types(response) == ["PaymentCollected"]
    unit = desk.ledger.unit(uscc)
    assert sum((i.outstanding for i in unit.items.values()), Decimal(0)) == 0


def test_a_payment_by_item_settles_the_items_named(desk: Desk) -> None:
    uscc = _assessed_february(desk)
    body = {
        "amount": "100.00",
        "paid_on": "2020-03-10",
        "items": [{"period": "2020-02", "part": "individual", "amount": "100.00"}],
    }

    ok(desk.post(f"/units/{uscc}/payments", body), 201)

    payment = desk.events(uscc)[-1]
    assert payment.allocations == [["2020-02", "individual", "100.00"]]


def test_an_overpayment_becomes_credit(desk: Desk) -> None:
    uscc = _assessed_february(desk)

    response = desk.post(f"/units/{uscc}/payments", {"amount": "350.00", "paid_on": "2020-03-10"})

    assert types(response)[0] == "PaymentCollected"
    payment = next(e for e in desk.events(uscc) if type(e).__name__ == "PaymentCollected")
    assert payment.unallocated == Decimal("50.00")


def test_an_amount_sent_as_a_json_number_is_refused(desk: Desk) -> None:
    uscc = _assessed_february(desk)
    before = desk.high_water()

    refused = problem(
        desk.post(f"/units/{uscc}/payments", {"amount": 300.0, "paid_on": "2020-03-10"}), 422
    )

    assert (refused["field"], refused["rule"]) == ("amount", "money_string")
    assert desk.high_water() == before


@pytest.mark.parametrize("amount", ["300", "-5.00", "300.5"])
def test_an_amount_string_is_refused_in_the_words_the_cli_uses(desk: Desk, amount: str) -> None:
    uscc = _assessed_february(desk)

    refused = problem(
        desk.post(f"/units/{uscc}/payments", {"amount": amount, "paid_on": "2020-03-10"}), 422
    )

    with pytest.raises(InvalidValue) as cli:  # what `ledger unit pay U AMOUNT` says
        money_text(amount)
    assert (refused["field"], refused["rule"]) == ("amount", "money_string")
    assert cli.value.message in refused["detail"]


def test_a_zero_payment_is_refused_by_the_ledger(desk: Desk) -> None:
    uscc = _assessed_february(desk)

    refused = problem(
        desk.post(f"/units/{uscc}/payments", {"amount": "0.00", "paid_on": "2020-03-10"}), 422
    )

    assert refused["field"] == "amount"
    assert "must be positive" in refused["detail"]


def test_an_item_part_must_be_one_of_the_three(desk: Desk) -> None:
    uscc = _assessed_february(desk)
    body = {
        "amount": "100.00",
        "paid_on": "2020-03-10",
        "items": [{"period": "2020-02", "part": "unit", "amount": "100.00"}],
    }

    refused = problem(desk.post(f"/units/{uscc}/payments", body), 422)

    assert (refused["field"], refused["rule"]) == ("items[0].part", "enum")
