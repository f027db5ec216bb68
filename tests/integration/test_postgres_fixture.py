"""The shared store fixtures give each test a working, isolated event store."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from tests.conftest import StoreConfig


@pytest.mark.postgres
def test_pg_schema_exists_in_the_database_during_the_test(
    postgres_url: str, pg_schema: str
) -> None:
    with psycopg.connect(postgres_url, connect_timeout=3) as conn:
        row = conn.execute(
            "SELECT schema_name FROM information_schema.schemata WHERE schema_name = %s",
            (pg_schema,),
        ).fetchone()
    assert row == (pg_schema,)


def test_store_config_points_at_a_writable_store(store: StoreConfig) -> None:
    if store.kind == "sqlite":
        assert store.postgres_schema is None
        assert store.database_url.startswith("sqlite:///")
        db_path = Path(store.database_url.removeprefix("sqlite:///"))
        assert db_path.parent.is_dir()
        with sqlite3.connect(db_path) as sqlite_conn:
            sqlite_conn.execute("CREATE TABLE probe (n INTEGER)")
            sqlite_conn.execute("INSERT INTO probe VALUES (1)")
            assert sqlite_conn.execute("SELECT n FROM probe").fetchall() == [(1,)]
        sqlite_conn.close()
    else:
        assert store.kind == "postgres"
        assert store.postgres_schema is not None
        table = sql.Identifier(store.postgres_schema, "probe")
        with psycopg.connect(store.database_url, connect_timeout=3) as pg_conn:
            pg_conn.execute(sql.SQL("CREATE TABLE {} (n integer)").format(table))
            pg_conn.execute(sql.SQL("INSERT INTO {} VALUES (1)").format(table))
            rows = pg_conn.execute(sql.SQL("SELECT n FROM {}").format(table)).fetchall()
        assert rows == [(1,)]
