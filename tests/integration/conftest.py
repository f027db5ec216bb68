"""Fixtures the import tests share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ledger.application import Ledger
from tests.conftest import StoreConfig
from tests.integration.test_import import chifeng_with_units


@pytest.fixture
def chifeng(store: StoreConfig) -> Iterator[Ledger]:
    """Chifeng with the packaged catalogue, units A, B and C registered, nothing assessed."""
    ledger = chifeng_with_units(store)
    yield ledger
    ledger.close()
