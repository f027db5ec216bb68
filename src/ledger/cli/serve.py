"""``ledger serve``: the HTTP API under uvicorn, on the configured store."""

from __future__ import annotations

from typing import Annotated

import typer

from ledger.cli import refusals_exit
from ledger.cli.app import app
from ledger.settings import Settings


@app.command("serve")
@refusals_exit
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
) -> None:
    """Serve the HTTP API (OpenAPI at /openapi.json, docs at /docs) on LEDGER_DATABASE_URL."""
    # Imported here: the API (FastAPI, uvicorn) is only loaded by the command that serves it.
    import uvicorn

    from ledger.api.app import create_app

    api = create_app(Settings())
    # The API logs one structured line per request itself; uvicorn's access log would repeat it.
    uvicorn.run(api, host=host, port=port, access_log=False)
