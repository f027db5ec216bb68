"""The chaining PostgreSQL recorder, which sends a save's events as binary arrays, stores
what the library's own reads read back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from eventsourcing.persistence import IntegrityError

from ledger.application import Actor, Ledger
from ledger.chain.postgres import ChainedPostgresRecorder
from ledger.domain.region import unit_id
from ledger.domain.unit import Unit
from ledger.settings import Settings

pytestmark = pytest.mark.postgres

ACTOR = Actor("case-worker:recorder-test", "", "req-recorder")


@pytest.fixture
def ledgers(postgres_url: str, pg_schema: str) -> Iterator[tuple[Ledger, Ledger]]:
    """A ledger writing, and another reading, on the same schema."""
    env = Settings(database_url=postgres_url, postgres_schema=pg_schema).eventsourcing_env()
    bulk = Ledger(env=env)
    plain = Ledger(env=env)
    yield bulk, plain
    bulk.close()
    plain.close()


def new_unit(n: int) -> Unit:
    return Unit.register(
        unit_id(f"unit-{n}"),
        uscc=f"unit-{n}",
        uscc_check_overridden=True,
        name=f"unit {n}",
        unit_type="enterprise",
        region="150400",
        agency="150400001",
        unit_number="",
        established_on=date(2015, 1, 1),
        **ACTOR.meta(),
    )


def test_events_saved_as_binary_arrays_read_back_through_the_librarys_reads(
    ledgers: tuple[Ledger, Ledger],
) -> None:
    bulk, plain = ledgers
    units = [new_unit(n) for n in range(3)]

    recordings = bulk.save(*units)

    assert isinstance(bulk.recorder, ChainedPostgresRecorder)
    ids = [r.notification.id for r in recordings]
    assert ids == sorted(ids)
    assert [r.notification.originator_id for r in recordings] == [u.id for u in units]
    assert plain.repository.get(units[1].id).name == "unit 1"
    notified = plain.recorder.select_notifications(start=None, limit=10)
    assert [n.id for n in notified] == ids


def test_a_version_saved_twice_is_still_an_integrity_error(
    ledgers: tuple[Ledger, Ledger],
) -> None:
    bulk, plain = ledgers
    unit = new_unit(1)
    bulk.save(unit)
    first: Unit = bulk.repository.get(unit.id)
    second: Unit = bulk.repository.get(unit.id)
    first.trigger_event(Unit.DeregistrationRequested, requested_on=date(2024, 1, 1), **ACTOR.meta())
    second.trigger_event(
        Unit.DeregistrationRequested, requested_on=date(2024, 1, 2), **ACTOR.meta()
    )
    bulk.save(first)

    with pytest.raises(IntegrityError):
        bulk.save(second)

    assert plain.repository.get(unit.id).deregistration_requested_on == date(2024, 1, 1)
