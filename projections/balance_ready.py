"""A unit's balance kept ready: the fold of all its movements, stored beside the views.

A balance read folds a unit's movements (``balance_fold``); most reads ask about today,
from everything recorded, long after the unit's last movement took effect. For those,
the fold's result before pricing (per item: principal, what was reduced, paid, applied,
refunded and carried, the deferral's deadline, the unpaid slices with the days their late
fee runs from, and what each payment settled and when) is the same for every such day,
so it is folded once and kept (table ``view_balance_ready``), and a read is one indexed
query plus the late-fee arithmetic of ``balance_fold.close_items``.

The kept state is used only when it is valid for the question:

- it was folded through the unit's last movement in the views: the row names that
  movement's event version (``through``), compared in the read's own query with the
  newest movement the views hold (a payment projected since makes it stale: the read
  carries it on through the movements after ``through`` with ``extend``, or folds the
  unit again when one of them takes effect before ``valid_from``, and keeps the result);
- ``known_at`` is not asked (a read with a past ``known_at`` folds the movements recorded
  by then, as before);
- ``as_of`` is on or after ``valid_from``, the day the last movement took effect (an
  earlier day folds the movements up to it, as before).

The fold stays the reference: ``tests/properties/test_balance_ready.py`` shows that the
kept state, and a kept state carried on, priced as of any day from ``valid_from`` on,
give the fold's balance.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from ledger.domain.money import ZERO
from ledger.domain.period import Period
from ledger.domain.terms import Part
from ledger.projections.balance_fold import ItemBalance, _Slice, dated_after, fold_into
from ledger.projections.journal import Kind, Movement

_PARTS = {p.value: p for p in Part}
#: bumped when the kept state's layout or the fold's rules change: older rows are stale
FORMAT = 2


@dataclass(slots=True)
class ReadyBalance:
    """The fold of all of a unit's movements, unpriced."""

    #: the event version of the unit's last movement folded (0: none)
    through: int
    #: the day the last movement took effect: the state holds for as-of days from it on
    valid_from: date
    items: list[ItemBalance]
    credit: Decimal
    #: per item (period, part): the day its deferred principal was last called due
    called_due_on: dict[tuple[Period, Part], date]
    #: per item, revoked ones too: the day of its assessment latest by version (a later
    #: movement of the item takes effect no earlier: ``in_business_order``) ...
    assessed_on: dict[tuple[Period, Part], date]
    #: ... and the due date of its assessment latest in business order (a call due
    #: without a day of its own falls due then: ``items.called_due_on``)
    due_dates: dict[tuple[Period, Part], date | None]


def ready_balance(movements: list[Movement]) -> ReadyBalance:
    """The state a balance is priced from, folded through every movement."""
    empty = ReadyBalance(0, date.min, [], ZERO, {}, {}, {})
    folded = extend(empty, movements)
    assert folded is not None  # nothing takes effect before date.min
    return folded


def extend(ready: ReadyBalance, movements: list[Movement]) -> ReadyBalance | None:
    """The state carried on through later movements of the unit (its items are reused),
    or None when one of them takes effect before ``ready.valid_from``: in business order
    it falls among the movements folded already, and only a fold of all of them gives
    the balance. Otherwise the movements come after every one folded (a later day, or
    the same day and a later version), so carrying the fold on is the fold of all."""
    if any(m.version <= ready.through for m in movements):
        return None
    # effective days as ``in_business_order`` gives them, from the assessments so far
    assessed_on = dict(ready.assessed_on)
    dated = dated_after(movements, assessed_on)
    if dated and dated[0][0] < ready.valid_from:
        return None
    items = {(i.period, i.part): i for i in ready.items}
    credit = fold_into(items, ready.credit, dated, date.max)
    called = dict(ready.called_due_on)
    due_dates = dict(ready.due_dates)
    for _, m in dated:  # as ``items.called_due_on``, through the last movement
        if m.period is None or m.part is None:
            continue
        key = (m.period, m.part)
        if m.kind is Kind.assessed:
            due_dates[key] = m.due
            called.pop(key, None)
        elif m.kind is Kind.called_due:
            called_on = m.due or due_dates.get(key)
            if called_on is None:
                called.pop(key, None)
            else:
                called[key] = called_on
    return ReadyBalance(
        through=max((m.version for m in movements), default=ready.through),
        valid_from=dated[-1][0] if dated else ready.valid_from,
        items=list(items.values()),
        credit=credit,
        called_due_on=called,
        assessed_on=assessed_on,
        due_dates=due_dates,
    )


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _parse_day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def encode(ready: ReadyBalance) -> str:
    """Compact JSON (amounts as exact decimal strings, days ISO). What can carry no late
    fee on any day is left out (most of a paid-up unit): slices with nothing unpaid
    (closing skips them, and no later movement takes anything from them) and principal
    settled by its due day (its fee factor is zero, and an item's fee is rounded once,
    after the sum)."""
    items = [
        [
            str(i.period),
            i.part.value,
            i.due_date.isoformat(),
            [
                str(i.assessed),
                str(i.reduced),
                str(i.paid),
                str(i.credit_applied),
                str(i.refunded),
                str(i.carried_forward),
            ],
            _day(i.deadline),
            [
                [s.due.isoformat(), str(s.unpaid), s.deferred, s.called, s.compensation]
                for s in i._slices
                if s.unpaid != ZERO
            ],
            [
                [str(take), due.isoformat(), on.isoformat()]
                for take, due, on in i._settled
                if on > due
            ],
            _day(ready.called_due_on.get((i.period, i.part))),
        ]
        for i in ready.items
    ]
    keys = sorted(ready.assessed_on.keys() | ready.due_dates.keys())
    assessments = [
        [
            str(period),
            part.value,
            _day(ready.assessed_on.get((period, part))),
            _day(ready.due_dates.get((period, part))),
            (period, part) in ready.due_dates,
        ]
        for period, part in keys
    ]
    document: list[Any] = [
        FORMAT,
        ready.through,
        ready.valid_from.isoformat(),
        str(ready.credit),
        items,
        assessments,
    ]
    return json.dumps(document, separators=(",", ":"))


def decode(text: str) -> ReadyBalance | None:
    """The state kept, or None if it was written in another format (fold again)."""
    document = json.loads(text)
    if document[0] != FORMAT:
        return None
    _, through, valid_from, credit, rows, assessments = document
    assessed_on: dict[tuple[Period, Part], date] = {}
    due_dates: dict[tuple[Period, Part], date | None] = {}
    for period, part, on, due, has_due in assessments:
        key = (Period.parse(period), _PARTS[part])
        if on is not None:
            assessed_on[key] = date.fromisoformat(on)
        if has_due:
            due_dates[key] = _parse_day(due)
    items: list[ItemBalance] = []
    called: dict[tuple[Period, Part], date] = {}
    for period, part, due_date, amounts, deadline, slices, settled, called_on in rows:
        assessed, reduced, paid, applied, refunded, carried = map(Decimal, amounts)
        item = ItemBalance(
            Period.parse(period),
            _PARTS[part],
            date.fromisoformat(due_date),
            assessed=assessed,
            reduced=reduced,
            paid=paid,
            credit_applied=applied,
            refunded=refunded,
            carried_forward=carried,
            deadline=_parse_day(deadline),
            _slices=[
                _Slice(date.fromisoformat(due), Decimal(unpaid), deferred, was_called, compensation)
                for due, unpaid, deferred, was_called, compensation in slices
            ],
            _settled=[
                (Decimal(take), date.fromisoformat(due), date.fromisoformat(on))
                for take, due, on in settled
            ],
        )
        items.append(item)
        if called_on is not None:
            called[(item.period, item.part)] = date.fromisoformat(called_on)
    return ReadyBalance(
        through,
        date.fromisoformat(valid_from),
        items,
        Decimal(credit),
        called,
        assessed_on,
        due_dates,
    )
