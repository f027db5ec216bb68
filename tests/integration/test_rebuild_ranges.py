"""A rebuild whose pages are mapped by several processes (``ledger.projections.ranges``),
on PostgreSQL: the views hold the rows a rebuild in one pipeline writes, damage at a
page's edge included. Stopped midway: ``test_projection_crash``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import psycopg
import pytest
from psycopg import sql

from ledger.application import Actor, Ledger
from ledger.bootstrap import open_view_store, pages_in_processes
from ledger.projections import runner
from ledger.projections.postgres_store import PostgresViewStore
from ledger.projections.runner import Applied, Progress
from ledger.projections.schema import TABLES
from ledger.settings import Settings
from tests.integration.conftest import demo_and_history

pytestmark = pytest.mark.postgres

PAGE = 25
WORKERS = 3


@pytest.fixture
def settings(postgres_url: str, pg_schema: str) -> Settings:
    return Settings(database_url=postgres_url, postgres_schema=pg_schema)


@pytest.fixture
def ledger(settings: Settings) -> Iterator[Ledger]:
    ledger = demo_and_history(settings, units=6, months=6)
    yield ledger
    ledger.close()


@pytest.fixture
def views(settings: Settings, ledger: Ledger) -> Iterator[PostgresViewStore]:
    store = open_view_store(settings, ledger)
    assert isinstance(store, PostgresViewStore)
    yield store
    store.close()


def rows(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    """Every view table's rows, in key order."""
    with psycopg.connect(settings.database_url) as pg:
        return {
            t.name: pg.execute(
                sql.SQL("SELECT * FROM {}.{} ORDER BY position, ordinal").format(
                    sql.Identifier(settings.postgres_schema), sql.Identifier(t.name)
                )
            ).fetchall()
            for t in TABLES
        }


def in_one_pipeline(ledger: Ledger, views: PostgresViewStore, settings: Settings) -> Any:
    events = runner.rebuild(ledger, views, page_size=PAGE)
    return events, views.position(), rows(settings)


def in_ranges(ledger: Ledger, views: PostgresViewStore, settings: Settings) -> Any:
    in_processes = pages_in_processes(settings, WORKERS)
    assert in_processes is not None
    events = runner.rebuild(ledger, views, page_size=PAGE, in_processes=in_processes)
    return events, views.position(), rows(settings)


def edit(settings: Settings, statement: str, *params: Any) -> None:
    with psycopg.connect(settings.database_url) as pg:
        pg.execute(
            sql.SQL(statement).format(
                events=sql.Identifier(settings.postgres_schema, "ledger_events")
            ),
            params,
        )


def first_of_an_aggregate_in_the_second_page(settings: Settings) -> tuple[int, int]:
    """(notification id, version) of an aggregate's first event in the second page,
    one whose version before lies in the first page."""
    end = PAGE
    with psycopg.connect(settings.database_url) as pg:
        row = pg.execute(
            sql.SQL(
                "SELECT e.notification_id, e.originator_version FROM {events} e "
                "WHERE e.notification_id > %s AND e.originator_version > 1 AND NOT EXISTS ("
                "SELECT 1 FROM {events} b WHERE b.originator_id = e.originator_id "
                "AND b.notification_id > %s AND b.notification_id < e.notification_id) "
                "ORDER BY e.notification_id LIMIT 1"
            ).format(events=sql.Identifier(settings.postgres_schema, "ledger_events")),
            (end, end),
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def test_the_log_is_several_pages_long(ledger: Ledger) -> None:
    assert (ledger.recorder.max_notification_id() or 0) > 4 * PAGE


def test_a_rebuild_mapped_by_processes_holds_the_rows_of_a_rebuild_in_one_pipeline(
    ledger: Ledger, views: PostgresViewStore, settings: Settings
) -> None:
    one = in_one_pipeline(ledger, views, settings)
    ranged = in_ranges(ledger, views, settings)

    assert ranged[:2] == one[:2]  # events, position
    for table, found in one[2].items():
        assert ranged[2][table] == found, table
    assert one[1] == ledger.recorder.max_notification_id()
    assert runner.catch_up(ledger, views) == 0


def test_a_version_missing_just_before_a_page_is_set_aside_as_by_one_pipeline(
    ledger: Ledger, views: PostgresViewStore, settings: Settings
) -> None:
    notification, version = first_of_an_aggregate_in_the_second_page(settings)
    # the version before deleted, and the event itself made undecodable: two set-aside
    # rows for it, the gap's first
    edit(
        settings,
        "DELETE FROM {events} WHERE originator_id = (SELECT originator_id FROM {events} "
        "WHERE notification_id = %s) AND originator_version = %s",
        notification,
        version - 1,
    )
    edit(settings, "UPDATE {events} SET state = %s WHERE notification_id = %s", b"{", notification)

    one = in_one_pipeline(ledger, views, settings)
    ranged = in_ranges(ledger, views, settings)

    assert ranged == one
    aside = [r for r in one[2]["view_quarantine"] if r[0] == notification]
    assert [r[1] for r in aside] == [0, 1]
    assert "follows a gap" in str(aside[0])
    assert "cannot be decoded" in str(aside[1])


def test_an_intact_first_event_of_a_page_is_not_set_aside(
    ledger: Ledger, views: PostgresViewStore, settings: Settings
) -> None:
    ranged = in_ranges(ledger, views, settings)

    assert ranged[2]["view_quarantine"] == []


def test_what_was_recorded_while_the_processes_mapped_is_caught_up_through_the_indexes(
    ledger: Ledger, views: PostgresViewStore, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    in_one_pipeline(ledger, views, settings)
    with psycopg.connect(settings.database_url) as pg:
        (uscc,) = pg.execute(
            sql.SQL("SELECT uscc FROM {} ORDER BY uscc LIMIT 1").format(
                sql.Identifier(settings.postgres_schema, "view_units")
            )
        ).fetchone() or ("",)
    processes = pages_in_processes(settings, WORKERS)
    assert processes is not None

    def and_a_payment_meanwhile(
        store: Any, *, page_size: int, last: int, progress: Progress | None, details: bool
    ) -> Applied:
        applied = processes(
            store, page_size=page_size, last=last, progress=progress, details=details
        )
        ledger.collect_payment(uscc, date(2024, 6, 10), "1.00", Actor("test:ranges", "", ""))
        return applied

    # the tail's look-ups of last versions find the audit's unique index in place (a
    # rebuild fills the views without it: each look-up would scan the audit)
    indexed: list[bool] = []
    look_up = views.last_versions

    def last_versions(ids: Any) -> dict[Any, int]:
        with psycopg.connect(settings.database_url) as pg:
            indexed.append(
                pg.execute(
                    "SELECT to_regclass(%s) IS NOT NULL",
                    (f"{settings.postgres_schema}.view_audit_originator_id_version_idx",),
                ).fetchone()
                == (True,)
            )
        return look_up(ids)

    monkeypatch.setattr(views, "last_versions", last_versions)

    runner.rebuild(ledger, views, page_size=PAGE, in_processes=and_a_payment_meanwhile)

    assert views.position() == ledger.recorder.max_notification_id()
    assert indexed == [True]
    monkeypatch.undo()
    assert rows(settings) == in_one_pipeline(ledger, views, settings)[2]
