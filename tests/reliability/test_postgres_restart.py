"""PostgreSQL crashed and restarted under a burst of API commands.

A private cluster (never the machine's server) serves ``ledger serve`` while four
clients register units and persons. Once a dozen units are recorded the cluster
is stopped the way a crash stops it (``pg_ctl -m immediate``: sessions cut mid-
transaction), kept down for three seconds, and started again (crash recovery).
The commands in flight wait and complete (any answered 503 must carry problem
details and Retry-After, and is re-sent with the same Idempotency-Key).
Afterwards: every command took effect exactly once, nothing was half-written, the
hash chains verify and the views equal a clean rebuild.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.settings import Settings
from tests.conftest import StoreConfig
from tests.reliability.api_burst import (
    CLIENTS,
    UNITS_EACH,
    commands,
    free_port,
    prepared,
    registered,
    send_all,
    serve,
)
from tests.reliability.helpers import (
    assert_chains_whole,
    assert_views_equal_a_clean_rebuild,
    inventory,
)
from tests.reliability.private_postgres import Cluster, private_cluster

pytestmark = [pytest.mark.postgres, pytest.mark.faults]


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    with private_cluster() as found:
        yield found


def test_a_postgres_crash_under_load_loses_and_doubles_nothing(
    cluster: Cluster, tmp_path: Path
) -> None:
    settings = Settings(
        database_url=cluster.url,
        postgres_schema="ledger_fault",
        postgres_lock_timeout=2,
        log_format="json",
        log_level="WARNING",
    )
    ledger, token = prepared(settings)
    port = free_port()
    work = [commands(client) for client in range(CLIENTS)]
    server = serve(settings, port, tmp_path)
    clients = [
        threading.Thread(target=send_all, args=(port, token, w), kwargs={"attempts": 50})
        for w in work
    ]

    try:
        for client in clients:
            client.start()
        wait_for(lambda: registered(ledger) >= 12)
        cluster.crash()
        time.sleep(3)
        cluster.start()
        for client in clients:
            client.join(timeout=120)
    finally:
        server.kill()
        server.wait()

    everything = [c for w in work for c in w]
    # A 3-second outage is absorbed: the library retries a lost connection (10 times)
    # and waits for the pool (LEDGER's connect timeout, 10 s), so commands in flight
    # are answered late, not refused. Any refusal must still be a retriable 503.
    refused = [u for c in everything for u in c.unavailable]
    for status, content_type, retry_after, body in refused:
        assert (status, content_type, body["status"]) == (503, "application/problem+json", 503)
        assert int(retry_after) > 0
    for command in everything:
        assert [status for status, _ in command.answers] == [201], (command.path, command.answers)
    stored = inventory(ledger)
    assert max(stored.values()) == 1
    topics = Counter(topic for _, _, topic in stored.elements())
    assert topics["ledger.unit.registered"] == CLIENTS * UNITS_EACH
    assert topics["ledger.unit.person-joined"] == CLIENTS * UNITS_EACH
    assert topics["ledger.command.recorded"] == 2 * CLIENTS * UNITS_EACH + 1
    assert_chains_whole(ledger)
    store = StoreConfig("postgres", cluster.url, "ledger_fault")
    assert_views_equal_a_clean_rebuild(ledger, store, settings, tmp_path)
    ledger.close()


def wait_for(condition: object, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the burst never got going"
        time.sleep(0.01)
