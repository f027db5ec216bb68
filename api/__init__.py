"""The HTTP API (ledger.api): FastAPI routers, schemas, auth and error mapping.

Installed as ``ledger.api`` by the package-dir mapping of pyproject.toml. Build it with
:func:`ledger.api.app.create_app`; ``ledger serve`` runs it under uvicorn.
"""
