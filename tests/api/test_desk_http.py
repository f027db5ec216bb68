"""The desk's protections over HTTP (Starlette's test client, SQLite): the session
cookie, cross-site forms, revoked tokens, the API's role and agency rules on every form,
and the pages kept out of the API's document. The browser tests (tests/browser) walk
the same pages in Chromium; these are the cases a browser would not send."""

from __future__ import annotations

import io
import re
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from openpyxl import load_workbook

from ledger.api.app import create_app
from ledger.api.desk.session import COOKIE
from ledger.api.replays import ReplayJob
from ledger.application import Actor
from ledger.demo import make_uscc
from ledger.domain.token import token_digest, token_id
from tests.api.conftest import DEMO_READERS, demo_with_tokens, settings_for
from tests.conftest import StoreConfig

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

SETUP = Actor("test:setup", "desk http test", "req-setup")
WUHAI = make_uscc("91150302MA0Q1WH00")
CHIFENG = make_uscc("91150402MA0N1CF00")
BASE = "http://ledger.test"


@dataclass
class Site:
    client: TestClient
    tokens: dict[str, str]

    def signed_in(self, who: str) -> TestClient:
        self.client.cookies.clear()
        answer = self.client.post(
            "/desk/sign-in", data={"token": self.tokens[who]}, follow_redirects=False
        )
        assert answer.status_code == 303, answer.text
        return self.client

    def form(self, path: str) -> dict[str, str]:
        """The hidden fields of the form a page shows (its CSRF token and idempotency key)."""
        text = self.client.get(path).text
        return dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', text))

    def high_water(self) -> int:
        ledger = self.client.app.state.ledger  # type: ignore[attr-defined]
        return ledger.recorder.max_notification_id() or 0


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    path = tmp_path_factory.mktemp("desk") / "ledger.db"
    store = StoreConfig("sqlite", f"sqlite:///{path}", None)
    revoked = ("case_worker", "150301", "撤销者")
    tokens = demo_with_tokens(settings_for(store), {**DEMO_READERS, "revoked": revoked})
    app = create_app(settings_for(store))
    client = TestClient(app, base_url=BASE)
    yield Site(client, tokens)
    client.close()
    app.state.close()


def test_signing_in_sets_an_httponly_samesite_strict_cookie(site: Site) -> None:
    answer = site.client.post(
        "/desk/sign-in",
        data={"token": site.tokens["wuhai"], "next": f"/desk/units/{WUHAI}"},
        follow_redirects=False,
    )

    cookie = answer.headers["set-cookie"]
    assert answer.headers["location"] == f"/desk/units/{WUHAI}"
    assert f"{COOKIE}=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/" in cookie


def test_a_bad_token_is_refused_on_the_sign_in_form(site: Site) -> None:
    site.client.cookies.clear()

    answer = site.client.post("/desk/sign-in", data={"token": "ldg_nope"})

    assert answer.status_code == 401
    assert "令牌无效或已吊销" in answer.text
    assert "set-cookie" not in answer.headers


def test_the_sign_in_form_never_redirects_to_another_site(site: Site) -> None:
    answer = site.client.post(
        "/desk/sign-in",
        data={"token": site.tokens["wuhai"], "next": "//evil.example/"},
        follow_redirects=False,
    )

    assert answer.headers["location"] == "/"


def test_a_page_without_a_session_redirects_to_sign_in_and_back(site: Site) -> None:
    site.client.cookies.clear()

    answer = site.client.get(f"/desk/units/{WUHAI}", follow_redirects=False)

    assert answer.status_code == 303
    assert answer.headers["location"] == f"/desk/sign-in?next=/desk/units/{WUHAI}"


def test_a_units_page_shows_its_balance_on_both_clocks_and_lists_only_deferred_items(
    site: Site,
) -> None:
    client = site.signed_in("wuhai")
    reader = {"Authorization": f"Bearer {site.tokens['wuhai']}"}
    balance = client.get(f"/units/{WUHAI}/balance?as_of=2023-08-01", headers=reader).json()
    deferred = [
        i
        for i in balance["items"]
        if i["deadline"] or i["deferred"] != "0.00" or i["called_due"] != "0.00"
    ]

    page = client.get(f"/desk/units/{WUHAI}?as_of=2023-08-01")
    known = client.get(f"/desk/units/{WUHAI}?as_of=2023-08-01&known_at=2030-01-01")

    assert page.status_code == 200, page.text[:400]
    assert known.status_code == 200, known.text[:400]
    assert 'id="total-late-fee">328.65<' in page.text
    table = page.text.split('id="deferrals"', 1)[1].split("</table>", 1)[0]
    assert 0 < len(deferred) < len(balance["items"])
    assert table.count("<tr><td>") == len(deferred)


def test_a_revoked_token_signs_the_desk_out_at_once(site: Site) -> None:
    client = site.signed_in("revoked")
    assert client.get("/", follow_redirects=False).status_code == 200
    ledger = client.app.state.ledger  # type: ignore[attr-defined]
    ledger.revoke_token(str(token_id(token_digest(site.tokens["revoked"]))), SETUP)

    answer = client.get("/", follow_redirects=False)

    assert answer.status_code == 303
    assert "reason=revoked" in answer.headers["location"]


def test_a_form_without_its_csrf_token_is_refused_and_writes_nothing(site: Site) -> None:
    client = site.signed_in("wuhai")
    hidden = site.form(f"/desk/units/{WUHAI}/payments")
    before = site.high_water()

    answer = client.post(
        f"/desk/units/{WUHAI}/payments",
        data={
            "idempotency_key": hidden["idempotency_key"],
            "amount": "1.00",
            "paid_on": "2023-08-01",
        },
    )

    assert answer.status_code == 403
    assert "无权操作" in answer.text
    assert site.high_water() == before


def test_a_form_posted_from_another_site_is_refused(site: Site) -> None:
    client = site.signed_in("wuhai")
    hidden = site.form(f"/desk/units/{WUHAI}/payments")

    answer = client.post(
        f"/desk/units/{WUHAI}/payments",
        data={**hidden, "amount": "1.00", "paid_on": "2023-08-01"},
        headers={"Origin": "http://evil.example"},
    )

    assert answer.status_code == 403


def test_the_same_form_sent_twice_records_one_payment(site: Site) -> None:
    client = site.signed_in("wuhai")
    hidden = site.form(f"/desk/units/{WUHAI}/payments")
    sent = {**hidden, "amount": "7.00", "paid_on": "2023-08-02"}

    first = client.post(f"/desk/units/{WUHAI}/payments", data=sent, follow_redirects=False)
    after_first = site.high_water()
    second = client.post(f"/desk/units/{WUHAI}/payments", data=sent, follow_redirects=False)

    assert first.status_code == second.status_code == 303
    assert site.high_water() == after_first


def test_an_inspector_posting_a_form_is_refused_as_the_api_refuses(site: Site) -> None:
    client = site.signed_in("inspector")
    csrf = site.form("/")["csrf_token"]
    before = site.high_water()

    answer = client.post(
        f"/desk/units/{CHIFENG}/assessments",
        data={"csrf_token": csrf, "idempotency_key": "k-1", "period": "2020-06"},
    )

    assert answer.status_code == 403
    assert "may not do this" in answer.text
    assert site.high_water() == before


def test_a_case_worker_posting_to_another_agencys_unit_is_refused(site: Site) -> None:
    client = site.signed_in("chifeng")
    csrf = site.form("/")["csrf_token"]
    before = site.high_water()

    answer = client.post(
        f"/desk/units/{WUHAI}/payments",
        data={"csrf_token": csrf, "idempotency_key": "k-2", "amount": "1.00"},
    )

    assert answer.status_code == 403
    assert "乌海" not in answer.text
    assert site.high_water() == before


def test_a_resident_id_never_appears_in_a_url(site: Site) -> None:
    client = site.signed_in("wuhai")

    answer = client.get("/desk/persons", params={"resident_id": "150302199202020994"})

    assert answer.url.path == "/"
    assert "150302199202020994" not in str(answer.url)


def test_pages_are_not_in_the_apis_document_and_are_never_cached(site: Site) -> None:
    client = site.signed_in("wuhai")

    paths = client.get("/openapi.json").json()["paths"]
    home = client.get("/")

    assert not [p for p in paths if p == "/" or p.startswith("/desk")]
    assert home.headers["cache-control"] == "no-store"
    assert "script-src 'none'" in home.headers["content-security-policy"]


def test_the_docs_pages_load_their_assets_from_the_ledger(site: Site) -> None:
    docs = site.client.get("/docs").text
    redoc = site.client.get("/redoc").text

    assets = re.findall(r'(?:src|href)="([^"]+)"', docs + redoc)
    assert assets
    assert all(a.startswith("/static/docs/") or a == "/openapi.json" for a in assets)
    for asset in set(assets) - {"/openapi.json"}:
        assert site.client.get(asset).status_code == 200


def test_a_units_balance_downloads_as_the_apis_workbook(site: Site) -> None:
    client = site.signed_in("wuhai")

    answer = client.get(f"/desk/units/{WUHAI}/files/balance.xlsx", params={"as_of": "2023-08-01"})

    assert answer.status_code == 200
    assert "attachment" in answer.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(answer.content)).worksheets[0]
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert header[:2] == ["所属期", "缴费项目"]
    assert sheet.cell(sheet.max_row, 1).value == "合计"


def test_a_report_downloads_as_csv_with_a_byte_order_mark_for_chinese_excel(site: Site) -> None:
    client = site.signed_in("wuhai")

    answer = client.get("/desk/reports/deferral-list/file.csv", params={"month": "2022-09"})

    assert answer.content.startswith("\ufeff统一社会信用代码".encode())
    assert WUHAI in answer.text
    other = client.get("/desk/reports/deferral-list/file.csv", params={"agency": "150401"})
    assert other.status_code == 403


class _FinishesWhenAsked(ReplayJob):
    """A running job whose worker finishes (report, then state) right after a request
    first reads its state: the moment a page or a status is made."""

    def __getattribute__(self, name: str) -> Any:
        value = object.__getattribute__(self, name)
        if name == "state" and value == "running":
            object.__setattr__(self, "report", _REPORT)
            object.__setattr__(self, "state", "done")
        return value


_REPORT: Any = object()  # never rendered: a request that saw "running" shows no report


def _finishing_job(site: Site) -> ReplayJob:
    job = _FinishesWhenAsked(
        id=uuid.uuid4(),
        owner=token_id(token_digest(site.tokens["inspector"])),
        key="finishing",
        fingerprint="",
        region=None,
        as_of=date(2023, 8, 31),
        known_at=None,
        policy_set="deadline-2022-12-31",
        state="running",
    )
    jobs = site.client.app.state.replays  # type: ignore[attr-defined]
    jobs._jobs[job.id] = job  # as ReplayJobs.start files it, without running it
    return job


def test_a_replay_page_made_as_its_job_finishes_keeps_refreshing_until_it_shows_the_results(
    site: Site,
) -> None:
    client = site.signed_in("inspector")
    job = _finishing_job(site)

    text = client.get(f"/desk/replays/{job.id}").text

    # what the page read first (running) is what it says, so it reloads itself
    assert '<dd id="replay-state">运行中</dd>' in text
    assert 'http-equiv="refresh"' in text
    assert job.state == "done"


def test_a_replays_status_made_as_its_job_finishes_never_says_done_without_its_result(
    site: Site,
) -> None:
    job = _finishing_job(site)
    headers = {"Authorization": f"Bearer {site.tokens['inspector']}"}

    status = site.client.get(f"/replays/{job.id}", headers=headers).json()

    assert (status["state"], status["result"]) == ("running", {})
