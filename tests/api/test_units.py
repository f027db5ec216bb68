"""POST /units and the unit's own commands: registration, classification, assessment,
revocation, deregistration. Case workers of the unit's agency only."""

from __future__ import annotations

from tests.api.conftest import (
    AGENCY,
    CHIFENG,
    LINCANG,
    OTHER_AGENCY,
    WUHAI,
    Desk,
    ok,
    problem,
    types,
)


def test_a_case_worker_registers_a_unit_of_their_agency(desk: Desk) -> None:
    desk.region(CHIFENG)
    uscc = desk.uscc(CHIFENG)
    body = {
        "uscc": uscc.lower(),
        "name": "赤峰市红山区示例商贸有限公司",
        "region": CHIFENG,
        "agency": AGENCY,
        "unit_number": "N1CF000",
        "established_on": "2012-05-01",
    }

    response = desk.post("/units", body)

    assert response.status_code == 201
    assert types(response) == ["Registered", "UnitIndexed"]
    unit = desk.ledger.unit(uscc)
    assert (unit.agency, unit.unit_type.value, str(unit.established_on)) == (
        AGENCY,
        "enterprise",
        "2012-05-01",
    )


def test_a_unit_founded_before_the_ledgers_years_registers_and_one_before_1800_does_not(
    desk: Desk,
) -> None:
    # a unit's founding is history: state enterprises and hospitals of the 1950s employ
    # and contribute today; only the business dates of the ledger are held to 1990..2099
    desk.region(CHIFENG)
    body = {
        "name": "赤峰市第一医院",
        "region": CHIFENG,
        "agency": AGENCY,
        "unit_number": "",
    }
    old = desk.uscc(CHIFENG)

    registered = desk.post("/units", {**body, "uscc": old, "established_on": "1958-10-01"})
    before = desk.high_water()
    refused = desk.post(
        "/units", {**body, "uscc": desk.uscc(CHIFENG), "established_on": "1799-12-31"}
    )

    assert registered.status_code == 201, registered.text
    assert str(desk.ledger.unit(old).established_on) == "1958-10-01"
    assert problem(refused, 422)["errors"][0]["field"].endswith("established_on")
    assert desk.high_water() == before


def test_a_unit_for_another_agency_is_forbidden_and_not_recorded(desk: Desk) -> None:
    desk.region(CHIFENG)
    before = desk.high_water()
    body = {
        "uscc": desk.uscc(CHIFENG),
        "name": "x",
        "region": CHIFENG,
        "agency": OTHER_AGENCY,
        "established_on": "2012-05-01",
    }

    refused = problem(desk.post("/units", body), 403)

    assert refused["rule"] == "agency"
    assert desk.high_water() == before


def test_a_uscc_with_a_wrong_check_character_names_the_standard(desk: Desk) -> None:
    desk.region(CHIFENG)
    good = desk.uscc(CHIFENG)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    body = {"uscc": bad, "name": "x", "region": CHIFENG, "agency": AGENCY}

    refused = problem(desk.post("/units", {**body, "established_on": "2012-05-01"}), 422)
    overridden = desk.post(
        "/units", {**body, "established_on": "2012-05-01", "allow_bad_check": True}
    )

    assert (refused["field"], refused["rule"]) == ("uscc", "GB 32100-2015")
    assert overridden.status_code == 201
    assert desk.ledger.unit(bad).uscc_check_overridden


def test_an_unknown_unit_type_lists_the_allowed_ones(desk: Desk) -> None:
    desk.region(CHIFENG)
    body = {
        "uscc": desk.uscc(CHIFENG),
        "name": "x",
        "unit_type": "flexible_worker",
        "region": CHIFENG,
        "agency": AGENCY,
        "established_on": "2012-05-01",
    }

    refused = problem(desk.post("/units", body), 422)

    assert (refused["field"], refused["rule"]) == ("unit_type", "enum")
    assert "individual_business" in refused["detail"]


def test_classification_from_figures_computes_the_size_class(desk: Desk) -> None:
    # Wuhai's retailer of the demo: 21 employees, revenue 800 (10,000 yuan): small.
    desk.region(WUHAI, fund_months=10)
    uscc = desk.unit(WUHAI)
    body = {"industry": "retail", "employees": 21, "revenue": "800", "classified_on": "2022-07-20"}

    response = desk.post(f"/units/{uscc}/classification", body)

    assert types(response)[0] == "Classified"
    assert desk.ledger.unit(uscc).size_class == "small"


def test_classification_figures_are_not_coerced_from_other_json_types(desk: Desk) -> None:
    desk.region(WUHAI)
    uscc = desk.unit(WUHAI)
    body = {"industry": "retail", "employees": "21", "revenue": 800, "classified_on": "2022-07-20"}

    refused = problem(desk.post(f"/units/{uscc}/classification", body), 422)

    assert {(e["field"], e["rule"]) for e in refused["errors"]} == {
        ("employees", "int_type"),
        ("revenue", "decimal_string"),
    }


def test_a_unit_classified_twice_is_a_conflict(desk: Desk) -> None:
    desk.region(WUHAI)
    uscc = desk.unit(WUHAI)
    body = {"industry": "other", "size_class": "micro", "classified_on": "2022-07-20"}
    ok(desk.post(f"/units/{uscc}/classification", body))

    refused = problem(desk.post(f"/units/{uscc}/classification", body), 409)

    assert refused["field"] == "size_class"


def test_assessing_a_period_records_it_and_the_reduction_in_force(desk: Desk) -> None:
    # Chifeng, February 2020: 5,000.00 x 6% = 300.00 medical, halved by 赤医保发〔2020〕3号.
    desk.region(CHIFENG)
    uscc = desk.unit(CHIFENG)
    desk.person(uscc, "5000.00")

    response = desk.post(
        f"/units/{uscc}/assessments", {"period": "2020-02", "assessed_on": "2020-03-02"}
    )

    assert types(response) == ["PeriodAssessed", "ReductionApplied"]
    reduced = desk.events(uscc)[-1]
    assert reduced.totals == [["2020-02", "unit_medical", "150.00"]]


def test_assessing_with_explicit_lines_uses_the_bases_given(desk: Desk) -> None:
    desk.region(LINCANG)
    uscc = desk.unit(LINCANG)
    rid = desk.person(uscc, "4000.00")
    body = {
        "period": "2020-06",
        "assessed_on": "2020-07-01",
        "lines": [{"resident_id": rid, "base": "6000.00"}],
    }

    ok(desk.post(f"/units/{uscc}/assessments", body))

    assessed = desk.events(uscc)[-1]
    assert assessed.lines[0][:2] == [rid, "6000.00"]


def test_an_assessment_line_with_a_float_base_is_refused_naming_the_line(desk: Desk) -> None:
    desk.region(LINCANG)
    uscc = desk.unit(LINCANG)
    rid = desk.person(uscc)
    before = desk.high_water()
    body = {
        "period": "2020-06",
        "assessed_on": "2020-07-01",
        "lines": [{"resident_id": rid, "base": 6000.5}],
    }

    refused = problem(desk.post(f"/units/{uscc}/assessments", body), 422)

    assert (refused["field"], refused["rule"]) == ("lines[0].base", "money_string")
    assert "JSON string" in refused["detail"]
    assert desk.high_water() == before


def test_a_period_that_is_not_yyyy_mm_is_refused(desk: Desk) -> None:
    desk.region(LINCANG)
    uscc = desk.unit(LINCANG)

    refused = problem(
        desk.post(f"/units/{uscc}/assessments", {"period": "2020-13", "assessed_on": "2020-07-01"}),
        422,
    )

    assert (refused["field"], refused["rule"]) == ("period", "period")


def test_an_assessment_of_a_unit_without_persons_is_refused(desk: Desk) -> None:
    desk.region(LINCANG)
    uscc = desk.unit(LINCANG)

    refused = problem(
        desk.post(f"/units/{uscc}/assessments", {"period": "2020-06", "assessed_on": "2020-07-01"}),
        422,
    )

    assert refused["field"] == "lines"


def test_an_unpaid_assessment_is_revoked(desk: Desk) -> None:
    desk.region(LINCANG)
    uscc = desk.unit(LINCANG)
    desk.person(uscc)
    ok(desk.post(f"/units/{uscc}/assessments", {"period": "2020-06", "assessed_on": "2020-07-01"}))

    response = desk.post(
        f"/units/{uscc}/assessments/2020-06/revocation", {"revoked_on": "2020-07-02"}
    )

    assert types(response) == ["AssessmentRevoked"]


def test_revoking_a_period_never_assessed_is_not_found(desk: Desk) -> None:
    desk.region(LINCANG)
    uscc = desk.unit(LINCANG)

    refused = problem(
        desk.post(f"/units/{uscc}/assessments/2020-06/revocation", {"revoked_on": "2020-07-02"}),
        404,
    )
    malformed = problem(
        desk.post(f"/units/{uscc}/assessments/2020-6/revocation", {"revoked_on": "2020-07-02"}),
        422,
    )

    assert refused["field"] == "period"
    assert malformed["errors"][0] | {"message": ""} == {
        "field": "period",
        "location": "path",
        "rule": "string_pattern_mismatch",
        "message": "",
    }


def test_deregistration_is_refused_while_deferred_amounts_are_unpaid(desk: Desk) -> None:
    # Lincang 2020: May deferred on application (备案, granted at once), then 注销.
    desk.region(LINCANG)
    uscc = desk.unit(LINCANG)
    desk.person(uscc, "5000.00")
    ok(
        desk.post(
            f"/units/{uscc}/deferral-applications",
            {"periods": "2020-05..2020-06", "applied_on": "2020-05-06"},
        ),
        201,
    )
    ok(desk.post(f"/units/{uscc}/assessments", {"period": "2020-05", "assessed_on": "2020-06-01"}))

    requested = desk.post(f"/units/{uscc}/deregistration", {"requested_on": "2020-06-10"})
    refused = problem(
        desk.post(f"/units/{uscc}/deregistration/completion", {"completed_on": "2020-06-11"}), 422
    )

    assert types(requested)[0] == "DeregistrationRequested"
    assert refused["rule"] == "deregistration"
    assert "500.00 of deferred contributions are unpaid" in refused["detail"]


def test_a_unit_with_nothing_deferred_completes_its_deregistration(desk: Desk) -> None:
    desk.region(LINCANG)
    uscc = desk.unit(LINCANG)
    ok(desk.post(f"/units/{uscc}/deregistration", {"requested_on": "2020-06-10"}))

    response = desk.post(f"/units/{uscc}/deregistration/completion", {"completed_on": "2020-06-11"})

    assert types(response) == ["DeregistrationCompleted"]
    assert desk.ledger.unit(uscc).deregistered_on is not None


def test_a_name_with_a_control_character_is_refused_and_nothing_recorded(desk: Desk) -> None:
    desk.region(CHIFENG)
    before = desk.high_water()
    body = {
        "uscc": desk.uscc(CHIFENG),
        "name": "赤峰\u0000商贸",
        "region": CHIFENG,
        "agency": AGENCY,
        "established_on": "2012-05-01",
    }

    refused = problem(desk.post("/units", body), 422)

    assert (refused["field"], "U+0000" in refused["detail"]) == ("name", True)
    assert desk.high_water() == before


def test_a_name_with_an_invisible_character_is_refused_and_nothing_recorded(desk: Desk) -> None:
    desk.region(CHIFENG)
    before = desk.high_water()

    for char in ("\ufeff", "\u200d", "\ufff9", "\U000e0041", "\uffff"):
        body = {
            "uscc": desk.uscc(CHIFENG),
            "name": f"赤峰{char}商贸",
            "region": CHIFENG,
            "agency": AGENCY,
            "established_on": "2012-05-01",
        }
        refused = problem(desk.post("/units", body), 422)
        assert refused["field"] == "name"
        assert f"U+{ord(char):04X}" in refused["detail"]
    assert desk.high_water() == before
