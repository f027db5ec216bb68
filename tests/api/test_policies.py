"""POST /policies: a catalogue file as TOML, enacted by an administrator."""

from __future__ import annotations

from ledger.api.examples import POLICY_TOML
from ledger.catalogue.loader import default_catalogue_dir
from tests.api.conftest import CHIFENG, Desk, ok, problem, types


def test_enacting_the_documented_example_records_the_document(desk: Desk) -> None:
    amended = POLICY_TOML.replace("version = 1", "version = 2")

    response = desk.admin("/policies", content=amended)

    assert types(response) == ["Amended", "PolicyIndexed"]
    assert desk.ledger.policies().files["chifeng-2020-3"].document.version == 2


def test_enacting_the_same_version_and_content_again_records_nothing(desk: Desk) -> None:
    text = (default_catalogue_dir() / "lincang-2020-14.toml").read_text(encoding="utf-8")

    response = desk.admin("/policies", content=text)

    assert ok(response) == {"command": "enact_policy", "events": []}
    assert desk.ledger.policies().files["lincang-2020-14"].document.version == 1


def test_a_policy_enacted_after_an_assessment_decides_on_it_retroactively(desk: Desk) -> None:
    # An amendment widening the reduction to January decides on the January already
    # assessed, as 赤医保发〔2020〕3号 itself did in March for February.
    desk.region(CHIFENG)
    uscc = desk.unit(CHIFENG)
    desk.person(uscc, "5000.00")
    january = {"period": "2020-01", "assessed_on": "2020-02-03"}
    assert types(desk.post(f"/units/{uscc}/assessments", january)) == ["PeriodAssessed"]
    later = POLICY_TOML.replace("version = 1", "version = 2").replace(
        '"2020-02..2020-04"', '"2020-01..2020-04"'
    )

    response = desk.admin("/policies", content=later)

    assert "ReductionApplied" in types(response)


def test_a_toml_float_is_refused_naming_the_file_field(desk: Desk) -> None:
    text = POLICY_TOML.replace('fraction = "0.5"', "fraction = 0.5").replace(
        "version = 1", "version = 3"
    )

    body = problem(desk.admin("/policies", content=text), 422)

    assert body["code"] == "catalogue-error"
    assert body["field"] == "reduction.fraction"
    assert "never as TOML floats" in body["detail"]


def test_text_that_is_not_toml_is_refused(desk: Desk) -> None:
    body = problem(desk.admin("/policies", content="[document\nid = "), 422)

    assert "not valid TOML" in body["detail"]


def test_json_is_not_a_catalogue_file(desk: Desk) -> None:
    body = problem(desk.admin("/policies", {"document": {}}), 415)

    assert body["field"] == "Content-Type"


def test_only_administrators_enact_policies(desk: Desk) -> None:
    by_case_worker = problem(desk.post("/policies", content=POLICY_TOML), 403)
    by_inspector = problem(
        desk.post("/policies", content=POLICY_TOML, token=desk.tokens.inspector), 403
    )

    assert by_case_worker["code"] == by_inspector["code"] == "forbidden"
