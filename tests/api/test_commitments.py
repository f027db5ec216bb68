"""Written commitments (承诺书), Jinan 2022: filed, reviewed, found false."""

from __future__ import annotations

from datetime import date

from ledger.replay import run_replay
from tests.api.conftest import JINAN, WUHAI, Desk, ok, problem, types


def _jinan_unit(desk: Desk) -> str:
    desk.region(JINAN, fund_months=8)
    uscc = desk.unit(JINAN, established_on="2020-06-01")
    desk.person(uscc, "8000.00")
    return uscc


def _file(desk: Desk, uscc: str, months: list[str]) -> dict[str, object]:
    return ok(
        desk.post(f"/units/{uscc}/commitments", {"months": months, "filed_on": "2022-09-30"}),
        201,
    )


def test_a_unit_files_a_commitment_for_consecutive_months(desk: Desk) -> None:
    uscc = _jinan_unit(desk)

    response = desk.post(
        f"/units/{uscc}/commitments",
        {"months": ["2022-08", "2022-09", "2022-10"], "filed_on": "2022-09-30"},
    )

    assert response.status_code == 201
    assert types(response) == ["CommitmentFiled"]


def test_months_that_are_not_consecutive_are_refused_by_the_rule(desk: Desk) -> None:
    uscc = _jinan_unit(desk)

    refused = problem(
        desk.post(
            f"/units/{uscc}/commitments",
            {"months": ["2022-08", "2022-10"], "filed_on": "2022-09-30"},
        ),
        422,
    )
    none = problem(
        desk.post(f"/units/{uscc}/commitments", {"months": [], "filed_on": "2022-09-30"}), 422
    )

    assert refused["rule"] == "commitment.consecutive"
    assert "2022-08, 2022-10 are not consecutive" in refused["detail"]
    assert none["field"] == "months"
    assert "names the months to defer" in none["detail"]


def test_an_inner_mongolia_unit_files_its_commitment_without_months(desk: Desk) -> None:
    """内医保办发〔2022〕19号 三(一)3: the unit commits; once accepted it defers as a classified
    SME would, 2022-07..2022-09."""
    desk.region(WUHAI, fund_months=9)
    uscc = desk.unit(WUHAI)
    filed = desk.post(f"/units/{uscc}/commitments", {"filed_on": "2022-07-29"})

    review = desk.post(
        f"/units/{uscc}/commitments/review", {"accepted": True, "reviewed_on": "2022-08-01"}
    )

    assert types(filed) == ["CommitmentFiled"]
    assert types(review) == ["CommitmentReviewed", "Classified", "DeferralGranted"]
    (granted,) = [e for e in desk.events(uscc) if type(e).__name__ == "DeferralGranted"]
    assert (granted.kind, granted.periods) == ("commitment", "2022-07..2022-09")


def test_a_replay_records_an_inner_mongolia_commitment_without_months_as_it_was(
    desk: Desk,
) -> None:
    # the filing stores no months ("") where the rule lets the unit choose none: the
    # replay files it again as it was, not as a refusal of an empty range
    desk.region(WUHAI, fund_months=9)
    uscc = desk.unit(WUHAI)
    desk.post(f"/units/{uscc}/commitments", {"filed_on": "2022-07-29"})
    desk.post(f"/units/{uscc}/commitments/review", {"accepted": True, "reviewed_on": "2022-08-01"})

    report = run_replay(
        desk.ledger, desk.ledger.policies(), region=WUHAI, as_of=date(2023, 6, 30), full=True
    )

    assert not report.total.difference
    assert all(not line.refusals for line in report.units)


def test_an_accepted_commitment_classifies_the_unit_and_grants_the_deferral(desk: Desk) -> None:
    uscc = _jinan_unit(desk)
    _file(desk, uscc, ["2022-08", "2022-09", "2022-10"])

    response = desk.post(
        f"/units/{uscc}/commitments/review", {"accepted": True, "reviewed_on": "2022-10-10"}
    )

    assert types(response)[:3] == ["CommitmentReviewed", "Classified", "DeferralGranted"]


def test_a_review_without_a_filed_commitment_is_a_conflict(desk: Desk) -> None:
    uscc = _jinan_unit(desk)

    refused = problem(
        desk.post(
            f"/units/{uscc}/commitments/review", {"accepted": True, "reviewed_on": "2022-10-10"}
        ),
        409,
    )

    assert "no commitment awaiting review" in refused["detail"]


def test_a_commitment_found_false_calls_the_deferred_principal_due(desk: Desk) -> None:
    uscc = _jinan_unit(desk)
    ok(desk.post(f"/units/{uscc}/assessments", {"period": "2022-08", "assessed_on": "2022-09-05"}))
    _file(desk, uscc, ["2022-08", "2022-09", "2022-10"])
    ok(
        desk.post(
            f"/units/{uscc}/commitments/review", {"accepted": True, "reviewed_on": "2022-10-10"}
        )
    )

    response = desk.post(f"/units/{uscc}/commitments/false-finding", {"found_on": "2022-12-01"})

    assert types(response)[0] == "CommitmentFoundFalse"
    assert "DeferredAmountCalledDue" in types(response)


def test_finding_false_a_commitment_never_accepted_is_a_conflict(desk: Desk) -> None:
    uscc = _jinan_unit(desk)

    refused = problem(
        desk.post(f"/units/{uscc}/commitments/false-finding", {"found_on": "2022-12-01"}), 409
    )
    bad_date = problem(
        desk.post(f"/units/{uscc}/commitments/false-finding", {"found_on": "2022-02-30"}), 422
    )

    assert "no accepted commitment" in refused["detail"]
    assert (bad_date["field"], bad_date["rule"]) == ("found_on", "date")
