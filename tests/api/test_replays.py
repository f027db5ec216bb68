"""What-if replays over HTTP: inspectors start one, follow it and fetch its report."""

from __future__ import annotations

import time
from typing import Any

import httpx

from ledger.api.replays import MAX_PENDING
from ledger.catalogue.loader import NOT_DOCUMENTS, default_catalogue_dir
from tests.api.conftest import CHIFENG, Desk, ok, problem


def chifeng_february(desk: Desk) -> str:
    """Two persons of 25,000.00: February 2020 assessed under 赤医保发〔2020〕3号 (enacted
    in the prepared store), which halves the 6% medical share: 1,500.00 reduced."""
    desk.region(CHIFENG)
    uscc = desk.unit(CHIFENG)
    desk.person(uscc, "25000.00")
    desk.person(uscc, "25000.00")
    ok(desk.post(f"/units/{uscc}/assessments", {"period": "2020-02", "assessed_on": "2020-03-05"}))
    return uscc


def start(desk: Desk, body: dict[str, Any], *, token: str | None = None, key: str = "") -> Any:
    return desk.post("/replays", body, token=token or desk.tokens.inspector, key=key)


def finished(desk: Desk, replay_id: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {desk.tokens.inspector}"}
    for _ in range(300):
        status = ok(desk.http.get(f"/replays/{replay_id}", headers=headers))
        if status["state"] in ("done", "failed"):
            return status
        time.sleep(0.05)
    raise AssertionError("the replay did not finish")


def result(desk: Desk, replay_id: str, fmt: str = "json") -> httpx.Response:
    headers = {"Authorization": f"Bearer {desk.tokens.inspector}"}
    return desk.http.get(f"/replays/{replay_id}/result", params={"format": fmt}, headers=headers)


def test_an_inspector_replays_the_whole_7_percent_reduction(desk: Desk) -> None:
    chifeng_february(desk)
    before = desk.high_water()

    accepted = start(
        desk,
        {"policy_set": "chifeng-whole-7-percent", "region": CHIFENG, "as_of": "2020-12-31"},
    )

    assert accepted.status_code == 202, accepted.text
    job = accepted.json()
    assert accepted.headers["Location"] == f"/replays/{job['id']}"
    status = finished(desk, job["id"])
    assert (status["state"], status["units_done"], status["units_total"]) == ("done", 1, 1)
    report = ok(result(desk, job["id"]))
    # halving the whole 7% instead of the 6%: 50,000.00 x 1% x 1/2 = 250.00 more reduced
    assert report["total"]["difference"]["reduced"] == "250.00"
    assert report["units_changed"] == 1
    assert desk.high_water() == before  # a replay records nothing


def test_full_true_replays_every_unit_and_reports_the_same(desk: Desk) -> None:
    chifeng_february(desk)
    body = {"policy_set": "chifeng-whole-7-percent", "region": CHIFENG, "as_of": "2020-12-31"}

    scoped = finished(desk, ok(start(desk, body, key="scoped"), 202)["id"])
    full = finished(desk, ok(start(desk, body | {"full": True}, key="full"), 202)["id"])

    assert (scoped["full"], full["full"]) == (False, True)
    assert (scoped["units_replayed"], full["units_replayed"]) == (1, 1)
    assert result(desk, scoped["id"]).content == result(desk, full["id"]).content


def test_a_set_that_changes_nothing_replays_no_unit(desk: Desk) -> None:
    chifeng_february(desk)
    body = {"policy_set": "deadline-2022-12-31", "region": CHIFENG, "as_of": "2020-12-31"}

    status = finished(desk, ok(start(desk, body), 202)["id"])

    # The 2022 deadline cannot reach a unit whose history is February 2020 and which was
    # registered after the notice was enacted: carried over as recorded.
    assert (status["units_total"], status["units_replayed"]) == (1, 0)
    assert ok(result(desk, status["id"]))["units_changed"] == 0


def test_a_policy_set_sent_inline(desk: Desk) -> None:
    chifeng_february(desk)
    files = [
        p.read_text(encoding="utf-8")
        for p in sorted(default_catalogue_dir().glob("*.toml"))
        if p.name not in NOT_DOCUMENTS
    ]

    job = ok(start(desk, {"files": files, "as_of": "2020-12-31"}), 202)

    assert finished(desk, job["id"])["state"] == "done"
    assert job["policy_set"] == f"inline ({len(files)} files)"
    # the record's own policies: nothing differs
    assert ok(result(desk, job["id"]))["units_changed"] == 0


def test_the_report_in_each_format_is_the_same_bytes_twice(desk: Desk) -> None:
    chifeng_february(desk)
    body = {"policy_set": "chifeng-whole-7-percent", "as_of": "2020-12-31"}
    first = ok(start(desk, body), 202)["id"]
    second = ok(start(desk, body), 202)["id"]
    finished(desk, first)
    finished(desk, second)

    for fmt, media in (("json", "application/json"), ("csv", "text/csv"), ("html", "text/html")):
        one, two = result(desk, first, fmt), result(desk, second, fmt)
        assert one.status_code == 200
        assert one.headers["content-type"].startswith(media)
        assert one.content == two.content
    assert b"<svg" in result(desk, first, "html").content


def test_the_same_key_answers_the_same_replay(desk: Desk) -> None:
    chifeng_february(desk)
    body = {"policy_set": "chifeng-whole-7-percent", "as_of": "2020-12-31"}

    first = ok(start(desk, body, key="replay-1"), 202)
    again = ok(start(desk, body, key="replay-1"), 202)
    other = problem(start(desk, {**body, "as_of": "2021-01-31"}, key="replay-1"), 409)

    assert first["id"] == again["id"]
    assert other["field"] == "Idempotency-Key"


def test_case_workers_may_not_replay(desk: Desk) -> None:
    refused = problem(
        start(
            desk,
            {"policy_set": "chifeng-whole-7-percent", "as_of": "2020-12-31"},
            token=desk.tokens.case_worker,
        ),
        403,
    )

    assert refused["rule"] == "role"


def test_a_case_worker_may_not_read_a_replay(desk: Desk) -> None:
    chifeng_february(desk)
    job = ok(start(desk, {"policy_set": "chifeng-whole-7-percent", "as_of": "2020-12-31"}), 202)
    headers = {"Authorization": f"Bearer {desk.tokens.case_worker}"}

    status = desk.http.get(f"/replays/{job['id']}", headers=headers)
    report = desk.http.get(f"/replays/{job['id']}/result", headers=headers)

    assert (problem(status, 403)["rule"], problem(report, 403)["rule"]) == ("role", "role")


def test_bad_requests_name_the_field(desk: Desk) -> None:
    both = problem(start(desk, {"policy_set": "x", "files": ["a"], "as_of": "2020-12-31"}), 422)
    escape = problem(start(desk, {"policy_set": "../src", "as_of": "2020-12-31"}), 422)
    unknown = problem(start(desk, {"policy_set": "no-such-set", "as_of": "2020-12-31"}), 404)
    broken = problem(start(desk, {"files": ["[document"], "as_of": "2020-12-31"}), 422)

    assert "one of them" in both["detail"] or "one of them" in str(both["errors"])
    assert escape["errors"][0]["field"] == "policy_set"
    assert unknown["field"] == "policy_set"
    assert "files[0]" in broken["detail"]


def test_an_unknown_replay_is_404(desk: Desk) -> None:
    headers = {"Authorization": f"Bearer {desk.tokens.inspector}"}

    missing = desk.http.get("/replays/00000000-0000-0000-0000-000000000000", headers=headers)

    problem(missing, 404)


def test_a_replay_beyond_the_queue_answers_503(desk: Desk, monkeypatch: Any) -> None:
    # Jobs held queued (the worker never takes them) fill the queue.
    replays = desk.http.app.state.replays  # type: ignore[attr-defined]
    monkeypatch.setattr(replays._pool, "submit", lambda *args: None)
    body = {"policy_set": "chifeng-whole-7-percent", "as_of": "2020-12-31"}
    for _ in range(MAX_PENDING):
        ok(start(desk, body), 202)

    refused = problem(start(desk, body), 503)

    assert "queued or running" in refused["detail"]


def test_an_inline_set_holding_two_versions_of_one_document_is_refused(desk: Desk) -> None:
    # as `ledger policy enact` refuses them: which version would the replay apply?
    chifeng = (default_catalogue_dir() / "chifeng-2020-3.toml").read_text(encoding="utf-8")
    amended = chifeng.replace("version = 1", "version = 2").replace('"0.5"', '"0.4"')
    assert amended != chifeng

    for files in ([chifeng, amended], [amended, chifeng], [chifeng, chifeng]):
        refused = problem(start(desk, {"files": files, "as_of": "2020-12-31"}), 422)
        assert "chifeng-2020-3" in refused["detail"], files
