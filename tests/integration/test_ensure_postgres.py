"""``scripts/ensure-postgres`` on a machine without PostgreSQL (issue 13 item 12).

Forced with ``LEDGER_PG_NO_SYSTEM_BINARIES``: the machine's binaries and clusters are
ignored and the probe port answers nothing, so the script makes a throwaway cluster
with the binaries of the pgserver wheel (a dev dependency), records that it started it,
and ``--stop-started`` stops it. ``=fresh`` also ignores the wheel in ``.venv`` and
installs it from the package index, as on a fresh checkout; that download (11 MB) runs
only with ``LEDGER_TEST_PGSERVER_FRESH=1``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "ensure-postgres"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def answers(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def machine() -> Iterator[dict[str, str]]:
    """Knobs for a machine without PostgreSQL, in a directory the cluster's user
    (``ledgerpg`` when the tests run as root) can reach, unlike pytest's tmp_path."""
    place = Path(tempfile.mkdtemp(prefix="ledger-pgfallback-", dir="/tmp"))
    place.chmod(0o755)
    env = {
        **os.environ,
        "LEDGER_PG_NO_SYSTEM_BINARIES": "1",
        "LEDGER_PG_PROBE_PORT": str(free_port()),
        "LEDGER_PG_PRIVATE_PORT": str(free_port()),
        "LEDGER_PGDATA": str(place / "data"),
        "LEDGER_PG_PGSERVER_DIR": str(place / "pgserver"),
        "LEDGER_PG_STARTED_MARK": str(place / "started"),
    }
    env.pop("LEDGER_TEST_POSTGRES_URL", None)
    try:
        yield env
    finally:
        run = subprocess.run  # stop whatever the test left running
        run([SCRIPT, "--stop-started", env["LEDGER_PG_STARTED_MARK"]], env=env, check=False)
        shutil.rmtree(place, ignore_errors=True)


def start_then_stop(env: dict[str, str]) -> str:
    started = subprocess.run([SCRIPT], env=env, capture_output=True, text=True, check=False)
    assert started.returncode == 0, started.stderr
    url = started.stdout.strip()
    port = int(env["LEDGER_PG_PRIVATE_PORT"])
    assert url == f"postgresql://postgres@127.0.0.1:{port}/postgres"
    with psycopg.connect(url) as connection:
        row = connection.execute("show server_version").fetchone()
    assert row is not None
    assert Path(env["LEDGER_PG_STARTED_MARK"]).read_text() == "private\n"

    mark = env["LEDGER_PG_STARTED_MARK"]
    subprocess.run([SCRIPT, "--stop-started", mark], env=env, check=True, capture_output=True)
    assert not answers(port)
    return f"{row[0]}\n{started.stderr}"


def test_without_postgresql_on_the_machine_the_wheel_s_cluster_is_started_then_stopped(
    machine: dict[str, str],
) -> None:
    said = start_then_stop(machine)

    assert said.startswith("16.")  # pgserver's PostgreSQL, not the machine's
    assert "site-packages/pgserver/pginstall/bin/initdb" in said


@pytest.mark.skipif(
    os.environ.get("LEDGER_TEST_PGSERVER_FRESH") != "1",
    reason="downloads the pgserver wheel (11 MB); LEDGER_TEST_PGSERVER_FRESH=1 runs it",
)
def test_on_a_fresh_machine_the_wheel_is_installed_from_the_index(
    machine: dict[str, str],
) -> None:
    said = start_then_stop({**machine, "LEDGER_PG_NO_SYSTEM_BINARIES": "fresh"})

    assert "installing the pgserver wheel (pgserver==0.1.4" in said
    assert (Path(machine["LEDGER_PG_PGSERVER_DIR"]) / "pgserver").is_dir()


def test_a_server_that_already_answers_is_used_and_nothing_is_marked_started(
    machine: dict[str, str],
) -> None:
    url = os.environ.get("LEDGER_TEST_POSTGRES_URL", "")
    if not url:
        pytest.skip("needs the test server (LEDGER_TEST_POSTGRES_URL)")
    env = {**machine, "LEDGER_TEST_POSTGRES_URL": url}

    used = subprocess.run([SCRIPT], env=env, capture_output=True, text=True, check=True)

    assert used.stdout.strip() == url
    assert not Path(machine["LEDGER_PG_STARTED_MARK"]).exists()
