"""2020 deferral on application: Lincang grants on filing, Chifeng needs approval."""

from __future__ import annotations

from tests.api.conftest import CHIFENG, LINCANG, Desk, ok, problem, types


def test_lincang_grants_a_deferral_on_filing(desk: Desk) -> None:
    desk.region(LINCANG)
    uscc = desk.unit(LINCANG)
    body = {
        "periods": "2020-05..2020-10",
        "applied_on": "2020-05-06",
        "attachments": ["书面申请", "资产负债表"],
    }

    response = desk.post(f"/units/{uscc}/deferral-applications", body)

    assert response.status_code == 201
    assert types(response) == ["DeferralApplied", "DeferralGranted"]


def test_a_deferral_longer_than_the_policy_allows_names_the_rule_and_the_figures(
    desk: Desk,
) -> None:
    desk.region(LINCANG)
    uscc = desk.unit(LINCANG)
    before = desk.high_water()

    refused = problem(
        desk.post(
            f"/units/{uscc}/deferral-applications",
            {"periods": "2020-05..2020-11", "applied_on": "2020-05-06"},
        ),
        422,
    )

    assert refused["code"] == "rule-violation"
    assert refused["rule"] == "application_deferral.max_months"
    assert "7 months exceeds the 6 allowed by 临医保联发〔2020〕14号" in refused["detail"]
    assert desk.high_water() == before


def test_periods_are_a_range_of_two_months(desk: Desk) -> None:
    desk.region(LINCANG)
    uscc = desk.unit(LINCANG)

    refused = problem(
        desk.post(
            f"/units/{uscc}/deferral-applications",
            {"periods": "2020-05-2020-10", "applied_on": "2020-05-06"},
        ),
        422,
    )

    assert (refused["field"], refused["rule"]) == ("periods", "period_range")


def test_chifeng_needs_the_approvers_decision(desk: Desk) -> None:
    desk.region(CHIFENG)
    uscc = desk.unit(CHIFENG)
    applied = desk.post(
        f"/units/{uscc}/deferral-applications",
        {"periods": "2020-05..2020-07", "applied_on": "2020-05-06"},
    )

    decided = desk.post(
        f"/units/{uscc}/deferral-applications/decision",
        {"approved": True, "decided_on": "2020-05-12", "approver": "赤峰市医疗保障局"},
    )

    assert types(applied) == ["DeferralApplied"]
    assert types(decided) == ["DeferralGranted"]


def test_a_decision_without_a_pending_application_is_a_conflict(desk: Desk) -> None:
    desk.region(CHIFENG)
    uscc = desk.unit(CHIFENG)

    refused = problem(
        desk.post(
            f"/units/{uscc}/deferral-applications/decision",
            {"approved": True, "decided_on": "2020-05-12"},
        ),
        409,
    )
    not_a_boolean = problem(
        desk.post(
            f"/units/{uscc}/deferral-applications/decision",
            {"approved": "yes", "decided_on": "2020-05-12"},
        ),
        422,
    )

    assert "no application awaiting decision" in refused["detail"]
    assert (not_a_boolean["field"], not_a_boolean["rule"]) == ("approved", "bool_type")
    ok(
        desk.post(
            f"/units/{uscc}/deferral-applications",
            {"periods": "2020-05..2020-07", "applied_on": "2020-05-06"},
        ),
        201,
    )
