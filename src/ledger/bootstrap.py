"""Wires the ledger once from settings: the one place adapters are chosen."""

from __future__ import annotations

from ledger.application import Ledger
from ledger.logs import configure_logging
from ledger.settings import Settings


def build_ledger(settings: Settings, *, configure_logs: bool = True) -> Ledger:
    if configure_logs:
        configure_logging(settings.log_format, settings.log_level)
    return Ledger(env=settings.eventsourcing_env())
