"""A burst of API commands for the fault tests: four clients, each registering units and
a person in each, every command with its own Idempotency-Key and re-sent as told."""

from __future__ import annotations

import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from ledger.application import Actor, Ledger
from ledger.bootstrap import build_ledger
from ledger.catalogue.loader import load_default_catalogue
from ledger.domain.identifiers import resident_id_check_char, uscc_check_char
from ledger.settings import Settings
from tests.reliability.helpers import start

SETUP = Actor("test:setup", "fault test", "req-setup")
CLIENTS, UNITS_EACH = 4, 15
REGION, AGENCY = "150400", "150401"


@dataclass
class Command:
    path: str
    body: dict[str, Any]
    key: str
    #: the answers received (status, body): a retried command may have several
    answers: list[tuple[int, Any]] = field(default_factory=list)
    #: 503 answers (status, content type, Retry-After, body) while the store was away
    unavailable: list[tuple[int, str, str, Any]] = field(default_factory=list)


def prepared(settings: Settings) -> tuple[Ledger, str]:
    """The catalogue enacted, Chifeng registered, a case worker's token issued."""
    ledger = build_ledger(settings, configure_logs=False)
    for file in load_default_catalogue():
        ledger.enact_policy(file, SETUP)
    ledger.register_region(REGION, "赤峰市", "150000", SETUP)
    issued = ledger.issue_token(
        role="case_worker", agency=AGENCY, name="burst", actor=SETUP, key="burst-token"
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
    ones after it may depend on it), unless ``attempts`` allows re-sending it. A 503
    ``contention`` (the command lost every race to save: four clients append to one
    region's index) and any other 503 (the store is away) are retried as they ask."""
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
                if response.status_code == 503 and response.json()["code"] == "contention":
                    continue
                if response.status_code == 503:
                    command.unavailable.append(
                        (
                            response.status_code,
                            response.headers.get("content-type", ""),
                            response.headers.get("retry-after", ""),
                            response.json(),
                        )
                    )
                    time.sleep(0.2)
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
