"""ledger: an event-sourced ledger of employee medical-insurance contributions."""

from __future__ import annotations

__version__ = "0.1.0"
