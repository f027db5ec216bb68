"""The journal maps every unit event type on purpose: by a mapper, or as audit only."""

from __future__ import annotations

import inspect

from ledger.domain.unit import Unit
from ledger.projections.journal import _MAPPERS, AUDIT_ONLY

#: bases never stored as events of their own
ABSTRACT = {Unit.Event, Unit.Decision, Unit.Created, Unit.Reversal}


def stored_event_types() -> set[type]:
    return {
        c
        for c in vars(Unit).values()
        if inspect.isclass(c) and issubclass(c, Unit.Event) and c not in ABSTRACT
    }


def test_every_unit_event_type_is_mapped_or_named_audit_only() -> None:
    unaccounted = stored_event_types() - set(_MAPPERS) - AUDIT_ONLY

    assert not unaccounted, f"map these in projections/journal.py: {unaccounted}"


def test_no_event_type_is_both_mapped_and_audit_only() -> None:
    assert not set(_MAPPERS) & AUDIT_ONLY


def test_every_reversal_is_mapped_so_that_it_nets_out_its_applied_twin() -> None:
    reversals = {c for c in stored_event_types() if issubclass(c, Unit.Reversal)}
    mapped = {c for c in reversals if c in _MAPPERS}

    # every reversal changes what its applied twin changed, so each one is mapped
    assert mapped == reversals - AUDIT_ONLY
