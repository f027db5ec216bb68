"""Fixtures the integration tests share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

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
    ledger = build_ledger(settings_of(store), configure_logs=False)
    Demo(ledger, Story(say=lambda _: None, show=lambda _: None)).run()
    yield ledger
    ledger.close()
