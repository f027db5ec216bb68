"""The units kept between commands, without a store: taken out while a command uses
them, kept only as committed, the newest kept, the least recently committed forgotten."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

from ledger.usecases.keptunits import KeptUnits


@dataclass
class FakeUnit:
    id: UUID = field(default_factory=uuid4)
    version: int = 1
    pending_events: list[Any] = field(default_factory=list)


def test_a_unit_taken_by_a_command_is_no_other_commands() -> None:
    kept = KeptUnits(10)
    unit = FakeUnit()
    kept.keep(unit)

    first, second = kept.take(unit.id), kept.take(unit.id)

    assert first is unit
    assert second is None


def test_a_unit_with_events_not_yet_committed_is_not_kept() -> None:
    kept = KeptUnits(10)
    unit = FakeUnit(pending_events=["PaymentCollected"])

    kept.keep(unit)

    assert kept.take(unit.id) is None


def test_an_older_unit_does_not_replace_the_newer_one_kept() -> None:
    kept = KeptUnits(10)
    newer = FakeUnit(version=7)
    older = FakeUnit(id=newer.id, version=5)
    kept.keep(newer)

    kept.keep(older)

    assert kept.take(newer.id) is newer


def test_the_least_recently_committed_unit_is_forgotten_first() -> None:
    kept = KeptUnits(2)
    a, b, c = FakeUnit(), FakeUnit(), FakeUnit()
    kept.keep(a)
    kept.keep(b)
    kept.keep(a)  # committed again: now the most recent

    kept.keep(c)

    assert kept.take(b.id) is None
    assert kept.take(a.id) is a
    assert kept.take(c.id) is c


def test_none_is_kept_when_the_bound_is_zero() -> None:
    kept = KeptUnits(0)
    unit = FakeUnit()

    kept.keep(unit)

    assert kept.take(unit.id) is None
