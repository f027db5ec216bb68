"""The plain balance read answered before FastAPI's routing (``ledger.api.lean``), over
HTTP on SQLite and PostgreSQL, on the demo's history: every answer is the route's, byte
for byte (status, headers, body), with the same request log line and metrics; what it
does not answer plainly the route answers; a revoked token is refused at its next use."""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from structlog.testing import capture_logs

from ledger.application import Actor
from ledger.bootstrap import build_ledger
from ledger.demo import make_uscc
from ledger.domain.token import token_digest, token_id
from tests.api.conftest import DEMO_READERS, counted, demo_app, settings_for
from tests.conftest import StoreConfig

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

CHIFENG = make_uscc("91150402MA0N1CF00")  # agency 150401
WUHAI = make_uscc("91150302MA0Q1WH00")  # agency 150301
LINCANG = make_uscc("91530902MA6K1LC00")  # agency 530901
UNKNOWN = make_uscc("91150402MA0N1CF99")
ROUTE = "/units/{uscc}/balance"
OTHER = ("case_worker", "530901", "另一机构")
ADMIN = Actor("test:admin", "revoked in a test", "req-revoke")


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    log: dict[str, Any]
    #: the request counted in the metrics under the route's template
    counted: float


class Client:
    """Asks each question twice: with the lean path off (the route answers), then on."""

    def __init__(self, http: httpx.Client, app: FastAPI, tokens: dict[str, str]) -> None:
        self.http, self.app, self.tokens = http, app, tokens
        self._ids = itertools.count(1)

    def ask(
        self,
        who: str | None,
        uscc: str,
        params: dict[str, str],
        headers: dict[str, str] | None = None,
    ) -> Answer:
        sent = {"X-Request-ID": f"req-lean-{next(self._ids)}", **(headers or {})}
        if who is not None:
            sent["Authorization"] = f"Bearer {self.tokens[who]}"
        before = self._counted()
        with capture_logs() as logs:
            response = self.http.get(f"/units/{uscc}/balance", params=params, headers=sent)
        (line,) = [dict(e) for e in logs if e["event"] == "request"]
        line.pop("duration_ms")
        return Answer(
            response.status_code,
            sorted(response.headers.multi_items()),
            response.content,
            line,
            self._counted() - before,
        )

    def both(
        self, who: str | None, uscc: str, params: dict[str, str], headers: dict[str, str]
    ) -> tuple[Answer, Answer, bool]:
        """The route's answer, the lean path's (with the same request id), and whether
        the lean path answered."""
        lean = self.app.state.lean
        same = {"X-Request-ID": f"req-both-{next(self._ids)}", **headers}
        lean.enabled = False
        try:
            full = self.ask(who, uscc, params, same)
        finally:
            lean.enabled = True
        answered = lean.answered
        fast = self.ask(who, uscc, params, same)
        return full, fast, lean.answered > answered

    def _counted(self) -> float:
        return counted(self.app, ROUTE)


@pytest.fixture
def client(store: StoreConfig) -> Iterator[Client]:
    holders = {**DEMO_READERS, "other": OTHER, "revoked": OTHER}
    app, tokens = demo_app(settings_for(store, "INFO"), holders)
    http = TestClient(app, base_url="http://ledger.test")
    yield Client(http, app, tokens)
    http.close()
    app.state.close()


#: (who reads, unit, query, extra headers); who None: no token
CASES: list[tuple[str | None, str, dict[str, str], dict[str, str]]] = [
    ("inspector", WUHAI, {}, {}),
    ("inspector", WUHAI, {"as_of": "2024-06-30"}, {}),
    ("admin", CHIFENG, {"as_of": "2024-06-30", "headers": "en"}, {}),
    ("inspector", LINCANG, {"as_of": "2030-01-01", "format": "json"}, {}),
    ("wuhai", WUHAI, {"as_of": "2024-06-30"}, {}),
    ("chifeng", CHIFENG, {}, {}),
    ("chifeng", CHIFENG.lower(), {"as_of": "2024-06-30"}, {}),
    # as of a day before the unit's last movement: the fold
    ("inspector", WUHAI, {"as_of": "2023-07-10"}, {}),
    ("wuhai", WUHAI, {"as_of": "2022-01-01"}, {}),
    # another agency's unit, an unknown unit, a malformed code
    ("chifeng", WUHAI, {"as_of": "2024-06-30"}, {}),
    ("other", CHIFENG, {}, {}),
    ("inspector", UNKNOWN, {}, {}),
    ("inspector", "91150402", {}, {}),
    # bad days, other formats, the second clock, parameters the route does not take
    ("inspector", WUHAI, {"as_of": "2024-02-30"}, {}),
    ("inspector", WUHAI, {"as_of": "20240630"}, {}),
    ("inspector", WUHAI, {"as_of": "1900-01-01"}, {}),
    ("inspector", WUHAI, {"as_of": ""}, {}),
    ("inspector", WUHAI, {"format": "csv"}, {}),
    ("inspector", WUHAI, {"format": "csv", "headers": "en"}, {}),
    ("inspector", WUHAI, {"format": "pdf"}, {}),
    ("inspector", WUHAI, {"headers": "fr"}, {}),
    ("inspector", WUHAI, {"known_at": "2023-07-31"}, {}),
    ("inspector", WUHAI, {"known_at": ""}, {}),
    ("inspector", WUHAI, {"page": "2"}, {}),
    # no token, a revoked one, an unknown one, another scheme
    (None, WUHAI, {}, {}),
    ("revoked", CHIFENG, {}, {}),
    (None, WUHAI, {}, {"Authorization": "Bearer ldg_not-a-token"}),
    (None, WUHAI, {}, {"Authorization": "Basic aW5zcGVjdG9yOng="}),
]

#: the cases the lean path answers itself (the others it hands to the route)
LEAN = {0, 1, 2, 3, 4, 5, 6}


def test_the_lean_path_answers_as_the_route_byte_for_byte(client: Client) -> None:
    answered = set()
    for n, (who, uscc, params, headers) in enumerate(CASES):
        full, fast, lean = client.both(who, uscc, params, headers)

        assert (fast.status, fast.headers, fast.body) == (full.status, full.headers, full.body), n
        assert fast.log == full.log, n
        assert fast.counted == full.counted == 1, n
        if lean:
            answered.add(n)

    assert answered == LEAN


def test_the_route_answers_the_first_read_of_a_unit_and_the_lean_path_the_next(
    client: Client,
) -> None:
    lean = client.app.state.lean

    first = client.ask("inspector", WUHAI, {"as_of": "2024-06-30"})
    answered = lean.answered
    second = client.ask("inspector", WUHAI, {"as_of": "2024-06-30"})

    assert answered == 0
    assert lean.answered == 1
    assert (first.status, first.body) == (second.status, second.body) == (200, second.body)
    assert b'"totals"' in second.body


def test_a_token_revoked_elsewhere_is_refused_at_its_next_lean_read(
    client: Client, store: StoreConfig
) -> None:
    params = {"as_of": "2024-06-30"}
    client.ask("chifeng", CHIFENG, params)
    assert client.ask("chifeng", CHIFENG, params).status == 200
    assert client.app.state.lean.answered == 1
    # as ``ledger token revoke`` in another process would
    ledger = build_ledger(settings_for(store), configure_logs=False)
    try:
        ledger.revoke_token(str(token_id(token_digest(client.tokens["chifeng"]))), ADMIN)
    finally:
        ledger.close()

    refused = client.ask("chifeng", CHIFENG, params)

    assert refused.status == 401
    assert refused.headers.count(("www-authenticate", 'Bearer error="invalid_token"')) == 1
    assert client.app.state.lean.answered == 1


def test_a_payment_recorded_elsewhere_is_in_the_next_read(
    client: Client, store: StoreConfig
) -> None:
    params = {"as_of": "2024-06-30"}
    client.ask("chifeng", CHIFENG, params)
    before = client.ask("chifeng", CHIFENG, params)
    assert client.app.state.lean.answered == 1
    ledger = build_ledger(settings_for(store), configure_logs=False)
    try:
        ledger.collect_payment(CHIFENG, date(2024, 6, 1), "1.00", ADMIN)
    finally:
        ledger.close()

    after = client.ask("chifeng", CHIFENG, params)
    full, again, lean = client.both("chifeng", CHIFENG, params, {})

    assert after.body == again.body == full.body != before.body
    assert lean  # the balance kept again by the read after the payment
