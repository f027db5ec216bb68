"""Persons of a unit: join, base change, departure (resident IDs in bodies, not URLs)."""

from __future__ import annotations

from ledger.domain.identifiers import resident_id_check_char
from tests.api.conftest import LINCANG, WUHAI, Desk, ok, problem, types


def test_a_person_joins_with_a_base(desk: Desk) -> None:
    desk.region(LINCANG)
    uscc = desk.unit(LINCANG)
    rid = desk.resident_id("530902")

    response = desk.post(
        f"/units/{uscc}/persons",
        {"resident_id": rid, "base": "4000.00", "joined_on": "2016-03-01"},
    )

    assert response.status_code == 201
    assert types(response) == ["PersonJoined"]
    assert str(desk.ledger.unit(uscc).members[rid].base) == "4000.00"


def test_a_resident_id_with_a_wrong_check_character_names_the_standard(desk: Desk) -> None:
    desk.region(LINCANG)
    uscc = desk.unit(LINCANG)
    rid = desk.resident_id("530902")
    wrong = rid[:-1] + ("0" if rid[-1] != "0" else "1")

    refused = problem(
        desk.post(
            f"/units/{uscc}/persons",
            {"resident_id": wrong, "base": "4000.00", "joined_on": "2016-03-01"},
        ),
        422,
    )

    assert (refused["field"], refused["rule"]) == ("resident_id", "GB 11643-1999")
    assert rid[6:14] not in refused["detail"]  # the birth date is masked


def test_a_base_must_be_a_string_with_exactly_two_decimals(desk: Desk) -> None:
    desk.region(LINCANG)
    uscc = desk.unit(LINCANG)
    rid = desk.resident_id("530902")
    path = f"/units/{uscc}/persons"

    as_number = problem(
        desk.post(path, {"resident_id": rid, "base": 4000, "joined_on": "2016-03-01"}), 422
    )
    one_decimal = problem(
        desk.post(path, {"resident_id": rid, "base": "4000.5", "joined_on": "2016-03-01"}), 422
    )
    zero = problem(
        desk.post(path, {"resident_id": rid, "base": "0.00", "joined_on": "2016-03-01"}), 422
    )

    assert as_number["rule"] == one_decimal["rule"] == "money_string"
    assert (zero["field"], zero["code"]) == ("base", "invalid-value")


def test_a_person_joining_twice_is_a_conflict(desk: Desk) -> None:
    desk.region(LINCANG)
    uscc = desk.unit(LINCANG)
    rid = desk.person(uscc)

    refused = problem(
        desk.post(
            f"/units/{uscc}/persons",
            {"resident_id": rid, "base": "4000.00", "joined_on": "2016-03-01"},
        ),
        409,
    )

    assert refused["field"] == "resident_id"


def test_a_base_change_applies_from_its_period(desk: Desk) -> None:
    desk.region(LINCANG)
    uscc = desk.unit(LINCANG)
    rid = desk.person(uscc, "4000.00")

    response = desk.post(
        f"/units/{uscc}/persons/base-changes",
        {"resident_id": rid, "base": "4500.00", "since": "2020-07"},
    )

    assert types(response) == ["BaseChanged"]


def test_a_base_change_for_a_stranger_is_a_conflict(desk: Desk) -> None:
    desk.region(LINCANG)
    uscc = desk.unit(LINCANG)

    refused = problem(
        desk.post(
            f"/units/{uscc}/persons/base-changes",
            {"resident_id": desk.resident_id("530902"), "base": "4500.00", "since": "2020-07"},
        ),
        409,
    )

    assert "not a current member" in refused["detail"]


def test_a_resignation_calls_the_persons_deferred_unit_part_due(desk: Desk) -> None:
    # Wuhai 2022: a small retailer defers July..September; a resignation in October calls
    # that person's deferred unit part due (医保发〔2022〕21号 四).
    desk.region(WUHAI, fund_months=10)
    uscc = desk.unit(WUHAI)
    rid = desk.person(uscc, "6000.00")
    ok(
        desk.post(
            f"/units/{uscc}/classification",
            {"industry": "other", "size_class": "small", "classified_on": "2022-07-20"},
        )
    )
    ok(desk.post(f"/units/{uscc}/assessments", {"period": "2022-07", "assessed_on": "2022-07-05"}))

    response = desk.post(
        f"/units/{uscc}/persons/departures",
        {"resident_id": rid, "trigger": "resignation", "left_on": "2022-10-20"},
    )

    assert types(response) == ["PersonLeft", "DeferredAmountCalledDue"]


def test_a_departure_takes_one_of_three_triggers(desk: Desk) -> None:
    desk.region(LINCANG)
    uscc = desk.unit(LINCANG)
    rid = desk.person(uscc)

    refused = problem(
        desk.post(
            f"/units/{uscc}/persons/departures",
            {"resident_id": rid, "trigger": "deregistration", "left_on": "2020-10-20"},
        ),
        422,
    )

    assert (refused["field"], refused["rule"]) == ("trigger", "literal_error")


def test_an_implausible_resident_id_is_refused_and_nothing_recorded(desk: Desk) -> None:
    # issue 13.8: born in 2099 (after today) or in 1800, or of area 000000, each with a
    # right check character, passed before
    desk.region(LINCANG)
    uscc = desk.unit(LINCANG)
    implausible = {
        "after": "53090220990101001",
        "before 1900-01-01": "53090218000101001",
        "area code 000000": "00000019850101001",
    }
    before = desk.high_water()

    for reason, body in implausible.items():
        rid = body + resident_id_check_char(body)
        refused = problem(
            desk.post(
                f"/units/{uscc}/persons",
                {"resident_id": rid, "base": "4000.00", "joined_on": "2016-03-01"},
            ),
            422,
        )
        assert (refused["field"], refused["rule"]) == ("resident_id", "GB 11643-1999")
        assert reason in refused["detail"]
        assert rid[6:14] not in refused["detail"]  # the birth date is masked
    assert desk.high_water() == before
