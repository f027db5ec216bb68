"""The desk in a real browser: Debian's Chromium, headless, driven by Playwright.

A module's tests share one server (uvicorn on 127.0.0.1, lifespan included, as ``ledger
serve`` runs it) over the demo's history (``ledger demo``), once on SQLite and once on
PostgreSQL, and one Chromium; each test has its own browser context (its own cookies).
``scripts/test`` installs ``chromium`` and ``fonts-noto-cjk`` when they are missing
(``playwright install`` cannot download a browser here); without Chromium the tests
fail, they are never skipped.

Screenshots of the main pages go to ``$LEDGER_SCREENSHOTS`` when it is set
(``scripts/screenshots`` sets it to ``docs/desk``).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright
from psycopg import sql

from ledger.api.app import create_app
from ledger.application import Actor, Ledger
from ledger.settings import Settings
from tests.api.conftest import demo_with_tokens
from tests.conftest import StoreConfig
from tests.serving import serving

#: the machine is shared: Swagger UI's 1.5 MB of script can take seconds to start
expect.set_options(timeout=20_000)
SETUP = Actor("test:setup", "browser test fixture", "req-setup")
#: the demo's units (src/ledger/demo.py) and their agencies
WUHAI = "91150302MA0Q1WH00Y"
CHIFENG = "91150402MA0N1CF000"
WUHAI_PERSON = "150302199202020994"


@dataclass(frozen=True)
class Desk:
    """A server of the desk over the demo's history, and a token of each kind."""

    url: str
    kind: str
    ledger: Ledger
    tokens: dict[str, str]


def settings(store: StoreConfig) -> Settings:
    return Settings(
        database_url=store.database_url,
        postgres_schema=store.postgres_schema or "",
        log_format="json",
        log_level="WARNING",
    )


@pytest.fixture(scope="module")
def store_config(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StoreConfig]:
    kind: str = request.param
    if kind == "sqlite":
        path = tmp_path_factory.mktemp("desk") / "ledger.db"
        yield StoreConfig("sqlite", f"sqlite:///{path}", None)
        return
    url: str = request.getfixturevalue("postgres_url")
    schema = f"test_desk_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(url, autocommit=True, connect_timeout=3) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield StoreConfig("postgres", url, schema)
    finally:
        with psycopg.connect(url, autocommit=True, connect_timeout=3) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "store_config" in metafunc.fixturenames:
        metafunc.parametrize(
            "store_config",
            [
                pytest.param("sqlite", id="sqlite"),
                pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
            ],
            indirect=True,
            scope="module",
        )


@pytest.fixture(scope="module")
def desk(store_config: StoreConfig) -> Iterator[Desk]:
    tokens = demo_with_tokens(settings(store_config))
    app = create_app(settings(store_config))
    with serving(app) as url:
        yield Desk(url, store_config.kind, app.state.ledger, tokens)


# Per module, not per session: while Playwright's sync API is open, its event loop is the
# main thread's running loop, and a later module's ``asyncio.run`` there fails ("cannot be
# called from a running event loop"); pytest-xdist runs other modules after these in
# the same process, in any order. A launch per module costs about a second.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is not installed: scripts/test installs it (apt-get)"
    launched = playwright.chromium.launch(
        executable_path=chromium,
        # As root Chromium needs --no-sandbox; the others keep it off the closed network.
        args=["--no-sandbox", "--disable-background-networking", "--disable-component-update"],
    )
    yield launched
    launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 1360, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(20_000)
    opened = context.new_page()
    yield opened
    context.close()


def sign_in(page: Page, desk: Desk, who: str, then: str = "/") -> None:
    page.goto(desk.url + then)
    assert "/desk/sign-in" in page.url
    page.fill("#f-token", desk.tokens[who])
    page.click("form button[type=submit]")
    page.wait_for_url(desk.url + then)


def screenshot(page: Page, desk: Desk, name: str) -> None:
    """The page as it looks, for the README (only once: from the SQLite run)."""
    where = os.environ.get("LEDGER_SCREENSHOTS")
    if where and desk.kind == "sqlite":
        Path(where).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(where) / f"{name}.png"), full_page=False)
