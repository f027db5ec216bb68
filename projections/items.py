"""What every view needs of a unit's assessment items, on both clocks.

The views read rows through the ``ViewStore`` (which answers ``known_at``: only rows
recorded up to that instant) and decide ``as_of`` themselves (only movements dated
on or before it). This module holds the few questions several views ask: which unit
a USCC names, its items' balances as of a date, which assessment of a period is in
force (a revoked one is not), and on which day an item was settled.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from ledger.catalogue.policyset import PolicySet
from ledger.clocks import ReadClocks
from ledger.domain.errors import HistoryDamaged, NotFound
from ledger.domain.latefee import DailyRates
from ledger.domain.money import ZERO
from ledger.domain.period import Period, PeriodRange
from ledger.domain.region import unit_id
from ledger.domain.terms import DeferralKind, Part
from ledger.projections.balance_fold import (
    ItemBalance,
    UnitBalance,
    in_business_order,
    unit_balance,
)
from ledger.projections.journal import DeferralDecision, Kind, Movement, UnitRegistered
from ledger.projections.store import ViewStore


def find_unit(store: ViewStore, uscc: str, known_at: datetime | None) -> UnitRegistered:
    """The unit a USCC names, as known at ``known_at`` (NotFound if not yet registered;
    HistoryDamaged if the views set aside one of its events)."""
    check_whole(store, [unit_id(uscc)], f"unit {uscc}")
    unit = store.unit_by_uscc(uscc)
    if unit is None or (known_at is not None and unit.recorded_at > known_at):
        when = f" as known at {known_at.isoformat(timespec='seconds')}" if known_at else ""
        raise NotFound(f"no unit registered with USCC {uscc}{when}", field="uscc")
    return unit


def withheld(store: ViewStore, units: list[UnitRegistered]) -> list[UnitRegistered]:
    """The units of which the views set an event aside (see ``Quarantined``)."""
    if not store.set_aside():  # one count of a table that is nearly always empty
        return []
    damaged = {q.originator_id for q in store.quarantined(u.unit_id for u in units)}
    return [u for u in units if u.unit_id in damaged]


def whole(store: ViewStore, units: list[UnitRegistered]) -> list[UnitRegistered]:
    """The units whose history the views hold whole: a region-wide report leaves out the
    others (``withheld`` names them) rather than sum figures that lack an event."""
    left_out = {u.unit_id for u in withheld(store, units)}
    return [u for u in units if u.unit_id not in left_out] if left_out else units


def check_whole(store: ViewStore, unit_ids: Iterable[UUID], what: str) -> None:
    """Refuses to answer for units the views could not map whole: figures folded
    without a lost or unreadable event would be wrong and look right."""
    damaged = store.quarantined(unit_ids)
    if damaged:
        first = damaged[0]
        # what went wrong, not the exception text after the colon: that is for the
        # operator's log and view_quarantine (it may quote what the event held)
        how = first.reason.split(":", 1)[0]
        raise HistoryDamaged(
            f"the history of {what} is damaged (event version {first.version}, "
            f"{first.topic.rsplit('.', 1)[-1]}: {how}); its figures are withheld until the "
            "event store is repaired: run `ledger audit verify` to locate the damage",
            field="uscc",
        )


def daily_rates(policies: PolicySet, region: str) -> DailyRates:
    """The late-fee rate of the region, day by day (社会保险法 第八十六条: 0.05% a day)."""
    return policies.daily_rates(region)


def by_unit(movements: Iterable[Movement]) -> dict[UUID, list[Movement]]:
    grouped: dict[UUID, list[Movement]] = defaultdict(list)
    for m in movements:
        grouped[m.unit_id].append(m)
    return grouped


def balances(
    store: ViewStore,
    units: Iterable[UnitRegistered],
    clocks: ReadClocks,
    policies: PolicySet,
) -> dict[UUID, tuple[UnitBalance, list[Movement]]]:
    """Each unit's balance as of ``as_of`` and the movements it was folded from, read in
    one query for all the units (a report over a region does not ask unit by unit)."""
    wanted = list(units)
    grouped = by_unit(store.movements([u.unit_id for u in wanted], known_at=clocks.known_at))
    found: dict[UUID, tuple[UnitBalance, list[Movement]]] = {}
    for unit in wanted:
        moves = grouped.get(unit.unit_id, [])
        found[unit.unit_id] = (
            unit_balance(moves, clocks.as_of, daily_rates(policies, unit.region)),
            moves,
        )
    return found


def item_of(balance: UnitBalance, period: Period, part: Part) -> ItemBalance | None:
    for item in balance.items:
        if item.period == period and item.part == part:
            return item
    return None


def live_assessments(movements: Iterable[Movement], as_of: date) -> dict[Period, int]:
    """Per period, the version of the assessment in force as of ``as_of``.

    A revoked assessment is withdrawn (内医保办发〔2022〕19号 三(二)1: 撤销征集后重新分拆);
    its person lines and reductions no longer count, those of the re-assessment do.
    """
    live: dict[Period, int] = {}
    events = sorted(
        (m for m in movements if m.on <= as_of and m.kind in (Kind.assessed, Kind.revoked)),
        key=lambda m: (m.version, m.on),
    )
    for m in events:
        assert m.period is not None
        if m.kind is Kind.assessed:
            live[m.period] = m.version
        else:
            live.pop(m.period, None)
    return live


def settled_on(
    movements: Iterable[Movement], period: Period, part: Part, as_of: date
) -> date | None:
    """The day an item's outstanding amount last came down to nothing, as of ``as_of``
    (None while something is owed, or when the item was never assessed)."""
    outstanding: Decimal | None = None
    settled: date | None = None
    effect = {
        Kind.reduced: -1,
        Kind.paid: -1,
        Kind.credit_applied: -1,
        Kind.refunded: 1,
        Kind.carried_forward: 1,
    }
    for on, m in in_business_order(movements):
        if on > as_of or m.period != period or m.part != part:
            continue
        if m.kind is Kind.assessed:
            outstanding, settled = m.amount, None
        elif m.kind is Kind.revoked:
            outstanding, settled = None, None
        elif outstanding is not None and m.kind in effect:
            was = outstanding
            outstanding += effect[m.kind] * m.amount
            if outstanding <= ZERO < was:
                settled = on
            elif outstanding > ZERO:
                settled = None
    return settled


def called_due_on(
    movements: Iterable[Movement], period: Period, part: Part, as_of: date
) -> date | None:
    """The day deferred principal of an item was last called due (a resignation's day, a
    deregistration's, or for a false commitment the original due date)."""
    called: date | None = None
    due_date: date | None = None
    for on, m in in_business_order(movements):
        if on > as_of or m.period != period or m.part != part:
            continue
        if m.kind is Kind.assessed:
            due_date, called = m.due, None
        elif m.kind is Kind.called_due:
            called = m.due or due_date
    return called


@dataclass(frozen=True, slots=True)
class GrantedDeferral:
    """A deferral in force: its kind, document, window (after any shift) and deadline."""

    unit_id: UUID
    kind: DeferralKind
    document: str
    periods: PeriodRange
    deadline: date
    decided_on: date


def granted_deferrals(decisions: Iterable[DeferralDecision], as_of: date) -> list[GrantedDeferral]:
    """The deferrals granted to one unit by ``as_of``, each window as last shifted
    (内医保办发〔2022〕19号 二: 已缴7月的顺延为8月—10月) or cut short by a withdrawal;
    refusals are left out."""
    # A unit may hold two deferrals of one document (two 2020 applications that together
    # stay within the limit), so they are kept in order and a shift moves the latest.
    granted: list[GrantedDeferral] = []
    for d in sorted(decisions, key=lambda d: d.version):
        if d.on > as_of:
            continue
        if d.outcome == "granted" and d.deadline is not None:
            granted.append(
                GrantedDeferral(
                    d.unit_id,
                    DeferralKind(d.kind),
                    d.document,
                    PeriodRange.parse(d.periods),
                    d.deadline,
                    d.on,
                )
            )
        elif d.outcome in ("shifted", "withdrawn"):
            # A withdrawal (an amendment or revocation) leaves what remains of the window.
            for n in range(len(granted) - 1, -1, -1):
                if granted[n].document == d.document:
                    if d.periods:
                        granted[n] = replace(granted[n], periods=PeriodRange.parse(d.periods))
                    else:
                        del granted[n]
                    break
    return granted
