"""Tamper evidence: every stored event chained by SHA-256 to the previous one of its chain.

``links`` holds the arithmetic (pure), ``postgres`` and ``sqlite`` the recorders that
write a save's links in the save's own transaction, ``verify`` the walk that checks
them. Settings choose the recorders by these topics (strings, so that reading the
settings imports no database driver).
"""

from __future__ import annotations

#: eventsourcing's APPLICATION_RECORDER_TOPIC for each store
POSTGRES_RECORDER_TOPIC = "ledger.chain.postgres:ChainedPostgresRecorder"
SQLITE_RECORDER_TOPIC = "ledger.chain.sqlite:ChainedSQLiteRecorder"
