"""POST /regions and /regions/{code}/fund-months: administrators only."""

from __future__ import annotations

from tests.api.conftest import CHIFENG, WUHAI, Desk, ok, problem, types


def test_an_administrator_registers_a_region(desk: Desk) -> None:
    response = desk.admin("/regions", {"code": "150400", "name": "赤峰市", "parent": "150000"})

    assert types(response) == ["Registered", "RegionIndexed"]
    assert response.status_code == 201
    assert desk.ledger.region("150400").name == "赤峰市"


def test_a_region_code_that_is_not_six_digits_is_refused_naming_the_field(desk: Desk) -> None:
    response = desk.admin("/regions", {"code": "15040", "name": "赤峰市"})

    body = problem(response, 422)
    assert body["field"] == "code"
    assert body["rule"] == "string_pattern_mismatch"


def test_a_region_registered_twice_is_a_conflict(desk: Desk) -> None:
    desk.region(CHIFENG)

    body = problem(desk.admin("/regions", {"code": CHIFENG, "name": "赤峰市"}), 409)

    assert body["code"] == "conflict"
    assert "already registered" in body["detail"]


def test_declaring_fund_months_records_them_on_the_region(desk: Desk) -> None:
    desk.region(WUHAI)

    response = desk.admin(f"/regions/{WUHAI}/fund-months", {"months": 10, "as_of": "2022-07-01"})

    assert types(response) == ["FundMonthsDeclared"]
    assert desk.ledger.region(WUHAI).fund_months == 10


def test_fund_months_must_be_a_whole_non_negative_json_number(desk: Desk) -> None:
    desk.region(WUHAI)

    negative = problem(
        desk.admin(f"/regions/{WUHAI}/fund-months", {"months": -1, "as_of": "2022-07-01"}), 422
    )
    text = problem(
        desk.admin(f"/regions/{WUHAI}/fund-months", {"months": "10", "as_of": "2022-07-01"}), 422
    )

    assert (negative["field"], negative["rule"]) == ("months", "greater_than_equal")
    assert (text["field"], text["rule"]) == ("months", "int_type")


def test_a_date_that_is_not_iso_8601_is_refused(desk: Desk) -> None:
    desk.region(WUHAI)

    body = problem(
        desk.admin(f"/regions/{WUHAI}/fund-months", {"months": 8, "as_of": "2022/07/01"}), 422
    )

    assert (body["field"], body["rule"]) == ("as_of", "date")


def test_fund_months_of_an_unknown_region_are_not_found(desk: Desk) -> None:
    body = problem(
        desk.admin("/regions/999999/fund-months", {"months": 8, "as_of": "2022-07-01"}), 404
    )

    assert body["field"] == "region"


def test_case_workers_and_inspectors_may_not_register_regions(desk: Desk) -> None:
    region = {"code": CHIFENG, "name": "赤峰市"}

    by_case_worker = problem(desk.post("/regions", region), 403)
    by_inspector = problem(desk.post("/regions", region, token=desk.tokens.inspector), 403)

    assert by_case_worker["rule"] == by_inspector["rule"] == "role"
    ok(desk.admin("/regions", region), 201)
