"""The HTTP API (ledger.api): FastAPI routers, schemas, auth and error mapping.

Shipped as ``ledger.api`` through the symlink ``src/ledger/api``. Build it with
:func:`ledger.api.app.create_app`; ``ledger serve`` runs it under uvicorn.
"""
