"""The read side (ledger.projections): pure folds from events to views, and their stores.

Installed as ``ledger.projections`` by the package-dir mapping of pyproject.toml.
The views themselves are the subject of issue 3; this package is their home.
"""
