"""The use cases, grouped by what they act on; composed into ``ledger.application.Ledger``."""
