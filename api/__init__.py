"""The HTTP API (ledger.api): FastAPI routers, schemas, auth and error mapping.

Shipped as ``ledger.api`` through the symlink ``src/ledger/api``.
The routes themselves are the subject of issue 4; this package is their home.
"""
