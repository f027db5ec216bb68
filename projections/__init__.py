"""The read side (ledger.projections): pure folds from events to views, and their stores.

Shipped as ``ledger.projections`` through the symlink ``src/ledger/projections``.
The views themselves are the subject of issue 3; this package is their home.
"""
