"""The 2022 deferral reports: the deferral list (缓缴清单), monthly statistics, reminders.

Fields and codes are those of 内医保办发〔2022〕19号 五 (seed 001). Only the 2022 deferral
of the unit part (免申即享, or on a written commitment) belongs here: the 2020 deferral
on application (临沧, 赤峰) is another measure, decided case by case and deferring the
whole contribution, and the tax bureau's list is not its instrument.

**The current period (当期).** The list is asked for a month M (by default the month of
``as_of``). A unit is on it when, as of ``as_of``, it holds a 2022 deferral whose window
(as last shifted) contains M. Its 缓缴金额 is the unit part of period M still deferred as
of ``as_of`` (unpaid, not called due, the deadline not passed: past the deadline it is
arrears, not deferral); its 缓缴人数 counts the persons of M's assessment in force with
a unit part, while anything of M is still deferred, less those whose part a resignation,
retirement or transfer called due. A unit whose window holds M but whose M is not yet
assessed is listed with 0 persons and 0.00 (the list precedes the assessments: 在推送
征集数据之前共享缓缴清单).

The monthly statistics for M are the list of M summed: deferring units (those with a
positive amount), persons and amounts per agency and per region, summed upward from the
unit's region code (county 6 digits -> prefecture -> province) and in total. The notice
produces them on the 1st of M+1 (每月1日 ... 上月): that is the ``as_of`` to ask for.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from ledger.catalogue.policyset import PolicySet
from ledger.clocks import ReadClocks
from ledger.domain.money import ZERO
from ledger.domain.period import Period
from ledger.domain.terms import UNIT_PARTS, DeferralKind
from ledger.projections.items import (
    GrantedDeferral,
    balances,
    called_due_on,
    granted_deferrals,
    item_of,
    live_assessments,
    whole,
)
from ledger.projections.journal import Kind, Movement
from ledger.projections.store import ViewStore

#: 缓缴类型: 66 中小微企业
DEFERRAL_TYPE_SME = "66"
#: 险种类型代码: 310 职工基本医疗保险
INSURANCE_EMPLOYEE_MEDICAL = "310"
#: the deferrals this list is for (2022); the 2020 deferral on application is not
LIST_KINDS = frozenset({DeferralKind.automatic, DeferralKind.commitment})


@dataclass(frozen=True, slots=True)
class DeferralListRow:
    """One unit on the 缓缴清单 of a month."""

    uscc: str
    unit_name: str
    agency: str
    unit_number: str
    region: str
    persons: int
    period_from: Period
    period_to: Period
    amount: Decimal
    deadline: date
    deferral_type: str = DEFERRAL_TYPE_SME
    insurance_type: str = INSURANCE_EMPLOYEE_MEDICAL


def deferral_list(
    store: ViewStore,
    *,
    month: Period,
    clocks: ReadClocks,
    policies: PolicySet,
    region: str | None = None,
    agency: str | None = None,
) -> list[DeferralListRow]:
    """The 缓缴清单 of ``month``: see the module's definition of the current period."""
    as_of, known_at = clocks.as_of, clocks.known_at
    units = whole(store, store.units(region=region, agency=agency, known_at=known_at))
    ids = [u.unit_id for u in units]
    windows: dict[UUID, GrantedDeferral] = {}
    decisions = defaultdict(list)
    for d in store.deferral_decisions(ids, known_at=known_at):
        decisions[d.unit_id].append(d)
    for unit_id, rows in decisions.items():
        in_force = [g for g in granted_deferrals(rows, as_of) if g.kind in LIST_KINDS]
        holding = [g for g in in_force if month in g.periods]
        if holding:
            windows[unit_id] = holding[-1]
    listed = [u for u in units if u.unit_id in windows]
    if not listed:
        return []
    folded = balances(store, listed, clocks, policies)
    lines = defaultdict(list)
    for line in store.person_lines(
        unit_ids=[u.unit_id for u in listed], periods=[month], known_at=known_at
    ):
        lines[line.unit_id].append(line)
    result = []
    for unit in sorted(listed, key=lambda u: (u.region, u.agency, u.uscc)):
        balance, moves = folded[unit.unit_id]
        deferred = sum(
            (i.deferred for part in UNIT_PARTS if (i := item_of(balance, month, part))), ZERO
        )
        persons = 0
        if deferred > ZERO:
            version = live_assessments(moves, as_of).get(month)
            called = _called_persons(moves, month, as_of)
            persons = sum(
                1
                for line in lines[unit.unit_id]
                if line.version == version
                and line.unit_medical + line.unit_maternity > ZERO
                and line.resident_id not in called
            )
        window = windows[unit.unit_id]
        result.append(
            DeferralListRow(
                uscc=unit.uscc,
                unit_name=unit.name,
                agency=unit.agency,
                unit_number=unit.unit_number,
                region=unit.region,
                persons=persons,
                period_from=window.periods.start,
                period_to=window.periods.end,
                amount=deferred,
                deadline=window.deadline,
            )
        )
    return result


def _called_persons(moves: Iterable[Movement], month: Period, as_of: date) -> set[str]:
    """Persons whose deferred unit part of ``month`` a trigger called due by ``as_of``.
    A whole-unit call (deregistration) leaves nothing deferred, so never reaches here."""
    return {
        m.resident_id
        for m in moves
        if m.kind is Kind.called_due and m.period == month and m.on <= as_of and m.resident_id
    }


# ---------------------------------------------------------------- statistics


@dataclass(frozen=True, slots=True)
class StatisticsLine:
    #: agency | county | prefecture | province | total
    level: str
    #: the agency's code, or the region's ("" for the total)
    code: str
    #: the region the line belongs to (an agency's: its units' region)
    region: str
    units: int
    persons: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class MonthlyStatistics:
    month: Period
    as_of: date
    known_at: datetime | None
    lines: list[StatisticsLine]


@dataclass(slots=True)
class _Tally:
    units: int = 0
    persons: int = 0
    amount: Decimal = field(default=ZERO)

    def add(self, row: DeferralListRow) -> None:
        # a unit on the list with nothing deferred this month is not a deferring unit
        self.units += 1 if row.amount > ZERO else 0
        self.persons += row.persons
        self.amount += row.amount


def region_level(code: str) -> str:
    """County, prefecture or province, from the 6-digit division code (GB/T 2260).

    >>> region_level("150302"), region_level("150300"), region_level("150000")
    ('county', 'prefecture', 'province')
    """
    if code[2:] == "0000":
        return "province"
    if code[4:] == "00":
        return "prefecture"
    return "county"


def upward(code: str) -> list[str]:
    """The region and the regions above it, summed into.

    >>> upward("150302")
    ['150302', '150300', '150000']
    >>> upward("150300")
    ['150300', '150000']
    """
    chain = [code]
    if region_level(code) == "county":
        chain.append(code[:4] + "00")
    if region_level(code) != "province":
        chain.append(code[:2] + "0000")
    return chain


def monthly_statistics(
    store: ViewStore,
    *,
    month: Period,
    clocks: ReadClocks,
    policies: PolicySet,
    region: str | None = None,
    agency: str | None = None,
) -> MonthlyStatistics:
    """Deferring units, persons and amounts of ``month``, per agency and region, upward
    (of one agency's units only, given ``agency``)."""
    rows = deferral_list(
        store,
        month=month,
        clocks=clocks,
        policies=policies,
        region=region,
        agency=agency,
    )
    return statistics_of(rows, month=month, clocks=clocks)


def statistics_of(
    rows: Iterable[DeferralListRow], *, month: Period, clocks: ReadClocks
) -> MonthlyStatistics:
    """The statistics of deferral-list rows, however gathered (one store, or the
    regions of a province each read on its own: ``ledger.projections.province``)."""
    tallies: dict[tuple[str, str, str], _Tally] = defaultdict(_Tally)
    for row in rows:
        keys = [("agency", row.agency, row.region), ("total", "", "")]
        keys.extend((region_level(code), code, code) for code in upward(row.region))
        for key in keys:
            tallies[key].add(row)

    def order(key: tuple[str, str, str]) -> tuple[int, str, int, str]:
        level, code, home = key
        if level == "total":
            return (1, "", 0, "")
        # each region, then the agencies of its units, in code order: a tree read top-down
        return (0, home, 1 if level == "agency" else 0, code)

    lines = [
        StatisticsLine(level, code, home, t.units, t.persons, t.amount)
        for (level, code, home), t in sorted(tallies.items(), key=lambda kv: order(kv[0]))
    ]
    return MonthlyStatistics(month, clocks.as_of, clocks.known_at, lines)


# ----------------------------------------------------------------- reminders


@dataclass(frozen=True, slots=True)
class Reminder:
    """Deferred (or called-due) principal of a unit falling due on one day."""

    uscc: str
    unit_name: str
    agency: str
    region: str
    #: deferred (the repayment deadline) | called_due (a trigger's day)
    kind: str
    due_on: date
    days_left: int
    amount: Decimal
    periods: list[Period]


def reminders(
    store: ViewStore,
    *,
    within_days: int,
    clocks: ReadClocks,
    policies: PolicySet,
    region: str | None = None,
    agency: str | None = None,
) -> list[Reminder]:
    """Units whose deferred or called-due principal falls due within ``within_days`` days
    of ``as_of`` (both ends included), so they can have funds ready (内医保办发〔2022〕19号
    六(二): 在补齐缓缴费款截止期前，提醒缴费企业备足资金). What is already overdue is not
    a reminder but arrears: the balance view shows it with its late fee. Both the 2022
    deferral and the 2020 deferral on application are reminded of."""
    as_of, known_at = clocks.as_of, clocks.known_at
    last = as_of + timedelta(days=within_days)
    everyone = whole(store, store.units(region=region, agency=agency, known_at=known_at))
    # only a unit granted a deferral can owe deferred or called-due principal
    granted = {
        d.unit_id
        for d in store.deferral_decisions([u.unit_id for u in everyone], known_at=known_at)
        if d.outcome == "granted" and d.on <= as_of
    }
    units = [u for u in everyone if u.unit_id in granted]
    found: list[Reminder] = []
    folded = balances(store, units, clocks, policies)
    for unit in units:
        balance, moves = folded[unit.unit_id]
        due: dict[tuple[str, date], tuple[Decimal, set[Period]]] = {}
        for item in balance.items:
            owed: list[tuple[str, date | None, Decimal]] = [
                ("deferred", item.deadline, item.deferred),
                (
                    "called_due",
                    called_due_on(moves, item.period, item.part, as_of),
                    item.called_due,
                ),
            ]
            for kind, on, amount in owed:
                if amount > ZERO and on is not None and as_of <= on <= last:
                    total, periods = due.get((kind, on), (ZERO, set()))
                    due[(kind, on)] = (total + amount, periods | {item.period})
        for (kind, on), (amount, periods) in due.items():
            found.append(
                Reminder(
                    unit.uscc,
                    unit.name,
                    unit.agency,
                    unit.region,
                    kind,
                    on,
                    (on - as_of).days,
                    amount,
                    sorted(periods),
                )
            )
    return sorted(found, key=lambda r: (r.due_on, r.region, r.uscc, r.kind))
