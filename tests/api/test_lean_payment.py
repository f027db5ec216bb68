"""The plain payment answered before FastAPI's routing (``ledger.api.lean_payment``), over
HTTP on SQLite and PostgreSQL: two stores holding the same demo history, one served with
the lean path off (the route answers every command), one with it on; the same commands
sent to both get the same answers byte for byte (status, headers, body), the same
request log lines and metrics, and leave the same balances; what the lean path does not
answer plainly the route answers; a token revoked elsewhere records nothing."""

from __future__ import annotations

import json
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from psycopg import sql
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
UNKNOWN = make_uscc("91150402MA0N1CF99")
ROUTE = "/units/{uscc}/payments"
HOLDERS = {**DEMO_READERS, "revoked": ("case_worker", "150401", "离职")}
ADMIN = Actor("test:admin", "revoked in a test", "req-revoke")
PAYMENT = {"amount": "100.00", "paid_on": "2024-01-10"}


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    #: the request's log line and the use case's, each with its token id left out
    logs: list[dict[str, Any]]
    counted: float


@dataclass
class Served:
    http: httpx.Client
    app: FastAPI
    tokens: dict[str, str]

    def send(self, who: str | None, uscc: str, body: bytes, headers: dict[str, str]) -> Answer:
        sent = dict(headers)
        if who is not None:
            sent["Authorization"] = f"Bearer {self.tokens[who]}"
        before = self.counted()
        with capture_logs() as logs:
            response = self.http.post(f"/units/{uscc}/payments", content=body, headers=sent)
        ids = {str(token_id(token_digest(t))) for t in self.tokens.values()}
        body = response.content
        for token in ids:  # a 409 names the key, which names the token
            body = body.replace(token.encode(), b"<token>")
        given = sorted(response.headers.multi_items())
        if body != response.content:
            given = [(k, v) for k, v in given if k != "content-length"]
        return Answer(
            response.status_code,
            given,
            body,
            [_without(dict(e), ids) for e in logs if e["event"] in ("request", "collect_payment")],
            self.counted() - before,
        )

    def counted(self) -> float:
        return counted(self.app, ROUTE)

    def balance(self, uscc: str) -> bytes:
        headers = {"Authorization": f"Bearer {self.tokens['inspector']}"}
        return self.http.get(f"/units/{uscc}/balance?as_of=2024-06-30", headers=headers).content


def _without(line: dict[str, Any], ids: set[str]) -> dict[str, Any]:
    """A log line as both servers write it: the token ids (each store issued its own)
    and the durations left out."""
    line.pop("duration_ms", None)
    text = json.dumps(line, ensure_ascii=False, sort_keys=True, default=str)
    for token in ids:
        text = text.replace(token, "<token>")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _serve(config: StoreConfig, lean: bool) -> Served:
    app, tokens = demo_app(settings_for(config, "INFO"), HOLDERS)
    app.state.lean_payment.enabled = lean
    return Served(TestClient(app, base_url="http://ledger.test"), app, tokens)


@pytest.fixture
def twin(store: StoreConfig, tmp_path: Path) -> Iterator[StoreConfig]:
    """A second store of the same kind, empty."""
    if store.kind == "sqlite":
        yield StoreConfig("sqlite", f"sqlite:///{tmp_path}/twin.db", None)
        return
    schema = f"test_twin_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(store.database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield StoreConfig("postgres", store.database_url, schema)
    finally:
        with psycopg.connect(store.database_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture
def pair(store: StoreConfig, twin: StoreConfig) -> Iterator[tuple[Served, Served]]:
    """The route's server and the lean path's, over stores holding the same history."""
    route, lean = _serve(store, lean=False), _serve(twin, lean=True)
    yield route, lean
    for served in (route, lean):
        served.http.close()
        served.app.state.close()


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


JSON = {"Content-Type": "application/json"}
#: (who pays, unit, body, headers, whether the lean path answers); in this order, to both
CASES: list[tuple[str | None, str, bytes, dict[str, str], bool]] = [
    # the unit's first command: its agency is looked up by the route, then kept
    ("chifeng", CHIFENG, _json(PAYMENT), {**JSON, "Idempotency-Key": "k-1"}, False),
    ("chifeng", CHIFENG, _json(PAYMENT), {**JSON, "Idempotency-Key": "k-2"}, True),
    # a retry (the first response again) and the same key with another body (409)
    ("chifeng", CHIFENG, _json(PAYMENT), {**JSON, "Idempotency-Key": "k-2"}, True),
    (
        "chifeng",
        CHIFENG,
        _json({**PAYMENT, "amount": "9.00"}),
        {**JSON, "Idempotency-Key": "k-2"},
        True,
    ),
    # by item; an item the unit does not have; an amount the use case refuses
    (
        "chifeng",
        CHIFENG,
        _json(
            {**PAYMENT, "items": [{"period": "2023-06", "part": "individual", "amount": "5.00"}]}
        ),
        {**JSON, "Idempotency-Key": "k-3"},
        True,
    ),
    (
        "chifeng",
        CHIFENG,
        _json(
            {**PAYMENT, "items": [{"period": "1999-01", "part": "individual", "amount": "5.00"}]}
        ),
        {**JSON, "Idempotency-Key": "k-4"},
        True,
    ),
    (
        "chifeng",
        CHIFENG,
        _json({**PAYMENT, "amount": "0.00"}),
        {**JSON, "Idempotency-Key": "k-5"},
        True,
    ),
    # input the route refuses: no key, a bad key, a reason, another media type, a key
    # twice, not JSON, a field unknown, a query
    ("chifeng", CHIFENG, _json(PAYMENT), JSON, False),
    ("chifeng", CHIFENG, _json(PAYMENT), {**JSON, "Idempotency-Key": "a key"}, False),
    (
        "chifeng",
        CHIFENG,
        _json(PAYMENT),
        {**JSON, "Idempotency-Key": "k-6", "X-Reason": "%E5%9B%9E%E4%BC%A0"},
        False,
    ),
    (
        "chifeng",
        CHIFENG,
        _json(PAYMENT),
        {"Content-Type": "text/plain", "Idempotency-Key": "k-7"},
        False,
    ),
    (
        "chifeng",
        CHIFENG,
        b'{"amount": "1.00", "amount": "9.00", "paid_on": "2024-01-10"}',
        {**JSON, "Idempotency-Key": "k-8"},
        False,
    ),
    ("chifeng", CHIFENG, b"amount=1", {**JSON, "Idempotency-Key": "k-9"}, False),
    (
        "chifeng",
        CHIFENG,
        _json({**PAYMENT, "payer": "x"}),
        {**JSON, "Idempotency-Key": "k-10"},
        False,
    ),
    ("chifeng", CHIFENG, b"", {**JSON, "Idempotency-Key": "k-11"}, False),
    # callers the route refuses or checks: another agency's unit, an unknown one, an
    # inspector, no token, a revoked token
    ("wuhai", CHIFENG, _json(PAYMENT), {**JSON, "Idempotency-Key": "k-12"}, False),
    ("chifeng", UNKNOWN, _json(PAYMENT), {**JSON, "Idempotency-Key": "k-13"}, False),
    ("inspector", CHIFENG, _json(PAYMENT), {**JSON, "Idempotency-Key": "k-14"}, False),
    (None, CHIFENG, _json(PAYMENT), {**JSON, "Idempotency-Key": "k-15"}, False),
    ("revoked", CHIFENG, _json(PAYMENT), {**JSON, "Idempotency-Key": "k-16"}, False),
    # another unit, its first command by the route, its second lean
    ("wuhai", WUHAI, _json(PAYMENT), {**JSON, "Idempotency-Key": "k-17"}, False),
    (
        "wuhai",
        WUHAI,
        _json({**PAYMENT, "amount": "0.01"}),
        {**JSON, "Idempotency-Key": "k-18"},
        True,
    ),
]


def test_the_lean_path_answers_payments_as_the_route_byte_for_byte(
    pair: tuple[Served, Served],
) -> None:
    route, lean = pair
    answered = []
    for n, (who, uscc, body, headers, plain) in enumerate(CASES):
        same = {"X-Request-ID": f"req-pay-{n}", **headers}
        before = lean.app.state.lean_payment.answered
        full = route.send(who, uscc, body, same)
        fast = lean.send(who, uscc, body, same)

        assert (fast.status, fast.headers, fast.body) == (full.status, full.headers, full.body), n
        assert fast.logs == full.logs, n
        assert fast.counted == full.counted == 1, n
        answered.append(lean.app.state.lean_payment.answered > before)
        assert answered[-1] is plain, n

    assert route.app.state.lean_payment.answered == 0
    assert [s for _, _, _, _, s in CASES].count(True) == 7
    for uscc in (CHIFENG, WUHAI):
        assert lean.balance(uscc) == route.balance(uscc)


def test_a_token_revoked_elsewhere_records_no_payment_by_the_lean_path(
    pair: tuple[Served, Served], store: StoreConfig
) -> None:
    _, lean = pair
    headers = {**JSON, "Idempotency-Key": "first"}
    assert lean.send("chifeng", CHIFENG, _json(PAYMENT), headers).status == 201
    before = lean.balance(CHIFENG)
    # as ``ledger token revoke`` in another process would
    other = build_ledger(settings_for(lean_store(lean)), configure_logs=False)
    try:
        other.revoke_token(str(token_id(token_digest(lean.tokens["chifeng"]))), ADMIN)
    finally:
        other.close()

    refused = lean.send("chifeng", CHIFENG, _json(PAYMENT), {**JSON, "Idempotency-Key": "next"})

    assert refused.status == 401
    assert lean.app.state.lean_payment.answered == 0
    assert lean.balance(CHIFENG) == before


def lean_store(served: Served) -> StoreConfig:
    settings = served.app.state.settings
    return StoreConfig(
        "postgres" if settings.postgres_schema else "sqlite",
        settings.database_url,
        settings.postgres_schema or None,
    )


def test_with_the_lean_paths_off_every_read_and_payment_takes_its_route(
    store: StoreConfig,
) -> None:
    settings = settings_for(store, "INFO").model_copy(update={"lean": False})
    app, tokens = demo_app(settings, HOLDERS)
    with TestClient(app, base_url="http://ledger.test") as http:
        served = Served(http, app, tokens)
        for n in range(2):
            headers = {**JSON, "Idempotency-Key": f"off-{n}"}
            assert served.send("chifeng", CHIFENG, _json(PAYMENT), headers).status == 201
            assert http.get(
                f"/units/{CHIFENG}/balance",
                headers={"Authorization": f"Bearer {tokens['chifeng']}"},
            ).is_success

    assert app.state.lean_payment.answered == app.state.lean.answered == 0


def test_a_lean_payment_of_a_kept_unit_takes_every_look_up_from_one_ask_ahead(
    store: StoreConfig,
) -> None:
    served = _serve(store, lean=True)
    ledger = served.app.state.ledger
    taken: list[bool] = []
    original = ledger.lookahead.taken

    def spying(ask: Any) -> Any:
        answer = original(ask)
        taken.append(answer is not None)
        return answer

    try:
        first = {**JSON, "Idempotency-Key": "kept-1"}
        assert served.send("chifeng", CHIFENG, _json(PAYMENT), first).status == 201
        ledger.lookahead.taken = spying
        again = {**JSON, "Idempotency-Key": "kept-2"}
        assert served.send("chifeng", CHIFENG, _json(PAYMENT), again).status == 201
    finally:
        served.http.close()
        served.app.state.close()

    # the token's revocation, the key's record and the kept unit's events since
    assert taken == [True, True, True]
    # the first took the route (token and unit not yet known here), the second not
    assert served.app.state.lean_payment.answered == 1
