"""``ledger token create|list|revoke`` and ``ledger serve``, as an operator runs them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from ledger.api import examples
from tests.conftest import json_lines


def ledger(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ledger", *args],
        env={**os.environ, "LEDGER_DATABASE_URL": f"sqlite:///{db}", "LEDGER_LOG_FORMAT": "json"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_a_token_is_printed_once_listed_without_it_and_revoked(tmp_path: Path) -> None:
    db = tmp_path / "ledger.db"

    created = ledger("token", "create", "--role", "case_worker", "--agency", "150401", db=db)
    token_id, secret = created.stdout.split()[2], created.stdout.splitlines()[-1]
    listed = ledger("token", "list", db=db)
    revoked = ledger("token", "revoke", token_id, db=db)
    refused = ledger("token", "create", "--role", "case_worker", db=db)

    assert created.returncode == 0, created.stderr
    assert secret.startswith("ldg_")
    assert token_id in listed.stdout
    assert secret not in listed.stdout
    assert revoked.returncode == 0, revoked.stderr
    assert "revoked" in ledger("token", "list", db=db).stdout
    assert refused.returncode == 2
    assert "names their agency" in refused.stderr


def test_ledger_serve_answers_over_http_on_the_configured_store(tmp_path: Path) -> None:
    db = tmp_path / "ledger.db"
    secret = ledger("token", "create", "--role", "admin", db=db).stdout.splitlines()[-1]
    port = free_port()
    env = {**os.environ, "LEDGER_DATABASE_URL": f"sqlite:///{db}", "LEDGER_LOG_FORMAT": "json"}
    server = subprocess.Popen(
        [sys.executable, "-m", "ledger", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                document = httpx.get(f"{url}/openapi.json")
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline, "ledger serve did not start"
                assert server.poll() is None, "ledger serve exited"
                time.sleep(0.1)
        registered = httpx.post(
            f"{url}/regions",
            json=examples.REGION,
            headers={"Authorization": f"Bearer {secret}", "Idempotency-Key": "cli-serve-1"},
        )
    finally:
        server.terminate()
        _, log = server.communicate(timeout=30)

    assert document.status_code == 200
    assert registered.status_code == 201, registered.text
    lines = json_lines(log)
    assert any(line.get("event") == "register_region" for line in lines)
    assert any(
        (line.get("event"), line.get("route"), line.get("status")) == ("request", "/regions", 201)
        for line in lines
    )
