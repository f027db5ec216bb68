"""LEDGER_* settings as the event store receives them."""

from __future__ import annotations

import pytest

from ledger.settings import Settings


def test_a_postgres_url_becomes_the_stores_settings_with_the_connect_timeout() -> None:
    env = Settings(
        database_url="postgresql://clerk:p%40ss@db.example:6543/ledger",
        postgres_connect_timeout=2,
    ).eventsourcing_env()

    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"], env["POSTGRES_DBNAME"]) == (
        "db.example",
        "6543",
        "ledger",
    )
    assert (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"]) == ("clerk", "p@ss")
    # the store retries a lost connection 10 times: ~10 x this before a 503
    assert env["POSTGRES_CONNECT_TIMEOUT"] == "2"


def test_a_connect_timeout_below_a_second_is_refused() -> None:
    with pytest.raises(ValueError, match="postgres_connect_timeout"):
        Settings(postgres_connect_timeout=0)
