"""Fixtures the integration tests share."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from benchmarks.history import build_history

from ledger.application import Ledger
from ledger.bootstrap import build_ledger
from ledger.demo import Demo, Story
from ledger.settings import Settings
from tests.conftest import StoreConfig
from tests.integration.test_import import chifeng_with_units


@pytest.fixture
def chifeng(store: StoreConfig) -> Iterator[Ledger]:
    """Chifeng with the packaged catalogue, units A, B and C registered, nothing assessed."""
    ledger = chifeng_with_units(store)
    yield ledger
    ledger.close()


def settings_of(store: StoreConfig) -> Settings:
    return Settings(database_url=store.database_url, postgres_schema=store.postgres_schema or "")


@pytest.fixture
def demo(store: StoreConfig) -> Iterator[Ledger]:
    """The demo's history (``ledger demo``) recorded in the test's store."""
    ledger = demo_and_history(settings_of(store))
    yield ledger
    ledger.close()


def demo_and_history(settings: Settings, *, units: int = 0, months: int = 0) -> Ledger:
    """A ledger on ``settings`` holding the demo's history, then a synthetic one of
    ``units`` units x ``months`` months (``benchmarks.history``)."""
    ledger = build_ledger(settings, configure_logs=False)
    Demo(ledger, Story(say=lambda _: None, show=lambda _: None)).run()
    if units:
        build_history(ledger, units=units, months=months)
    return ledger


def opened_at_once(settings: Settings, count: int = 4) -> tuple[list[Ledger], list[BaseException]]:
    """``count`` ledgers opened on ``settings``'s store at the same moment, as ``ledger
    serve --workers N`` starts its processes: those opened, and what the others raised."""
    start = threading.Barrier(count)
    opened: list[Ledger] = []
    failed: list[BaseException] = []

    def open_one() -> None:
        try:
            start.wait()
            opened.append(Ledger(env=settings.eventsourcing_env()))
        except BaseException as exc:
            failed.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return opened, failed
