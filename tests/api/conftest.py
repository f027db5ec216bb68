"""API fixtures: the app on a test store, its tokens, and a desk that speaks HTTP.

Most API tests run on SQLite through Starlette's TestClient (HTTP requests and
responses, served in-process); ``test_http_smoke`` and ``test_idempotency`` run on
SQLite and PostgreSQL, the smoke test against a real uvicorn server on 127.0.0.1.
The packaged catalogue is enacted directly on the ledger (the policies route has its
own tests); everything else a test needs goes through the routes.
"""

from __future__ import annotations

import itertools
import shutil
import uuid
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest
from fastapi import FastAPI

from ledger.api.app import create_app
from ledger.application import Actor, Ledger
from ledger.bootstrap import build_ledger
from ledger.catalogue.loader import load_default_catalogue
from ledger.demo import Demo, Story
from ledger.domain.identifiers import resident_id_check_char, uscc_check_char
from ledger.domain.token import token_digest, token_id
from ledger.settings import Settings
from tests.conftest import StoreConfig

with warnings.catch_warnings():
    # Starlette 1.x would rather its test client ran on httpx2; the pinned httpx works.
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

SETUP = Actor("test:setup", "api test fixture", "req-setup")
REVOKER = Actor("test:admin", "revoked in a test", "req-revoke")
CHIFENG, LINCANG, WUHAI, JINAN = "150400", "530900", "150300", "370100"
REGIONS = {
    CHIFENG: ("赤峰市", "150000"),
    LINCANG: ("临沧市", "530000"),
    WUHAI: ("乌海市", "150000"),
    JINAN: ("济南市", "370000"),
}
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
#: the case worker's agency, and another one
AGENCY, OTHER_AGENCY = "150401", "530901"


@dataclass(frozen=True)
class Tokens:
    admin: str
    inspector: str
    case_worker: str  # of AGENCY
    other_agency: str  # a case worker of OTHER_AGENCY


def settings_for(store: StoreConfig, log_level: LogLevel = "WARNING") -> Settings:
    return Settings(
        database_url=store.database_url,
        postgres_schema=store.postgres_schema or "",
        log_format="json",
        log_level=log_level,
    )


def prepare(store: StoreConfig) -> Tokens:
    """A store with the packaged catalogue enacted and the tokens of the tests issued."""
    ledger = build_ledger(settings_for(store), configure_logs=False)
    try:
        for file in load_default_catalogue():
            ledger.enact_policy(file, SETUP)
        return make_tokens(ledger)
    finally:
        ledger.close()


#: who reads the demo's history in tests: (role, agency, name); the demo's agencies are
#: its regions' first four digits and "01" (src/ledger/demo.py)
DEMO_READERS = {
    "wuhai": ("case_worker", "150301", "王芳"),
    "chifeng": ("case_worker", "150401", "赵敏"),
    "inspector": ("inspector", "", "李稽核"),
    "admin": ("admin", "", "运维"),
}


def demo_with_tokens(
    settings: Settings, holders: Mapping[str, tuple[str, str, str]] = DEMO_READERS
) -> dict[str, str]:
    """The demo's history (``ledger demo``) recorded in the settings' store, and a token
    for each holder."""
    ledger = build_ledger(settings, configure_logs=False)
    try:
        Demo(ledger, Story(say=lambda _: None, show=lambda _: None)).run()
        tokens = {}
        for who, (role, agency, name) in holders.items():
            issued = ledger.issue_token(role=role, agency=agency, name=name, actor=SETUP)
            assert issued.secret is not None
            tokens[who] = issued.secret
        return tokens
    finally:
        ledger.close()


def make_tokens(ledger: Ledger) -> Tokens:
    def token(role: str, agency: str = "") -> str:
        secret = ledger.issue_token(role=role, agency=agency, name=role, actor=SETUP).secret
        assert secret is not None
        return secret

    return Tokens(
        admin=token("admin"),
        inspector=token("inspector"),
        case_worker=token("case_worker", AGENCY),
        other_agency=token("case_worker", OTHER_AGENCY),
    )


@dataclass(frozen=True)
class Prepared:
    """A store ready for a test, and the tokens issued in it."""

    store: StoreConfig
    tokens: Tokens


class Desk:
    """A client of the API: every POST with a bearer token and a fresh Idempotency-Key
    unless the test says otherwise; helpers to set up regions, units and persons."""

    def __init__(self, http: httpx.Client, tokens: Tokens, ledger: Ledger) -> None:
        self.http = http
        self.tokens = tokens
        self.ledger = ledger
        self._serial = itertools.count(1)

    def post(
        self,
        path: str,
        body: Any = None,
        *,
        token: str | None = "",
        key: str | None = "",
        headers: dict[str, str] | None = None,
        content: str | None = None,
    ) -> httpx.Response:
        """``token=""`` is the case worker's, ``None`` none; ``key=""`` a fresh one."""
        sent = dict(headers or {})
        bearer = self.tokens.case_worker if token == "" else token
        if bearer is not None:
            sent["Authorization"] = f"Bearer {bearer}"
        if key is not None:
            sent["Idempotency-Key"] = key or uuid.uuid4().hex
        if content is not None:
            sent.setdefault("Content-Type", "application/toml")
            return self.http.post(path, content=content.encode(), headers=sent)
        return self.http.post(path, json=body, headers=sent)

    def admin(self, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        return self.post(path, body, token=self.tokens.admin, **kwargs)

    # ------------------------------------------------------------- set-up

    def region(self, code: str, *, fund_months: int | None = None) -> str:
        name, parent = REGIONS[code]
        ok(self.admin("/regions", {"code": code, "name": name, "parent": parent}), 201)
        if fund_months is not None:
            body = {"months": fund_months, "as_of": "2022-07-01"}
            ok(self.admin(f"/regions/{code}/fund-months", body))
        return code

    def uscc(self, region: str, prefix: str = "91") -> str:
        body = f"{prefix}{region}MA{next(self._serial):07d}"
        return body + uscc_check_char(body)

    def unit(self, region: str, *, agency: str = AGENCY, token: str = "", **fields: Any) -> str:
        uscc = self.uscc(region)
        body = {
            "uscc": uscc,
            "name": f"测试单位{uscc[-6:]}",
            "region": region,
            "agency": agency,
            "established_on": "2010-05-01",
            **fields,
        }
        ok(self.post("/units", body, token=token), 201)
        return uscc

    def resident_id(self, region: str) -> str:
        body = f"{region}19850101{next(self._serial) % 1000:03d}"
        return body + resident_id_check_char(body)

    def person(self, uscc: str, base: str = "5000.00", *, token: str = "") -> str:
        rid = self.resident_id(uscc[2:8])
        body = {"resident_id": rid, "base": base, "joined_on": "2010-05-01"}
        ok(self.post(f"/units/{uscc}/persons", body, token=token), 201)
        return rid

    def high_water(self) -> int:
        """The last notification id: a failed request must leave it where it was."""
        return self.ledger.recorder.max_notification_id() or 0

    def events(self, uscc: str) -> list[Any]:
        return self.ledger.unit_history(uscc)


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The problem details of a failed response, checked for the RFC 9457 shape."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://ledger.invalid/problems/")
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body


def types(response: httpx.Response) -> list[str]:
    return [e["type"] for e in ok(response, response.status_code)["events"]]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Prepared:
    """Prepared once: each test gets a copy of the file (enacting the catalogue into a
    fresh SQLite file for every test would be most of the suite's time)."""
    path = tmp_path_factory.mktemp("template") / "ledger.db"
    store = StoreConfig("sqlite", f"sqlite:///{path}", None)
    return Prepared(store, prepare(store))


@pytest.fixture
def prepared(sqlite_template: Prepared, tmp_path: Path) -> Prepared:
    """The test's own SQLite store (modules on both stores override this fixture)."""
    template = Path(sqlite_template.store.database_url.removeprefix("sqlite:///"))
    for suffix in ("", "-wal", "-shm"):
        source = template.with_name(template.name + suffix)
        if source.exists():
            shutil.copyfile(source, tmp_path / f"ledger.db{suffix}")
    store = StoreConfig("sqlite", f"sqlite:///{tmp_path}/ledger.db", None)
    return Prepared(store, sqlite_template.tokens)


@pytest.fixture
def app(prepared: Prepared) -> Iterator[FastAPI]:
    app = create_app(settings_for(prepared.store))
    yield app
    app.state.close()


@pytest.fixture
def desk(app: FastAPI, prepared: Prepared) -> Iterator[Desk]:
    # Not entered as a context manager: the lifespan (which closes the ledger) is the
    # uvicorn smoke test's; here the app fixture closes it.
    client = TestClient(app, base_url="http://ledger.test")
    yield Desk(client, prepared.tokens, app.state.ledger)
    client.close()


def counted(app: FastAPI, route: str) -> float:
    """Requests the app's metrics counted under a route's template, whatever their status."""
    (family,) = app.state.metrics.requests.collect()
    return sum(
        float(s.value)
        for s in family.samples
        if s.name.endswith("_count") and s.labels.get("route") == route
    )


def demo_app(
    settings: Settings, holders: Mapping[str, tuple[str, str, str]]
) -> tuple[FastAPI, dict[str, str]]:
    """The API over the demo's history, with a token for each holder; the holder named
    ``revoked`` (if any) has had theirs revoked."""
    tokens = demo_with_tokens(settings, holders)
    if "revoked" in tokens:
        ledger = build_ledger(settings, configure_logs=False)
        try:
            ledger.revoke_token(str(token_id(token_digest(tokens["revoked"]))), REVOKER)
        finally:
            ledger.close()
    return create_app(settings), tokens
