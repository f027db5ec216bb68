"""``ledger serve`` killed (SIGKILL) in the middle of a burst of commands, then restarted.

Four clients register 60 units and a person in each over HTTP, each command with
its own Idempotency-Key. Once a dozen units are recorded the server process is
killed; the requests in flight fail on the client side without an answer. The
server is started again and every client re-sends, with the same key, each command
it has no answer for, and a few it has. Afterwards, on SQLite and on PostgreSQL:
every command took effect exactly once (one unit, one person, one command record
each), a re-sent command answers as it first did, the hash chains verify and the
views equal a clean rebuild.
"""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from ledger.application import Actor, Ledger
from ledger.bootstrap import build_ledger
from ledger.catalogue.loader import load_default_catalogue
from ledger.domain.identifiers import resident_id_check_char, uscc_check_char
from ledger.settings import Settings
from ledger.tokens import issue_token
from tests.conftest import StoreConfig
from tests.reliability.helpers import (
    assert_chains_whole,
    assert_views_equal_a_clean_rebuild,
    inventory,
    kill_when,
    settings_of,
    start,
)

SETUP = Actor("test:setup", "fault test", "req-setup")
CLIENTS, UNITS_EACH = 4, 15
REGION, AGENCY = "150400", "150401"


@dataclass
class Command:
    path: str
    body: dict[str, Any]
    key: str
    answers: list[tuple[int, Any]] = field(default_factory=list)


def test_a_server_killed_mid_burst_applies_every_retried_command_exactly_once(
    store: StoreConfig, tmp_path: Path
) -> None:
    settings = settings_of(store, log_format="json", log_level="WARNING")
    ledger, token = prepared(settings)
    port = free_port()
    work = [commands(client) for client in range(CLIENTS)]

    server = serve(settings, port, tmp_path)
    clients = [threading.Thread(target=send_all, args=(port, token, w)) for w in work]
    for client in clients:
        client.start()
    kill_when(server, lambda: registered(ledger) >= 12, "a dozen units recorded")
    for client in clients:
        client.join()
    unanswered = sum(1 for w in work for c in w if not c.answers)
    server = serve(settings, port, tmp_path)
    try:
        for client_work in work:
            resend = [c for c in client_work if not c.answers] + client_work[:2]
            send_all(port, token, resend, attempts=20)
    finally:
        server.kill()
        server.wait()

    assert unanswered > 0, "the kill did not catch any command in flight"
    for command in (c for w in work for c in w):
        statuses = {status for status, _ in command.answers}
        assert statuses == {201}, (command.path, command.answers)
        first, *again = (body for _, body in command.answers)
        assert all(body == first for body in again), command.answers
    stored = inventory(ledger)
    assert max(stored.values()) == 1
    topics = Counter(topic for _, _, topic in stored.elements())
    assert topics["ledger.unit.registered"] == CLIENTS * UNITS_EACH
    assert topics["ledger.unit.person-joined"] == CLIENTS * UNITS_EACH
    assert topics["ledger.command.recorded"] == 2 * CLIENTS * UNITS_EACH + 1  # + the token
    assert_chains_whole(ledger)
    assert_views_equal_a_clean_rebuild(ledger, store, settings, tmp_path)
    ledger.close()


# ------------------------------------------------------------------ helpers


def prepared(settings: Settings) -> tuple[Ledger, str]:
    """The catalogue enacted, Chifeng registered, a case worker's token issued."""
    ledger = build_ledger(settings, configure_logs=False)
    for file in load_default_catalogue():
        ledger.enact_policy(file, SETUP)
    ledger.register_region(REGION, "赤峰市", "150000", SETUP)
    issued = issue_token(
        ledger, role="case_worker", agency=AGENCY, name="burst", actor=SETUP, key="burst-token"
    )
    assert issued.secret is not None
    return ledger, issued.secret


def commands(client: int) -> list[Command]:
    """A client's burst: each unit registered, then a person joining it."""
    found = []
    for n in range(UNITS_EACH):
        serial = client * 100 + n
        body = f"91{REGION}MA{serial:07d}"
        uscc = body + uscc_check_char(body)
        rid_body = f"{REGION}19850101{serial:03d}"
        unit = {
            "uscc": uscc,
            "name": f"测试单位{serial}",
            "region": REGION,
            "agency": AGENCY,
            "established_on": "2010-05-01",
        }
        person = {
            "resident_id": rid_body + resident_id_check_char(rid_body),
            "base": "5000.00",
            "joined_on": "2010-05-01",
        }
        found.append(Command("/units", unit, f"unit-{serial}"))
        found.append(Command(f"/units/{uscc}/persons", person, f"person-{serial}"))
    return found


def send_all(port: int, token: str, work: list[Command], attempts: int = 1) -> None:
    """Sends each command in order; a command without an answer stops the client (the
    ones after it may depend on it), unless ``attempts`` allows re-sending it. A 409
    saying the ledger changed while the command ran (four clients append to one
    region's index) is retried as it asks."""
    headers = {"Authorization": f"Bearer {token}", "X-Reason": "burst"}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
        for command in work:
            lost = 0
            while True:
                try:
                    response = http.post(
                        command.path,
                        json=command.body,
                        headers={**headers, "Idempotency-Key": command.key},
                    )
                except httpx.TransportError:
                    lost += 1
                    if lost >= attempts:
                        return
                    time.sleep(0.2)
                    continue
                if response.status_code == 409 and "try again" in response.json()["detail"]:
                    continue
                command.answers.append((response.status_code, response.json()))
                break


def serve(settings: Settings, port: int, tmp_path: Path) -> subprocess.Popen[bytes]:
    server = start(settings, tmp_path / "serve.log", "serve", "--port", str(port))
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1)
            return server
        except httpx.TransportError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise AssertionError((tmp_path / "serve.log").read_text()) from None
            time.sleep(0.05)


def registered(ledger: Ledger) -> int:
    start, count = 1, 0
    while page := ledger.recorder.select_notifications(
        start, 1_000, topics=["ledger.unit.registered"]
    ):
        count += len(page)
        start = page[-1].id + 1
    return count


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
