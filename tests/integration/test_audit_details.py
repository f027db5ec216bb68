"""The audit detail of assessments and payments, left to their events: the views opened
with their ledger store none for them (the detail repeats the event), and the audit
trail reads it from the event as the general path would have stored it; on SQLite and
PostgreSQL."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator

import psycopg
import pytest

from ledger.application import Ledger
from ledger.bootstrap import build_ledger, open_view_store
from ledger.domain.errors import HistoryDamaged, Unavailable
from ledger.domain.unit import Unit
from ledger.projections import runner, stored
from ledger.projections.audit import unit_trail
from ledger.projections.journal import AuditEntry
from ledger.projections.store import MemoryViewStore
from ledger.settings import Settings
from tests.conftest import StoreConfig
from tests.integration.conftest import demo_and_history, settings_of

BULK = {"PeriodAssessed", "PaymentCollected"}
JINAN = "91370102MA3C1JN002"


@pytest.fixture
def settings(store: StoreConfig) -> Settings:
    return settings_of(store)


@pytest.fixture
def ledger(settings: Settings) -> Iterator[Ledger]:
    ledger = demo_and_history(settings, units=4, months=6)
    yield ledger
    ledger.close()


def left_to_the_events(settings: Settings) -> Counter[str]:
    """The audit entries per event type whose stored detail is JSON null."""
    if settings.store_kind == "sqlite":
        with sqlite3.connect(settings.eventsourcing_env()["SQLITE_DBNAME"]) as conn:
            rows = conn.execute(
                "SELECT event_type, COUNT(*) FROM view_audit WHERE detail = 'null' "
                "GROUP BY event_type"
            ).fetchall()
    else:
        with psycopg.connect(settings.database_url) as pg:
            rows = pg.execute(
                f'SELECT event_type, COUNT(*) FROM "{settings.postgres_schema}".view_audit '
                "WHERE detail::text = 'null' GROUP BY event_type"
            ).fetchall()
    return Counter(dict(rows))


def bulk_events(ledger: Ledger, up_to: int = stored.LEFT_UP_TO) -> Counter[str]:
    """The two events' counts per type, of those whose stored state is at most ``up_to``."""
    topics = {
        Unit.PeriodAssessed.TOPIC: "PeriodAssessed",
        Unit.PaymentCollected.TOPIC: "PaymentCollected",
    }
    return Counter(
        topics[n.topic]
        for n in ledger.recorder.select_notifications(1, 1_000_000)
        if n.topic in topics and len(n.state) <= up_to
    )


@pytest.mark.parametrize("how", ["catch_up", "rebuild"])
def test_views_opened_with_their_ledger_leave_every_assessments_and_payments_detail_to_it(
    ledger: Ledger, settings: Settings, how: str
) -> None:
    views = open_view_store(settings, ledger)
    try:
        getattr(runner, how)(ledger, views)
    finally:
        views.close()

    left = left_to_the_events(settings)
    assert left == bulk_events(ledger)
    assert left["PeriodAssessed"] > 20
    assert left["PaymentCollected"] > 20


def test_the_audit_trail_reads_the_details_left_to_the_events_as_the_fold_makes_them(
    ledger: Ledger, settings: Settings
) -> None:
    memory = MemoryViewStore()
    runner.catch_up(ledger, memory)
    views = open_view_store(settings, ledger)
    try:
        runner.catch_up(ledger, views)

        assert views.audit() == memory.audit()
        # filtered by the business date the detail carries (assessed_on, paid_on)
        every = unit_trail(views, JINAN, as_of=None, known_at=None, kinds=sorted(BULK))
        as_of = sorted(line.on for line in every if line.on is not None)[len(every) // 2]
        trail = unit_trail(views, JINAN, as_of=as_of, known_at=None, kinds=sorted(BULK))
        expected = unit_trail(memory, JINAN, as_of=as_of, known_at=None, kinds=sorted(BULK))
    finally:
        views.close()
    assert trail == expected
    assert {line.entry.type for line in every} == BULK
    assert 0 < len(trail) < len(every)
    assert all(line.on is not None and line.on <= as_of for line in trail)


def test_views_opened_without_a_ledger_keep_every_detail(
    ledger: Ledger, settings: Settings
) -> None:
    assert projected_audit(ledger, settings, None) == runner_audit_in_memory(ledger)

    assert left_to_the_events(settings) == Counter()


def test_views_whose_details_were_left_to_the_events_refuse_a_trail_opened_without_them(
    ledger: Ledger, settings: Settings
) -> None:
    views = open_view_store(settings, ledger)
    runner.catch_up(ledger, views)
    views.close()

    blind = open_view_store(settings, None)
    try:
        with pytest.raises(Unavailable, match="opened without them"):
            blind.audit(types=["PaymentCollected"])
        # entries that keep their detail are read as before
        assert blind.audit(types=["Registered"])
    finally:
        blind.close()


def runner_audit_in_memory(ledger: Ledger) -> list[AuditEntry]:
    memory = MemoryViewStore()
    runner.catch_up(ledger, memory)
    return memory.audit()


def projected_audit(ledger: Ledger, settings: Settings, events: Ledger | None) -> list[AuditEntry]:
    """The audit of views opened with ``events`` and caught up with ``ledger``."""
    views = open_view_store(settings, events)
    try:
        runner.catch_up(ledger, views)
        return views.audit()
    finally:
        views.close()


def test_an_assessment_larger_than_the_bound_keeps_its_detail_and_reads_alike(
    ledger: Ledger, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    sizes = sorted(
        len(n.state)
        for n in ledger.recorder.select_notifications(1, 1_000_000)
        if n.topic == Unit.PeriodAssessed.TOPIC
    )
    bound = sizes[len(sizes) // 2]  # half the assessments above it, every payment below
    monkeypatch.setattr(stored, "LEFT_UP_TO", bound)

    assert projected_audit(ledger, settings, ledger) == runner_audit_in_memory(ledger)

    left = left_to_the_events(settings)
    assert left == bulk_events(ledger, bound)
    assert 0 < left["PeriodAssessed"] < bulk_events(ledger)["PeriodAssessed"]


def test_views_reading_another_ledgers_events_keep_every_detail(
    ledger: Ledger, settings: Settings
) -> None:
    other = build_ledger(settings, configure_logs=False)  # the same log, another reader
    try:
        projected_audit(ledger, settings, other)
    finally:
        other.close()

    assert left_to_the_events(settings) == Counter()


def test_a_detail_left_to_an_event_missing_or_undecodable_is_refused_as_damage(
    ledger: Ledger, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    views = open_view_store(settings, ledger)
    try:
        runner.catch_up(ledger, views)
        monkeypatch.setattr(ledger.recorder, "select_events", lambda *a, **k: [])
        with pytest.raises(HistoryDamaged, match="holds no event"):
            views.audit(types=["PaymentCollected"])
        monkeypatch.undo()

        def undecodable(_: object) -> None:
            raise ValueError("not JSON")

        monkeypatch.setattr(ledger.mapper, "to_domain_event", undecodable)
        with pytest.raises(HistoryDamaged, match="cannot be decoded"):
            views.audit(types=["PeriodAssessed"])
    finally:
        views.close()
