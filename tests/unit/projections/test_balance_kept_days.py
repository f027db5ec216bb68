"""A read about a day before the unit's last movement folds the movements up to it, and
no more: it neither folds the balance ahead for later reads nor writes it (the balance
kept answers only days on or after the last movement took effect)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from ledger.clocks import ReadClocks
from ledger.domain.region import unit_id
from ledger.projections.balance_ready import ReadyBalance, ready_balance
from ledger.projections.balance_view import (
    UnitBalanceView,
    kept_balance,
    kept_view,
    unit_balance_view,
)
from ledger.projections.store import MemoryViewStore
from tests.unit.projections import seeds
from tests.unit.projections.conftest import WUHAI_SME

#: the Wuhai retailer's last movement, the repayment, takes effect on 2023-07-31
REPAID = date(2023, 7, 31)
BEFORE_LAST, AFTER_LAST = date(2023, 7, 10), date(2023, 8, 1)
LATER = datetime(2100, 1, 1, tzinfo=UTC)


@dataclass
class KeepingStore(MemoryViewStore):
    """The list store, keeping balances as the SQL stores do, and counting the writes."""

    kept: dict[UUID, ReadyBalance] = field(default_factory=dict)
    writes: list[int] = field(default_factory=list)

    def kept_balance(self, unit_id: UUID) -> tuple[ReadyBalance | None, int]:
        last = max((m.version for m in self.movements([unit_id])), default=0)
        return self.kept.get(unit_id), last

    def keep_ready_balance(self, unit_id: UUID, ready: ReadyBalance) -> None:
        self.kept[unit_id] = ready
        self.writes.append(ready.through)


def keeping(events: list[Any]) -> KeepingStore:
    store = KeepingStore()
    store.append(seeds.store_of(events).rows, len(events))
    return store


def read(store: MemoryViewStore, as_of: date, known_at: datetime | None = None) -> UnitBalanceView:
    clocks = ReadClocks(as_of, known_at)
    return unit_balance_view(store, WUHAI_SME, clocks=clocks, policies=seeds.POLICIES)


def folded(store: MemoryViewStore, as_of: date) -> UnitBalanceView:
    """The reference: a read with a ``known_at`` after everything always folds."""
    return read(store, as_of, LATER)


def same_figures(one: UnitBalanceView, other: UnitBalanceView) -> bool:
    return (one.items, one.credit_held, one.daily_rate) == (
        other.items,
        other.credit_held,
        other.daily_rate,
    )


def test_a_read_before_the_last_movement_keeps_no_balance(wuhai_events: list[Any]) -> None:
    store = keeping(wuhai_events)

    view = read(store, BEFORE_LAST)

    assert store.writes == []
    assert same_figures(view, folded(store, BEFORE_LAST))


def test_a_read_after_the_last_movement_keeps_the_balance_for_the_next(
    wuhai_events: list[Any],
) -> None:
    store = keeping(wuhai_events)

    first = read(store, AFTER_LAST)
    again = read(store, AFTER_LAST)

    assert len(store.writes) == 1
    assert same_figures(first, again)
    assert same_figures(first, folded(store, AFTER_LAST))


def test_a_read_of_the_past_leaves_the_balance_kept_as_it_was(wuhai_events: list[Any]) -> None:
    store = keeping(wuhai_events)
    read(store, AFTER_LAST)
    kept = store.kept[unit_id(WUHAI_SME)]

    view = read(store, BEFORE_LAST)

    assert store.kept[unit_id(WUHAI_SME)] is kept
    assert len(store.writes) == 1
    assert same_figures(view, folded(store, BEFORE_LAST))


def test_a_stale_balance_is_not_carried_on_for_a_read_of_the_past(
    wuhai_events: list[Any],
) -> None:
    store = keeping(wuhai_events)
    movements = sorted(store.movements([unit_id(WUHAI_SME)]), key=lambda m: m.version)
    # kept before the repayment was projected: stale, valid from an earlier day
    stale = ready_balance([m for m in movements if m.on < REPAID])
    store.kept[unit_id(WUHAI_SME)] = stale
    assert stale.valid_from <= BEFORE_LAST < REPAID

    assert kept_balance(store, unit_id(WUHAI_SME), BEFORE_LAST) is None
    assert store.writes == []
    assert store.kept[unit_id(WUHAI_SME)] is stale
    assert same_figures(read(store, BEFORE_LAST), folded(store, BEFORE_LAST))


def test_a_kept_balance_priced_for_one_day_prices_the_next_read_as_a_fresh_one(
    wuhai_events: list[Any],
) -> None:
    # reads share the state a process decoded once: pricing must leave it as folded
    store = keeping(wuhai_events)
    unit = store.unit_by_uscc(WUHAI_SME)
    assert unit is not None
    movements = store.movements([unit.unit_id])
    shared = ready_balance(movements)

    for day in (AFTER_LAST, date(2024, 6, 30), AFTER_LAST):
        priced = kept_view(unit, shared, day, seeds.POLICIES)
        fresh = kept_view(unit, ready_balance(movements), day, seeds.POLICIES)
        assert priced == fresh
    assert shared == ready_balance(movements)
