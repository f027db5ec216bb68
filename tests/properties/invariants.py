"""The ledger's invariants, as checks over one unit: its stored events, its state as
the write side folds it, and its balance as the read side computes it.

Each check raises AssertionError naming the unit and the figures; the state machine
(test_ledger_machine.py) runs them after every step.

Conservation (issue 6): the money a unit was asked for, less what was forgiven, less
what it paid, plus what was paid back to it, is what it still owes less the credit it
holds::

    assessed - reduced - paid + refunded = outstanding - credit held

``paid`` is every payment collected (the part that settled items and the part kept
as credit); ``assessed`` and ``reduced`` count the assessments not revoked. The left
side is summed from the facts and decisions as stored, the right side from the
aggregate's state and, separately, from the read side's rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields, is_dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from ledger.domain.latefee import DailyRates
from ledger.domain.money import ZERO
from ledger.domain.period import Period
from ledger.domain.state import Assessment
from ledger.domain.terms import Part
from ledger.domain.unit import Unit
from ledger.projections.balance_fold import UnitBalance, in_business_order, unit_balance
from ledger.projections.journal import Movement

#: Social Insurance Law art. 86: 0.05% a day (the packaged national-late-fee.toml)
DAILY_RATE = DailyRates.flat(Decimal("0.0005"))
#: a day after everything the machine can record: balances "as of the end of time"
END_OF_TIME = date(2099, 12, 31)
#: late fees are rounded to the fen once per item: a day's growth is exact to a fen
ONE_FEN = Decimal("0.01")

Key = tuple[Period, Part]


def money_in_the_events(events: Iterable[Any]) -> Decimal:
    """assessed - reduced - paid + refunded, from a unit's stored events alone."""
    assessed: dict[Period, Decimal] = {}
    reduced: dict[Period, Decimal] = {}
    paid: Decimal = ZERO
    refunded: Decimal = ZERO
    for event in events:
        match event:
            case Unit.PeriodAssessed():
                period = Period.parse(event.period)
                assessed[period] = sum((Decimal(a) for _, _, a in event.totals), ZERO)
                reduced[period] = ZERO
            case Unit.AssessmentRevoked():
                period = Period.parse(event.period)
                assessed.pop(period, None)
                reduced.pop(period, None)
            case Unit.ReductionApplied():
                for p, _, amount in event.totals:
                    reduced[Period.parse(p)] += Decimal(amount)
            case Unit.PaymentCollected():
                paid += event.amount
            case Unit.RefundOwed():
                refunded += sum((Decimal(a) for _, _, a in event.items), ZERO)
    return sum(assessed.values(), ZERO) - sum(reduced.values(), ZERO) - paid + refunded


def check_conservation(unit: Unit, events: Sequence[Any], balance: UnitBalance) -> None:
    """Money is conserved, on the write side and on the read side alike."""
    expected = money_in_the_events(events)
    write_side = sum((i.outstanding for i in unit.items.values()), ZERO) - unit.credit
    read_side = balance.outstanding - balance.credit_held
    assert write_side == expected, (
        f"{unit.uscc}: outstanding {write_side + unit.credit} - credit {unit.credit} = "
        f"{write_side}, but assessed - reduced - paid + refunded = {expected}"
    )
    assert read_side == expected, (
        f"{unit.uscc}: the read side's outstanding - credit held = {read_side}, "
        f"but assessed - reduced - paid + refunded = {expected}"
    )
    assert unit.credit >= ZERO, f"{unit.uscc}: credit held is negative ({unit.credit})"
    for item in unit.items.values():
        # Overpaid items are refunded or carried forward as credit, never left negative.
        assert item.outstanding >= ZERO, (
            f"{unit.uscc} {item.period} {item.part.value}: outstanding {item.outstanding}"
        )


def check_read_side_agrees(unit: Unit, balance: UnitBalance) -> None:
    """Every item's amounts as the views fold them are the aggregate's own."""
    read = {(i.period, i.part): i for i in balance.items}
    assert set(read) == set(unit.items), (
        f"{unit.uscc}: items {sorted(map(str, read))} on the read side, "
        f"{sorted(map(str, unit.items))} on the write side"
    )
    for key, item in unit.items.items():
        mine = read[key]
        for name in ("assessed", "reduced", "paid", "credit_applied", "refunded"):
            assert getattr(mine, name) == getattr(item, name), (
                f"{unit.uscc} {key[0]} {key[1].value}: {name} {getattr(mine, name)} read, "
                f"{getattr(item, name)} written"
            )
        assert mine.carried_forward == item.carried_forward
    assert balance.credit_held == unit.credit, (
        f"{unit.uscc}: credit held {balance.credit_held} read, {unit.credit} written"
    )


def days_to_look_at(movements: Sequence[Movement], today: date) -> list[date]:
    """The days around which a late fee can change: every due date, deadline and
    movement, the day before each, and a year after today."""
    days = {today, today + timedelta(days=400)}
    for m in movements:
        for d in (m.on, m.due):
            if d is not None:
                days.update((d - timedelta(days=1), d, d + timedelta(days=1)))
    return sorted(days)


def check_late_fees(movements: Sequence[Movement], today: date) -> None:
    """Late fees are never negative, and from one day to the next an item's fee grows
    by its overdue principal x the daily rate, never by what is still deferred."""
    moved_on: dict[Key, set[date]] = {}
    for on, m in in_business_order(movements):
        if m.period is not None and m.part is not None:
            moved_on.setdefault((m.period, m.part), set()).add(on)
    for day in days_to_look_at(movements, today):
        before = {(i.period, i.part): i for i in unit_balance(movements, day, DAILY_RATE).items}
        after_day = day + timedelta(days=1)
        for item in unit_balance(movements, after_day, DAILY_RATE).items:
            key = (item.period, item.part)
            where = f"{key[0]} {key[1].value} as of {after_day}"
            assert item.late_fee >= ZERO, f"{where}: late fee {item.late_fee}"
            assert item.deferred >= ZERO, where
            assert item.overdue >= ZERO, where
            was = before.get(key)
            if was is None or after_day in moved_on.get(key, set()):
                continue  # the item was assessed, paid or decided on that day
            growth = item.late_fee - was.late_fee
            accrued = item.overdue * DAILY_RATE.on(after_day)
            assert abs(growth - accrued) <= ONE_FEN, (
                f"{where}: the late fee grew by {growth}, but only {item.overdue} is overdue "
                f"({accrued} a day); {item.deferred} deferred until {item.deadline}"
            )


def check_deferred_matches(unit: Unit, balance: UnitBalance, today: date) -> None:
    """While a deferral runs, the principal the views count deferred is the aggregate's."""
    read = {(i.period, i.part): i for i in balance.items}
    for key, item in unit.items.items():
        if item.deferred_until is None or item.late_fee_from is None:
            continue
        if today >= item.late_fee_from:
            continue  # past the deadline: deferred principal is overdue on the read side
        assert read[key].deferred == item.deferred_open, (
            f"{unit.uscc} {key[0]} {key[1].value} on {today}: {read[key].deferred} deferred "
            f"on the read side, {item.deferred_open} on the write side"
        )


def state_of(obj: Any) -> Any:
    """An aggregate's state as plain data, to compare the state a command left with the
    state its events give when replayed (caches and pending events left out)."""
    if isinstance(obj, (str, int, Decimal, date, Enum, UUID, Period)):
        return obj
    if isinstance(obj, Assessment):
        return (obj.period, obj.rows, obj.due_date, obj.assessed_on, obj.rates)
    if is_dataclass(obj) and not isinstance(obj, type):
        return (type(obj).__name__, tuple(state_of(getattr(obj, f.name)) for f in fields(obj)))
    if isinstance(obj, dict):
        return {k: state_of(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [state_of(v) for v in obj]
    if isinstance(obj, set):
        return sorted(obj)
    if isinstance(obj, Unit):
        state = {k: state_of(v) for k, v in vars(obj).items() if not k.startswith("_")}
        return state | {"version": obj.version}
    return obj
