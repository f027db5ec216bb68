"""``ledger serve``: the HTTP API under uvicorn, on the configured store."""

from __future__ import annotations

import os
import socket
import tempfile
from typing import Annotated, cast

import typer

from ledger.cli import refusals_exit
from ledger.cli.app import app
from ledger.domain.errors import InvalidValue
from ledger.settings import Settings


@app.command("serve")
@refusals_exit
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, help="Server processes (PostgreSQL; SQLite takes one).")
    ] = 1,
) -> None:
    """Serve the HTTP API (OpenAPI at /openapi.json, docs at /docs) on LEDGER_DATABASE_URL."""
    # Imported here: the API (FastAPI, uvicorn) is only loaded by the command that serves it.
    import uvicorn

    from ledger.api.app import create_app

    settings = Settings()
    if workers > 1:
        if settings.store_kind == "sqlite":
            raise InvalidValue(
                "SQLite has one writer: serve it with one worker (or use PostgreSQL)",
                field="workers",
            )
        # Each process builds its own app from the environment (uvicorn's factory), and
        # counts its requests in files of one directory that any of them sums for a
        # scrape of /metrics (prometheus-client's multiprocess mode): a fresh one unless
        # the operator names one (which they then empty before each start).
        with tempfile.TemporaryDirectory(prefix="ledger-metrics-") as metrics:
            os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", metrics)
            _serve_workers(host, port, workers)
        return
    from ledger.api.coalescing import CoalescingHttpTools

    # The API logs one structured line per request itself; uvicorn's access log would
    # repeat it. Each response is written to the socket once (api/coalescing.py).
    uvicorn.run(
        create_app(settings), host=host, port=port, access_log=False, http=CoalescingHttpTools
    )


def _serve_workers(host: str, port: int, workers: int) -> None:
    """uvicorn's supervisor of ``workers`` processes; on Linux each worker listens on a
    socket of its own and the kernel spreads connections over them (``listeners``)."""
    import logging

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from ledger.cli.listeners import SPREADS, Listener

    config = uvicorn.Config(
        "ledger.api.app:from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        http="ledger.api.coalescing:CoalescingHttpTools",
    )
    if not SPREADS or port == 0:  # port 0: each worker would bind a port of its own
        Multiprocess(config, sockets=[config.bind_socket()]).run()
        return
    listener = Listener(host, port, config.backlog)
    try:
        listener.check()
    except OSError as exc:
        raise InvalidValue(f"cannot listen on {host}:{port}: {exc.strerror}", field="port") from exc
    logging.getLogger("uvicorn.error").info(
        "Uvicorn running on http://%s:%d (Press CTRL+C to quit), %d workers, "
        "each on a socket of its own (SO_REUSEPORT)",
        f"[{host}]" if ":" in host else host,
        port,
        workers,
    )
    Multiprocess(config, sockets=[cast(socket.socket, listener)]).run()
