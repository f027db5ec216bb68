"""Wires the ledger once from settings: the one place adapters are chosen, for the
events (``build_ledger``: the use cases on the store's ports, ``stored_ports``) and for
the views beside them (``open_view_store``)."""

from __future__ import annotations

import functools
import re

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError
from psycopg import sql

from ledger.application import Ledger
from ledger.domain.errors import InvalidValue, Unavailable
from ledger.logs import configure_logging
from ledger.projections.postgres_store import PostgresViewStore
from ledger.projections.ranges import InProcesses
from ledger.projections.runner import PagesInProcesses
from ledger.projections.sql import SqlViewStore
from ledger.projections.sqlite_store import SQLiteViewStore
from ledger.settings import Settings
from ledger.usecases.stored import stored_ports

_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def build_ledger(settings: Settings, *, configure_logs: bool = True) -> Ledger:
    """The application on the configured store (tables, and a region's schema, created)."""
    if configure_logs:
        configure_logging(settings.log_format, settings.log_level, settings.log_file)
    if settings.store_kind == "postgres":
        ensure_schema(settings)
    try:
        return Ledger(env=settings.eventsourcing_env(), ports=stored_ports)
    except (OperationalError, InterfaceError) as exc:
        raise Unavailable(f"the event store cannot be reached: {exc}") from exc


def open_view_store(settings: Settings, ledger: Ledger | None) -> SqlViewStore:
    """The views' store beside the events of ``settings`` (tables created if missing).

    With ``ledger`` (the one ``build_ledger(settings)`` opened) the views leave the
    audit detail of the two events that make up nearly all of a history to the events,
    and read it from them (``SqlViewStore.events``); without, nothing is left to them (a
    store opened only to be made or checked)."""
    store: SqlViewStore
    if settings.store_kind == "sqlite":
        store = SQLiteViewStore(settings.eventsourcing_env()["SQLITE_DBNAME"])
    else:
        ensure_schema(settings)  # checks the name, and creates the region's schema if missing
        store = PostgresViewStore(
            settings.database_url,
            settings.postgres_schema or "public",
            pool_size=settings.postgres_pool_size,
        )
    store.events = ledger
    return store


def pages_in_processes(settings: Settings, workers: int) -> PagesInProcesses | None:
    """A rebuild's pages mapped by ``workers`` processes, each opening the log of
    ``settings`` (``ledger.projections.ranges``); None for one pipeline (one worker, or
    SQLite: one writer, and the views are the same file)."""
    if workers < 2 or settings.store_kind != "postgres":
        return None
    return InProcesses(functools.partial(_mapping_ledger, settings), workers)


def _mapping_ledger(settings: Settings) -> Ledger:
    """The log as a mapping process reads it: the tables are there (processes starting at
    once must not race to create them, ``ledger.workers``), one connection at a time."""
    configure_logging(settings.log_format, settings.log_level, settings.log_file)
    env = {
        **settings.eventsourcing_env(),
        "CREATE_TABLE": "n",
        "POSTGRES_POOL_SIZE": "1",
        "POSTGRES_MAX_OVERFLOW": "1",
    }
    return Ledger(env=env, ports=stored_ports)


def ensure_schema(settings: Settings) -> None:
    """A pooling region's ledger can live in a PostgreSQL schema of its own."""
    schema = settings.postgres_schema
    if not schema:
        return
    if not _SCHEMA.match(schema):
        raise InvalidValue(
            f"LEDGER_POSTGRES_SCHEMA {schema!r}: lower-case letters, digits and _ only",
            field="postgres_schema",
        )
    try:
        with psycopg.connect(settings.database_url, connect_timeout=10, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
    except psycopg.OperationalError as exc:
        raise Unavailable(f"PostgreSQL cannot be reached: {exc}".strip()) from exc
