"""A listening socket of its own for each worker of ``ledger serve --workers N``.

uvicorn binds one socket in its parent process and every worker accepts from it.
The worker whose event loop wakes first accepts every connection waiting (asyncio
takes up to the backlog at once), so a client that opens its connections together,
as a pool does, finds them all in one process while the others idle: measured with
``bench_api --workers 2``, one worker held the interpreter in 1,600 of 2,400
samples and the other in one. On Linux each worker binds its own socket into one
``SO_REUSEPORT`` group instead, and the kernel spreads new connections over the
group by a hash of their addresses (as nginx's ``reuseport`` does).

uvicorn's supervisor passes its sockets to each worker it starts (and restarts) by
pickling them; ``Listener`` pickles to the recipe of its socket, so that each
worker, unpickling it, binds a socket of its own.
"""

from __future__ import annotations

import logging
import socket
import sys
from typing import Any

from uvicorn.config import STARTUP_FAILURE

#: whether the kernel spreads connections over the sockets of a group (Linux)
SPREADS = sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


class Listener:
    """Where to listen; each process that unpickles it gets a socket of its own."""

    def __init__(self, host: str, port: int, backlog: int) -> None:
        self.host, self.port, self.backlog = host, port, backlog

    def check(self) -> None:
        """Fails now, in the parent, with the port's error (taken, not permitted)
        rather than in every worker as it starts. Bound without ``SO_REUSEPORT``: a
        port another server listens on is refused even if that server's sockets are
        in a group (the workers would otherwise join it and share its connections)."""
        listen(self.host, self.port, self.backlog, group=False).close()

    def __reduce__(self) -> tuple[Any, tuple[str, int, int]]:
        return _worker_socket, (self.host, self.port, self.backlog)


def _worker_socket(host: str, port: int, backlog: int) -> socket.socket:
    """A worker's socket, made as the worker starts; one it cannot have (the port taken
    since ``check``, no descriptors left) ends the worker as a failed start-up, which
    uvicorn's supervisor does not restart (it would, for good, on any other exit)."""
    try:
        return listen(host, port, backlog)
    except OSError as exc:
        logging.getLogger("uvicorn.error").error("cannot listen on %s:%d: %s", host, port, exc)
        sys.exit(STARTUP_FAILURE)


def listen(host: str, port: int, backlog: int, *, group: bool = True) -> socket.socket:
    """A TCP socket listening on ``host:port`` in the port's ``SO_REUSEPORT`` group
    (``group=False``: bound alone, not listening)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if group:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        if group:
            sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    return sock
