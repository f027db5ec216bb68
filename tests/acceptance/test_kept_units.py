"""Units kept between commands (``ledger.usecases.keptunits``): a command starts from
the unit the last one committed, with what was recorded since folded on, and decides
exactly as on the unit folded from the store."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from eventsourcing.persistence import OperationalError

from ledger.application import Ledger
from ledger.domain.region import unit_id
from ledger.domain.unit import Unit
from ledger.usecases.stored import StoredUnits
from tests.acceptance.conftest import ACTOR, CHIFENG, Agency

PAID_ON = date(2020, 3, 10)


def _kept(ledger: Ledger, uscc: str) -> Unit | None:
    """The unit the next command on ``uscc`` would start from, put back (None: folded)."""
    units = ledger.ports.units
    assert isinstance(units, StoredUnits)
    unit: Unit | None = units.kept.take(unit_id(uscc))
    if unit is not None:
        units.kept.keep(unit)
    return unit


def _folded(ledger: Ledger, uscc: str) -> Unit:
    unit: Unit = ledger.repository.get(unit_id(uscc))
    return unit


def _state(unit: Unit) -> dict[str, Any]:
    return dict(vars(unit))


def _paid(ledger: Ledger, uscc: str) -> list[str]:
    return [
        f"{e.amount:.2f}" for e in ledger.unit_history(uscc) if isinstance(e, Unit.PaymentCollected)
    ]


def _counting_saves(ledger: Ledger) -> list[int]:
    """The number of saves from now on (one item, counted)."""
    count = [0]
    real = ledger.save

    def save(*objs: Any, **kwargs: Any) -> Any:
        count[0] += 1
        return real(*objs, **kwargs)

    ledger.save = save  # type: ignore[method-assign]
    return count


@pytest.fixture
def assessed(agency: Agency) -> str:
    agency.region(CHIFENG)
    uscc = agency.unit(CHIFENG)
    agency.person(uscc, "5000.00")
    agency.person(uscc, "7300.50")
    agency.assess(uscc, "2020-02", date(2020, 3, 2))
    return uscc


def test_the_unit_a_command_starts_from_is_the_unit_its_events_fold_to(
    agency: Agency, assessed: str
) -> None:
    agency.pay(assessed, "100.00", PAID_ON)
    agency.assess(assessed, "2020-03", date(2020, 4, 2))
    agency.pay(assessed, "2000.00", date(2020, 4, 10))  # more than owed: credit

    kept = _kept(agency.ledger, assessed)

    assert kept is not None
    assert kept.version == _folded(agency.ledger, assessed).version
    assert _state(kept) == _state(_folded(agency.ledger, assessed))


def test_a_command_decides_on_what_another_process_recorded_since(
    agency: Agency, assessed: str, other_process: Ledger
) -> None:
    agency.pay(assessed, "100.00", PAID_ON)  # kept here at this version
    other_process.collect_payment(assessed, PAID_ON, "50.00", ACTOR)
    saves = _counting_saves(agency.ledger)

    agency.pay(assessed, "30.00", PAID_ON)

    unit = _folded(agency.ledger, assessed)
    assert _paid(agency.ledger, assessed) == ["100.00", "50.00", "30.00"]
    assert saves == [1]  # decided on the other's payment at once, not after a lost race
    assert _state(_kept(agency.ledger, assessed) or unit) == _state(unit)


def test_a_command_whose_save_failed_leaves_nothing_of_itself_to_the_next(
    agency: Agency, assessed: str
) -> None:
    agency.pay(assessed, "100.00", PAID_ON)
    ledger = agency.ledger
    real = ledger.save

    def unreachable(*objs: Any, **kwargs: Any) -> Any:
        raise OperationalError("the store went away")

    ledger.save = unreachable  # type: ignore[method-assign]
    with pytest.raises(OperationalError):
        ledger.collect_payment(assessed, PAID_ON, "40.00", ACTOR)
    ledger.save = real  # type: ignore[method-assign]
    agency.pay(assessed, "25.00", PAID_ON)

    unit = _folded(ledger, assessed)
    assert _paid(ledger, assessed) == ["100.00", "25.00"]
    assert _state(_kept(ledger, assessed) or unit) == _state(unit)


def test_a_kept_unit_the_store_no_longer_holds_is_folded_afresh(
    agency: Agency, assessed: str
) -> None:
    agency.pay(assessed, "100.00", PAID_ON)
    kept = _kept(agency.ledger, assessed)
    assert kept is not None
    # as after a restore of the store under a running server: the kept unit is ahead
    kept.version = kept.version + 1

    agency.pay(assessed, "30.00", PAID_ON)

    unit = _folded(agency.ledger, assessed)
    versions = [e.originator_version for e in agency.ledger.unit_history(assessed)]
    assert versions == list(range(1, unit.version + 1))  # no gap: decided on the store's unit
    assert _paid(agency.ledger, assessed) == ["100.00", "30.00"]
