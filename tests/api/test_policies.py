"""POST /policies: a catalogue file as TOML, enacted by an administrator."""

from __future__ import annotations

from pathlib import Path

from ledger.api.examples import POLICY_TOML
from ledger.catalogue.loader import default_catalogue_dir
from tests.api.conftest import CHIFENG, WUHAI, Desk, ok, problem, types


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


def test_deeply_nested_toml_is_refused_as_invalid_not_a_server_error(desk: Desk) -> None:
    arrays = "[document]\nid = " + "[" * 20_000 + "]" * 20_000 + "\n"
    tables = "x = " + "{a = " * 5_000 + "1" + "}" * 5_000 + "\n"
    before = desk.high_water()

    for text in (arrays, tables):
        for path in ("/policies", "/policies/check"):
            body = problem(desk.admin(path, content=text), 422)
            assert "nested" in body["detail"], (path, body)
        replay = desk.post(
            "/replays", {"files": [text], "as_of": "2020-12-31"}, token=desk.tokens.inspector
        )
        assert "nested" in problem(replay, 422)["detail"]
    assert desk.high_water() == before


def test_policy_text_follows_the_one_text_rule_naming_the_field(desk: Desk) -> None:
    # issue 13.7: a policy's number and title are served to every role and printed in
    # every decision's citation, so they are plain text like every other free text
    amended = POLICY_TOML.replace("version = 1", "version = 2")
    cases = {
        "document.title": amended.replace("实施细则", "实施\\u202e细则"),
        "document.number": amended.replace('3号"\n', '3\\u0000号"\n', 1),
        "document.issuer": amended.replace("赤峰市财政局", "赤峰市\\u200d财政局"),
        "reduction.source": amended.replace("减半3个月", "减半\\ufeff3个月"),
        "reduction.shares.0": amended.replace('["unit_medical"]', '["unit_medical\\uffff"]'),
    }
    before = desk.high_water()

    for field, text in cases.items():
        for path in ("/policies", "/policies/check"):
            refused = problem(desk.admin(path, content=text), 422)
            assert refused["field"] == field, (path, refused)
            assert "U+" in refused["detail"]
    assert desk.high_water() == before


def test_a_policy_date_outside_the_ledgers_years_is_refused_naming_the_field(
    desk: Desk,
) -> None:
    amended = POLICY_TOML.replace("version = 1", "version = 2")
    cases = {
        "document.enacted_on": amended.replace(
            "enacted_on = 2020-03-13", "enacted_on = 9999-12-31"
        ),
        "document.issued_on": amended.replace("issued_on = 2020-03-13", "issued_on = 0001-01-01"),
    }

    for field, text in cases.items():
        for path in ("/policies", "/policies/check"):
            refused = problem(desk.admin(path, content=text), 422)
            assert refused["field"] == field, (path, refused)
            assert "outside the ledger's years" in refused["detail"]


def test_json_is_not_a_catalogue_file(desk: Desk) -> None:
    body = problem(desk.admin("/policies", {"document": {}}), 415)

    assert body["field"] == "Content-Type"


def test_only_administrators_enact_policies(desk: Desk) -> None:
    by_case_worker = problem(desk.post("/policies", content=POLICY_TOML), 403)
    by_inspector = problem(
        desk.post("/policies", content=POLICY_TOML, token=desk.tokens.inspector), 403
    )

    assert by_case_worker["code"] == by_inspector["code"] == "forbidden"


# ---------------------------------------------------------------- revocation


def test_a_revocation_reverses_the_documents_decisions_from_its_date(desk: Desk) -> None:
    desk.region(CHIFENG)
    uscc = desk.unit(CHIFENG)
    desk.person(uscc, "5000.00")
    april = {"period": "2020-04", "assessed_on": "2020-04-01"}
    # 5000 x 0.06 x 0.5 = 150.00 reduced at assessment
    assert "ReductionApplied" in types(desk.post(f"/units/{uscc}/assessments", april))

    response = desk.admin("/policies/chifeng-2020-3/revocation", {"revoked_on": "2020-04-01"})

    assert types(response) == ["Revoked", "PolicyIndexed", "ReductionReversed"]
    assert "chifeng-2020-3" not in desk.ledger.policies()


def test_revoking_again_on_the_same_date_records_nothing(desk: Desk) -> None:
    body = {"revoked_on": "2020-04-01"}
    ok(desk.admin("/policies/chifeng-2020-3/revocation", body))

    again = desk.admin("/policies/chifeng-2020-3/revocation", body)

    assert ok(again) == {"command": "revoke_policy", "events": []}


def test_a_revocation_before_the_document_took_effect_is_refused(desk: Desk) -> None:
    body = problem(
        desk.admin("/policies/chifeng-2020-3/revocation", {"revoked_on": "2020-01-01"}), 422
    )

    assert body["field"] == "revoked_on"
    assert "took effect on 2020-03-13" in body["detail"]


def test_revoking_a_document_never_enacted_is_not_found(desk: Desk) -> None:
    response = desk.admin("/policies/no-such-notice/revocation", {"revoked_on": "2020-04-01"})

    assert problem(response, 404)["field"] == "document_id"


def test_only_administrators_revoke_policies(desk: Desk) -> None:
    body = {"revoked_on": "2020-04-01"}

    by_case_worker = problem(desk.post("/policies/chifeng-2020-3/revocation", body), 403)

    assert by_case_worker["code"] == "forbidden"


def test_a_revocation_date_outside_the_ledgers_years_is_refused(desk: Desk) -> None:
    response = desk.admin("/policies/chifeng-2020-3/revocation", {"revoked_on": "9999-12-31"})

    assert problem(response, 422)["field"] == "revoked_on"


# ------------------------------------------------------------------- dry run

NOTICES = Path(__file__).resolve().parents[2] / "examples" / "notices"


def test_a_dry_run_shows_what_a_new_notice_would_decide_and_writes_nothing(desk: Desk) -> None:
    desk.region(WUHAI, fund_months=9)
    uscc = desk.unit(WUHAI)
    classified = {"industry": "other", "classified_on": "2022-07-20", "size_class": "small"}
    ok(desk.post(f"/units/{uscc}/classification", classified))
    desk.person(uscc, "5000.00")
    ok(desk.post(f"/units/{uscc}/assessments", {"period": "2023-01", "assessed_on": "2023-02-03"}))
    text = (NOTICES / "example-2023-deferral.toml").read_text(encoding="utf-8")
    before = desk.high_water()

    body = ok(desk.post("/policies/check", content=text, token=desk.tokens.admin, key=None))

    assert (body["document"], body["status"]) == ("example-2023-deferral", "new")
    assert body["rules_on"] == ["automatic_deferral 15 2023-01..2023-03"]
    (unit,) = body["units"]
    assert unit["uscc"] == uscc
    assert [d["type"] for d in unit["decisions"]] == ["DeferralGranted", "AssessmentSplit"]
    granted, split = unit["decisions"]
    assert granted["detail"]["periods"] == "2023-01..2023-03"
    assert granted["policy"].startswith("示例〔2023〕1号 (example, not a real notice) v1")
    assert split["detail"]["period"] == "2023-01"
    assert desk.high_water() == before


def test_a_dry_run_names_the_assessments_made_before_new_rates(desk: Desk) -> None:
    desk.region(WUHAI)
    uscc = desk.unit(WUHAI)
    desk.person(uscc, "5000.00")
    ok(desk.post(f"/units/{uscc}/assessments", {"period": "2024-01", "assessed_on": "2024-02-03"}))
    text = (NOTICES / "example-wuhai-2024.toml").read_text(encoding="utf-8")

    body = ok(desk.post("/policies/check", content=text, token=desk.tokens.admin, key=None))

    assert body["units"] == []
    assert body["assessed_before"] == {"2024-01": 1}
    assert "base_limits 1503 from 2024-01" in body["rules_on"]


def test_a_dry_run_refuses_a_notice_overlapping_an_enacted_one_naming_both(desk: Desk) -> None:
    text = (NOTICES / "example-2023-deferral.toml").read_text(encoding="utf-8")
    overlapping = text.replace('"2023-01..2023-03"', '"2022-09..2022-12"')

    body = problem(desk.post("/policies/check", content=overlapping, token=desk.tokens.admin), 409)

    assert "example-2023-deferral" in body["detail"]
    assert "inner-mongolia-2022-19" in body["detail"]
    assert body["field"] == "document.supersedes"


def test_only_administrators_run_a_dry_run(desk: Desk) -> None:
    text = (NOTICES / "example-2023-deferral.toml").read_text(encoding="utf-8")

    body = problem(desk.post("/policies/check", content=text, token=desk.tokens.inspector), 403)

    assert body["code"] == "forbidden"
