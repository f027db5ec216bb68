"""Operations over HTTP: ``/healthz``, ``/metrics`` and the OpenAPI operation ids."""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import threading
import time
import uuid
import warnings
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from eventsourcing.persistence import OperationalError
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from psycopg import sql

from ledger.api import examples, ops
from ledger.api.app import create_app
from tests.api.conftest import (
    CHIFENG,
    REGIONS,
    SETUP,
    Prepared,
    prepare,
    settings_for,
)
from tests.api.test_cli import free_port
from tests.conftest import StoreConfig

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient


@pytest.fixture
def served(store: StoreConfig) -> Iterator[tuple[TestClient, FastAPI, Prepared]]:
    """The app on a store with the catalogue enacted; no lifespan, so no follower thread
    catches the views up behind the test's back."""
    tokens = prepare(store)
    app = create_app(settings_for(store))
    client = TestClient(app, base_url="http://ledger.test")
    yield client, app, Prepared(store, tokens)
    client.close()
    app.state.close()


CHIFENG_REGION = {"code": CHIFENG, "name": REGIONS[CHIFENG][0], "parent": REGIONS[CHIFENG][1]}


def command(client: TestClient, token: str, path: str, key: str, body: dict[str, Any]) -> Any:
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
    return client.post(path, json=body, headers=headers)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            found[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return found


# ------------------------------------------------------------------- healthz


def test_healthz_answers_200_with_the_views_position(
    served: tuple[TestClient, FastAPI, Prepared],
) -> None:
    client, app, _ = served
    app.state.views.fresh()  # the views caught up with the catalogue's enactment

    response = client.get("/healthz")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ok"
    assert body["store"] == "reachable"
    assert body["events"] == body["views_position"] > 0
    assert body["views_lag"] == 0


def test_healthz_is_503_while_the_views_lag_too_far(
    served: tuple[TestClient, FastAPI, Prepared],
) -> None:
    client, app, _ = served
    app.state.views.fresh()
    app.state.views.backlog = 1
    ledger = app.state.ledger
    for code, (name, parent) in REGIONS.items():  # 2 events each, not yet in the views
        ledger.register_region(code, name, parent, SETUP)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "5"
    problem = response.json()
    assert (problem["status"], problem["code"], problem["views_lag"]) == (503, "unhealthy", 8)
    assert "8 events behind the event store" in problem["detail"]


def test_healthz_is_503_when_the_store_cannot_be_reached(
    served: tuple[TestClient, FastAPI, Prepared], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, app, _ = served

    def lost() -> int:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(app.state.ledger.recorder, "max_notification_id", lost)
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["store"] == "unreachable"
    assert "OperationalError" in response.json()["detail"]


def test_healthz_does_not_wait_for_a_store_that_does_not_answer(
    served: tuple[TestClient, FastAPI, Prepared], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, app, _ = served
    monkeypatch.setattr(ops, "HEALTH_TIMEOUT", 0.2)
    answered = threading.Event()

    def hung() -> int:
        answered.wait(30)  # a store that answers only once the probe has its answer
        return 0

    monkeypatch.setattr(app.state.ledger.recorder, "max_notification_id", hung)
    finished = threading.Event()
    probe = ops.positions

    def positions(views: Any) -> tuple[int, int]:
        try:
            return probe(views)
        finally:
            finished.set()

    monkeypatch.setattr(ops, "positions", positions)
    response = client.get("/healthz")
    answered.set()
    finished.wait(30)  # the abandoned probe ends before the fixture closes the store

    assert response.status_code == 503
    assert "did not answer within 0.2 s" in response.json()["detail"]


# ------------------------------------------------------------------- metrics


# counting is the same on either store: SQLite only, to keep the suite short
@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_metrics_count_requests_by_route_template_and_commands_by_outcome(
    served: tuple[TestClient, FastAPI, Prepared],
) -> None:
    client, _, prepared = served
    admin = prepared.tokens.admin

    command(client, admin, "/regions", "r-1", CHIFENG_REGION)
    command(client, admin, "/regions", "r-1", CHIFENG_REGION)
    command(client, admin, "/regions", "r-2", {**CHIFENG_REGION, "code": "15"})
    command(client, admin, "/regions", "r-3", CHIFENG_REGION)
    command(client, "nobody", "/regions", "r-4", CHIFENG_REGION)
    for n in range(3):
        client.get(f"/units/91150402MA0N1CF00{n}/balance", headers=_bearer(admin))
    client.get("/no/such/path/91150402MA0N1CF000")
    found = samples(client.get("/metrics").text)

    count = "ledger_http_request_duration_seconds_count"
    balance = (("method", "GET"), ("route", "/units/{uscc}/balance"), ("status", "422"))
    balance_404 = (("method", "GET"), ("route", "/units/{uscc}/balance"), ("status", "404"))
    assert found.get((count, balance), 0) + found.get((count, balance_404), 0) == 3
    unmatched = (("method", "GET"), ("route", "unmatched"), ("status", "404"))
    assert found[(count, unmatched)] == 1
    assert not any("91150402MA0N1CF000" in str(labels) for _, labels in found)

    def commands(outcome: str) -> float:
        key = ("ledger_commands_total", (("command", "register_region"), ("outcome", outcome)))
        return found.get(key, 0)

    # recorded, then its retry (the same key and body: the first answer again)
    assert (commands("recorded"), commands("invalid"), commands("conflict")) == (2, 1, 1)
    assert commands("denied") == 1
    assert found[("ledger_store_up", ())] == 1
    assert found[("ledger_views_lag_events", ())] >= 0


# counting is the same on either store: SQLite only, to keep the suite short
@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_a_refusal_by_a_rule_counts_as_refused_not_invalid(
    served: tuple[TestClient, FastAPI, Prepared],
) -> None:
    client, _, prepared = served
    command(client, prepared.tokens.admin, "/regions", "r-1", CHIFENG_REGION)
    command(client, prepared.tokens.case_worker, "/units", "u-1", examples.UNIT)

    # Chifeng has no commitment path (only Jinan's notice has one): refused by the rule
    refused = command(
        client,
        prepared.tokens.case_worker,
        f"/units/{examples.CHIFENG_USCC}/commitments",
        "c-1",
        examples.COMMITMENT,
    )
    found = samples(client.get("/metrics").text)

    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "rule-violation"
    key = ("ledger_commands_total", (("command", "file_commitment"), ("outcome", "refused")))
    assert found[key] == 1


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@contextmanager
def _two_workers(
    postgres_url: str, tmp_path: Path
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``ledger serve --workers 2`` on a schema of its own: its URL and its process."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    port = free_port()
    env = {
        **os.environ,
        "LEDGER_DATABASE_URL": postgres_url,
        "LEDGER_POSTGRES_SCHEMA": schema,
        "LEDGER_LOG_FORMAT": "json",
        "LEDGER_LOG_LEVEL": "WARNING",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log = tmp_path / "serve.log"
    server = subprocess.Popen(
        [sys.executable, "-m", "ledger", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, server, log)
        deadline = time.monotonic() + 60  # both workers serving, not only the first
        while log.read_text().count("Application startup complete") < 2:
            assert time.monotonic() < deadline, "a worker did not start: " + log.read_text()
            time.sleep(0.1)
        time.sleep(0.5)  # from its startup to its socket's first accept
        yield url, server
    finally:
        server.terminate()
        server.wait(timeout=30)
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


@pytest.mark.postgres
def test_with_two_workers_a_scrape_sums_the_requests_of_both(
    postgres_url: str, tmp_path: Path
) -> None:
    with (
        _two_workers(postgres_url, tmp_path) as (url, _),
        httpx.Client(base_url=url, timeout=10) as http,
    ):
        for _ in range(40):  # new connections: the kernel spreads them over both
            httpx.get(f"{url}/healthz", timeout=10)
        totals = {
            samples(http.get("/metrics").text).get(
                (
                    "ledger_http_request_duration_seconds_count",
                    (("method", "GET"), ("route", "/healthz"), ("status", "200")),
                ),
                0,
            )
            for _ in range(6)
        }

    # whichever worker answers the scrape, it counts both workers' 40 health checks
    # (plus the start-up probes that answered 200)
    assert len(totals) == 1
    assert totals.pop() >= 40


@pytest.mark.postgres
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SO_REUSEPORT spreads on Linux")
def test_with_two_workers_connections_opened_together_are_taken_by_both(
    postgres_url: str, tmp_path: Path
) -> None:
    # A client's pool opens its connections together; on one shared socket the worker
    # that woke first accepted them all (ledger.cli.listeners).
    with _two_workers(postgres_url, tmp_path) as (url, server):
        port = int(url.rsplit(":", 1)[1])
        pool = _connected_together(port, 16)
        try:
            for conn in pool:  # each answered: accepted by a worker by now
                conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: ledger\r\n\r\n")
            for conn in pool:
                assert conn.recv(64).startswith(b"HTTP/1.1 200")
            owners = _connection_owners(server.pid, port)
        finally:
            for conn in pool:
                conn.close()

    assert len(owners) == 2, owners  # the two workers, each with some of the 16
    assert sum(owners.values()) == 16


@pytest.mark.postgres
def test_two_workers_on_a_port_another_server_listens_on_are_refused_with_its_reason(
    postgres_url: str,
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as other:
        port = other.getsockname()[1]
        env = {**os.environ, "LEDGER_DATABASE_URL": postgres_url}
        done = subprocess.run(
            [sys.executable, "-m", "ledger", "serve", "--port", str(port), "--workers", "2"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in done.stderr


def _connected_together(port: int, count: int) -> list[socket.socket]:
    """``count`` connections whose handshakes are all sent before any is accepted."""
    pool = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    for conn in pool:
        conn.setblocking(False)
        conn.connect_ex(("127.0.0.1", port))
    for conn in pool:
        select.select([], [conn], [], 10)
        conn.setblocking(True)
    return pool


def _connection_owners(parent: int, port: int) -> Counter[int]:
    """How many established connections to ``port`` each child of ``parent`` holds
    (from /proc: each socket's inode, in the process's descriptors and in the TCP table)."""
    established = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        if local_port == port and fields[3] == "01":  # TCP_ESTABLISHED
            established.add(fields[9])
    owners: Counter[int] = Counter()
    for child in Path(f"/proc/{parent}/task/{parent}/children").read_text().split():
        for fd in Path(f"/proc/{child}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in established:
                owners[int(child)] += 1
    return owners


def _wait_until_up(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert server.poll() is None, "ledger serve exited: " + log.read_text()[-3000:]
        assert time.monotonic() < deadline, "ledger serve did not start"
        time.sleep(0.2)


# ------------------------------------------------------------- operation ids

#: The API's operation ids. Clients generated from the OpenAPI document name their
#: methods after these: changing one breaks them, so a change must be made here too,
#: on purpose.
OPERATION_IDS = {
    ("post", "/regions"): "register_region",
    ("get", "/regions"): "list_regions",
    ("post", "/regions/{code}/fund-months"): "declare_fund_months",
    ("get", "/policies"): "list_policies",
    ("post", "/policies"): "enact_policy",
    ("post", "/policies/{document_id}/revocation"): "revoke_policy",
    ("post", "/policies/check"): "check_policy",
    ("post", "/units"): "register_unit",
    ("get", "/units"): "list_units",
    ("get", "/units/{uscc}"): "read_unit",
    ("post", "/units/{uscc}/classification"): "classify_unit",
    ("post", "/units/{uscc}/assessments"): "assess_period",
    ("post", "/units/{uscc}/assessments/{period}/revocation"): "revoke_assessment",
    ("post", "/units/{uscc}/deregistration"): "request_deregistration",
    ("post", "/units/{uscc}/deregistration/completion"): "complete_deregistration",
    ("post", "/units/{uscc}/persons"): "join_person",
    ("post", "/units/{uscc}/persons/base-changes"): "change_base",
    ("post", "/units/{uscc}/persons/departures"): "record_departure",
    ("post", "/units/{uscc}/payments"): "collect_payment",
    ("post", "/units/{uscc}/deferral-applications"): "apply_for_deferral",
    ("post", "/units/{uscc}/deferral-applications/decision"): "decide_deferral_application",
    ("post", "/units/{uscc}/commitments"): "file_commitment",
    ("post", "/units/{uscc}/commitments/review"): "review_commitment",
    ("post", "/units/{uscc}/commitments/false-finding"): "find_commitment_false",
    ("post", "/tokens"): "create_token",
    ("get", "/tokens"): "list_tokens",
    ("post", "/tokens/{token_id}/revocation"): "revoke_token",
    ("get", "/units/{uscc}/balance"): "read_unit_balance",
    ("get", "/units/{uscc}/audit-trail"): "read_unit_audit_trail",
    ("post", "/persons/audit-trail"): "read_person_audit_trail",
    ("post", "/persons/rights-record"): "read_person_rights_record",
    ("get", "/reports/deferral-list"): "report_deferral_list",
    ("get", "/reports/statistics"): "report_statistics",
    ("get", "/reports/reductions"): "report_reductions",
    ("get", "/reports/reminders"): "report_reminders",
    ("post", "/replays"): "start_replay",
    ("get", "/replays/{replay_id}"): "read_replay",
    ("get", "/replays/{replay_id}/result"): "read_replay_result",
}


def operation_ids(app: FastAPI) -> dict[tuple[str, str], str]:
    return {
        (method, path): operation["operationId"]
        for path, operations in app.openapi()["paths"].items()
        for method, operation in operations.items()
    }


def test_every_operation_keeps_its_operation_id(tmp_path: Any) -> None:
    app = create_app(settings_for(StoreConfig("sqlite", f"sqlite:///{tmp_path}/x.db", None)))
    try:
        found = operation_ids(app)
    finally:
        app.state.close()

    assert found == OPERATION_IDS


def test_operation_ids_are_unique_and_named_not_generated() -> None:
    ids = list(OPERATION_IDS.values())

    assert len(set(ids)) == len(ids)
    # FastAPI's generated ids end with the path and the method: register_region_regions_post
    assert not any(i.endswith(("_get", "_post")) or "__" in i for i in ids)


def test_healthz_and_metrics_are_not_api_operations(tmp_path: Any) -> None:
    app = create_app(settings_for(StoreConfig("sqlite", f"sqlite:///{tmp_path}/x.db", None)))
    try:
        paths = set(app.openapi()["paths"])
    finally:
        app.state.close()

    assert not {"/healthz", "/metrics"} & paths
