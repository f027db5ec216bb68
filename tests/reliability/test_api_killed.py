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

import threading
from collections import Counter
from pathlib import Path

import pytest

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
    kill_when,
    settings_of,
)

pytestmark = pytest.mark.faults


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
