"""Two desks at once: a command that loses the race to save is decided again, not refused.

Registering a unit appends to its region's index of units, so two units registered at
the same moment in one region contend for the same next version of that index. The
loser's save fails on the store's uniqueness check (nothing of it is written); the use
case then decides the command again on what is now recorded, and saves.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from ledger.application import Ledger
from ledger.bootstrap import build_ledger
from ledger.domain.errors import Contention, NotFound, Unavailable
from ledger.settings import Settings
from ledger.usecases import stored
from tests.acceptance.conftest import ACTOR, Agency
from tests.conftest import StoreConfig

CHIFENG = "150400"


def _second_desk(store: StoreConfig) -> Ledger:
    settings = Settings(
        database_url=store.database_url, postgres_schema=store.postgres_schema or ""
    )
    return build_ledger(settings, configure_logs=False)


def _register(ledger: Ledger, agency: Agency, uscc: str = "") -> str:
    uscc = uscc or agency.uscc(CHIFENG)
    ledger.register_unit(
        uscc=uscc,
        name="并发登记单位",
        unit_type="enterprise",
        region=CHIFENG,
        agency="150400001",
        unit_number="",
        established_on=date(2010, 5, 1),
        actor=ACTOR,
    )
    return uscc


def _losing_the_race(ledger: Ledger, other: Ledger, agency: Agency, times: int) -> list[str]:
    """Makes ``ledger``'s next ``times`` saves lose to a registration by ``other``."""
    real_save = ledger.save
    raced: list[str] = []

    def save(*objs: Any, **kwargs: Any) -> Any:
        if len(raced) < times:
            raced.append(_register(other, agency))
        return real_save(*objs, **kwargs)

    ledger.save = save  # type: ignore[method-assign]
    return raced


def test_a_registration_that_loses_the_race_is_decided_again(
    agency: Agency, store: StoreConfig
) -> None:
    agency.region(CHIFENG)
    other = _second_desk(store)
    try:
        raced = _losing_the_race(agency.ledger, other, agency, times=1)

        mine = _register(agency.ledger, agency)
    finally:
        other.close()

    # both units are registered and indexed in the region, once each
    indexed = list(agency.ledger.unit_ids_in(CHIFENG))
    assert len(raced) == 1
    assert len(indexed) == len(set(indexed)) == 2
    assert agency.ledger.unit(mine).region == CHIFENG
    assert agency.ledger.unit(raced[0]).region == CHIFENG


def test_a_command_losing_every_attempt_is_contention_and_writes_nothing(
    agency: Agency, store: StoreConfig
) -> None:
    agency.region(CHIFENG)
    other = _second_desk(store)
    try:
        raced = _losing_the_race(agency.ledger, other, agency, times=stored.ATTEMPTS)
        mine = agency.uscc(CHIFENG)

        # not a Conflict (a contradiction with the record, which a retry cannot fix):
        # a retriable refusal, as an unreachable store is
        with pytest.raises(Contention, match="changed while this command ran") as lost:
            _register(agency.ledger, agency, mine)
    finally:
        other.close()

    # only the other desk's registrations were written
    assert len(raced) == len(list(agency.ledger.unit_ids_in(CHIFENG))) == stored.ATTEMPTS
    with pytest.raises(NotFound):
        agency.ledger.unit(mine)
    assert isinstance(lost.value, Unavailable)
