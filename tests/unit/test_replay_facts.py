"""A replay records every fact again: each fact type has its way back into the use cases."""

from __future__ import annotations

from ledger.domain.unit import Unit, event_types, fact_types
from ledger.replay import scratch


def test_every_fact_of_a_unit_is_recorded_again_by_the_replay() -> None:
    missing = fact_types() - set(scratch._FACTS)

    # a new fact event needs its handler in ledger/replay/scratch.py (_FACTS), or a
    # replay would set it aside as if the decider made it
    assert not missing, f"replay cannot record these facts again: {missing}"


def test_the_replay_records_again_only_facts_and_decisions_made_by_a_command() -> None:
    assert set(scratch._FACTS) == scratch.REFILED
    assert fact_types() | scratch.COMMANDED_DECISIONS == scratch.REFILED


def test_facts_are_the_unit_events_that_are_not_decisions() -> None:
    facts = fact_types()

    assert Unit.PeriodAssessed in facts
    assert Unit.PaymentCollected in facts
    assert Unit.ReductionApplied not in facts
    assert all(issubclass(c, Unit.Decision) for c in event_types() - facts)
    assert not facts & scratch.COMMANDED_DECISIONS
    assert all(issubclass(c, Unit.Decision) for c in scratch.COMMANDED_DECISIONS)
