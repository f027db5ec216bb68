"""Shared fixtures: where the tests keep their events.

PostgreSQL comes from ``LEDGER_TEST_POSTGRES_URL`` (``scripts/test`` sets it after
``scripts/ensure-postgres`` has made sure a server answers). Without a server the
PostgreSQL tests are skipped locally but fail when ``CI`` is set, so CI can never
go green without having run them.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class StoreConfig:
    """Which event store a test runs against.

    The application builds itself from these as ``LEDGER_DATABASE_URL`` and
    ``LEDGER_POSTGRES_SCHEMA``.
    """

    kind: str
    database_url: str
    postgres_schema: str | None


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of a reachable PostgreSQL server (skip locally, fail in CI, if none)."""
    url = os.environ.get("LEDGER_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        message = f"PostgreSQL not reachable at {url} ({exc}); run scripts/test which starts one"
        if os.environ.get("CI"):
            pytest.fail(f"{message} [CI is set: PostgreSQL tests must not be skipped]")
        pytest.skip(message)
    return url


@pytest.fixture
def pg_schema(postgres_url: str) -> Iterator[str]:
    """A fresh, uniquely named schema in the test database, dropped afterwards."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True, connect_timeout=3) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        with psycopg.connect(postgres_url, autocommit=True, connect_timeout=3) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> StoreConfig:
    """The same test once against SQLite (a file in tmp_path) and once against PostgreSQL."""
    kind: str = request.param
    if kind == "sqlite":
        return StoreConfig(
            kind="sqlite", database_url=f"sqlite:///{tmp_path}/ledger.db", postgres_schema=None
        )
    url: str = request.getfixturevalue("postgres_url")
    schema: str = request.getfixturevalue("pg_schema")
    return StoreConfig(kind="postgres", database_url=url, postgres_schema=schema)


def json_lines(text: str) -> list[dict[str, Any]]:
    """The JSON log lines in ``text`` (uvicorn's own lines and others left out)."""
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]
