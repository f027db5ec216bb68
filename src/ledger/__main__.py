"""``python -m ledger`` runs the CLI."""

from __future__ import annotations

from ledger.cli import main

main()
