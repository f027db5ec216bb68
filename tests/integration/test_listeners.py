"""``ledger serve --workers N``'s listening sockets: one per worker, the kernel
spreading connections over them (``ledger.cli.listeners``)."""

from __future__ import annotations

import pickle
import select
import socket
import sys
from collections.abc import Callable

import pytest
from uvicorn.config import STARTUP_FAILURE

from ledger.cli.listeners import Listener
from tests.api.test_cli import free_port

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="SO_REUSEPORT spreads connections on Linux"
)


def _worker_socket(listener: Listener) -> socket.socket:
    """What a worker's process gets: the listener as uvicorn's supervisor passes it."""
    made: socket.socket = pickle.loads(pickle.dumps(listener))
    return made


def test_each_worker_gets_a_listening_socket_of_its_own_on_the_one_port() -> None:
    port = free_port()
    first, second = (_worker_socket(Listener("127.0.0.1", port, 64)) for _ in range(2))
    try:
        assert first.fileno() != second.fileno()
        assert first.getsockname() == second.getsockname() == ("127.0.0.1", port)
    finally:
        first.close()
        second.close()


def test_connections_opened_together_are_spread_over_the_workers_sockets() -> None:
    port = free_port()
    workers = [_worker_socket(Listener("127.0.0.1", port, 64)) for _ in range(2)]
    clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(32)]
    try:
        taken = [0, 0]
        for n, sock in enumerate(workers):
            sock.setblocking(False)
            while select.select([sock], [], [], 0.2)[0]:
                conn, _ = sock.accept()
                conn.close()
                taken[n] += 1
    finally:
        for sock in [*workers, *clients]:
            sock.close()

    assert sum(taken) == 32
    assert min(taken) > 0, taken  # all 32 on one socket: 2 chances in 2**32


@pytest.mark.parametrize(
    "listening",
    [
        lambda port: socket.create_server(("127.0.0.1", port)),
        # in a group: the workers would join it and share its connections
        lambda port: _worker_socket(Listener("127.0.0.1", port, 64)),
    ],
    ids=["alone", "in-a-group"],
)
def test_a_port_another_server_listens_on_is_refused_before_any_worker_starts(
    listening: Callable[[int], socket.socket],
) -> None:
    port = free_port()
    other = listening(port)
    try:
        with pytest.raises(OSError, match="in use"):
            Listener("127.0.0.1", port, 64).check()
    finally:
        other.close()


def test_a_worker_that_cannot_listen_ends_as_a_failed_start_up_not_restarted_for_good() -> None:
    # uvicorn's supervisor stops on STARTUP_FAILURE; any other exit it restarts, forever
    port = free_port()
    other = socket.create_server(("127.0.0.1", port))  # taken since the parent's check
    try:
        with pytest.raises(SystemExit) as stopped:
            _worker_socket(Listener("127.0.0.1", port, 64))
    finally:
        other.close()

    assert stopped.value.code == STARTUP_FAILURE
