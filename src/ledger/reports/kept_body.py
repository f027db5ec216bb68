"""A balance read's JSON body from the balance kept, with its settled items rendered once.

The lean read (``api/lean.py``) prices the balance kept through a unit's last movement
as of the day asked and sends ``compact_json(balance_document(kept_view(...)))``. Most
items of a unit are settled: nothing of them is unpaid, so priced as of any day they
are the same line (no slice deferred, called due or overdue; the late fee only on what
was paid, through the days it was paid: ``balance_fold.settled``). Rendering those
lines once per kept state and late-fee rates, and pricing and rendering only the items
still open at each read, took the read's pricing and rendering from most of its CPU to
a small part (issue 11.1). The body is the same, byte for byte: see
``tests/properties/test_kept_body.py``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from ledger.catalogue.policyset import PolicySet
from ledger.clocks import ReadClocks
from ledger.domain.latefee import DailyRates
from ledger.domain.money import ZERO
from ledger.projections.balance_fold import (
    ItemBalance,
    close_items,
    item_order,
    settled,
    to_close,
)
from ledger.projections.balance_ready import ReadyBalance
from ledger.projections.balance_view import AMOUNTS, ItemLine, item_line, kept_called_on, shaped
from ledger.projections.items import daily_rates
from ledger.projections.journal import UnitRegistered
from ledger.reports.formats import compact_json
from ledger.reports.model import PlainDocument
from ledger.reports.unit_reads import balance_document, item_document

#: where the items go in the document rendered without them: a key can be found so in
#: compact JSON only outside a string (a quote inside one is escaped)
_NO_ITEMS = b',"items":[]'
_ITEMS_AT = len(_NO_ITEMS) - 1


@dataclass(frozen=True, slots=True)
class _Rendered:
    """What of a kept balance is the same on every day it is priced for, at some rates."""

    ready: ReadyBalance
    rates: DailyRates
    #: the items in the balance's order (period, part)
    items: tuple[ItemBalance, ...]
    #: per item, its line's JSON if it is settled, else None (priced at each read)
    fragments: tuple[bytes | None, ...]
    #: the settled items' amounts summed, in ``AMOUNTS`` order
    settled_totals: tuple[Decimal, ...]
    #: bytes of rendered lines held (what ``KeptBodies``' budget counts)
    size: int


class KeptBodies:
    """Renders kept balances, keeping the ``_Rendered`` parts of each unit's last kept
    state, up to about ``budget`` bytes of rendered lines in all (then it starts again:
    a process reading a city's units one after another holds a bounded few)."""

    def __init__(self, budget: int = 64 * 1024 * 1024) -> None:
        self.budget = budget
        self._rendered: dict[UUID, _Rendered] = {}
        self._held = 0
        self._lock = threading.Lock()

    def body(
        self, unit: UnitRegistered, ready: ReadyBalance, as_of: date, policies: PolicySet
    ) -> bytes:
        """``compact_json(balance_document(view, balance_totals(view)))`` of the
        ``kept_view(unit, ready, as_of, policies)``, for ``as_of`` on or after
        ``ready.valid_from``."""
        assert as_of >= ready.valid_from
        rates = daily_rates(policies, unit.region)
        parts = self._parts(unit.unit_id, ready, rates)
        open_items = [
            to_close(i) for i, f in zip(parts.items, parts.fragments, strict=True) if f is None
        ]
        closed = close_items(open_items, ready.credit, as_of, rates).items
        called_on = kept_called_on(ready)
        lines = iter([item_line(i, called_on) for i in closed])
        sums = list(parts.settled_totals)
        fragments = []
        for fragment in parts.fragments:
            if fragment is None:
                line = next(lines)
                fragment = _item_json(line)
                _add(sums, line)
            fragments.append(fragment)
        head = shaped(unit, ReadClocks(as_of, None), policies, [], ready.credit)
        document = compact_json(balance_document(head, dict(zip(AMOUNTS, sums, strict=True))))
        at = document.index(_NO_ITEMS) + _ITEMS_AT
        return document[:at] + b",".join(fragments) + document[at:]

    def _parts(self, unit_id: UUID, ready: ReadyBalance, rates: DailyRates) -> _Rendered:
        found = self._rendered.get(unit_id)
        if found is not None and found.ready is ready and found.rates == rates:
            return found
        made = _render(ready, rates)
        with self._lock:
            if self._held + made.size > self.budget:
                self._rendered.clear()
                self._held = 0
            replaced = self._rendered.get(unit_id)
            if replaced is not None:
                self._held -= replaced.size
            self._rendered[unit_id] = made
            self._held += made.size
        return made


def _render(ready: ReadyBalance, rates: DailyRates) -> _Rendered:
    items = tuple(sorted(ready.items, key=item_order))  # as ``close_items`` lists them
    called_on = kept_called_on(ready)
    sums: list[Decimal] = [ZERO] * len(AMOUNTS)
    fragments: list[bytes | None] = []
    for item in items:
        if not settled(item):
            fragments.append(None)
            continue
        # priced as of the first day the state holds: a settled item is the same on any
        (closed,) = close_items([to_close(item)], ZERO, ready.valid_from, rates).items
        line = item_line(closed, called_on)
        fragments.append(_item_json(line))
        _add(sums, line)
    size = sum(len(f) for f in fragments if f is not None)
    return _Rendered(ready, rates, items, tuple(fragments), tuple(sums), size)


def _add(sums: list[Decimal], line: ItemLine) -> None:
    """Adds a line's amounts to totals kept in ``AMOUNTS`` order."""
    for n, name in enumerate(AMOUNTS):
        sums[n] += getattr(line, name)


def _item_json(line: ItemLine) -> bytes:
    return compact_json(PlainDocument(item_document(line)))
