"""The personal rights record (个人权益记录): per person, per month, across every unit.

For each month a person was assessed in (the assessment in force as of ``as_of``; a
revoked one does not count), in whichever unit:

- **base** and the **individual part**, and whether it is paid: the unit's individual
  item of the month fully settled (withholding is per unit: 代扣代缴), deferred (only a
  2020 deferral on application defers it), or unpaid;
- the **unit part's state**: ``paid``; ``reduced_paid`` (减征, the rest paid);
  ``deferred`` (缓缴: counted as paid, 视同缴费); ``called_due`` (a trigger made this
  person's deferred part due and it is unpaid); ``unpaid``;
- the **personal-account credit** (个人账户划入): the catalogue's allocation for the
  region and period (shares of the individual part and of the unit's medical part, on
  the amounts assessed: the reduction leaves the credit ratio unchanged, 临医保联发〔2020〕
  14号 一(三)). It is made when the person's own contribution is paid and, where the rule
  credits a share of the unit part, when that is paid or deemed paid by a deferral
  (内医保办发〔2022〕19号 三(四)2: 个人账户资金正常划拨). Under a deferral whose rule says
  no credit while deferred (临沧: 除不划拨个人账户资金外), it is withheld until the
  month is repaid in full, then back-credited (补划) on the repayment day;
- **continuous months of insurance** (连续参保) up to that month: consecutive months
  with an assessment that is not in arrears as of ``as_of``. A deferred month is not in
  arrears (视同缴费); a month not yet due is not either; a month with any item past its
  due day and unpaid is, and breaks the run until it is paid (补缴). Arrears are the
  unit's: withholding makes them every member's.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from ledger.catalogue.policyset import PolicySet
from ledger.clocks import ReadClocks
from ledger.domain.money import ZERO, round_fen
from ledger.domain.period import Period
from ledger.domain.terms import UNIT_PARTS, DeferralKind, Part
from ledger.projections.balance_fold import ItemBalance
from ledger.projections.items import (
    balances,
    check_whole,
    granted_deferrals,
    item_of,
    live_assessments,
    settled_on,
)
from ledger.projections.journal import (
    DeferralDecision,
    Kind,
    Movement,
    PersonLine,
    UnitRegistered,
)
from ledger.projections.store import ViewStore


class PartState(StrEnum):
    paid = "paid"
    reduced_paid = "reduced_paid"
    deferred = "deferred"
    called_due = "called_due"
    unpaid = "unpaid"


class CreditState(StrEnum):
    credited = "credited"
    #: 补划: withheld while deferred, credited on the day the month was repaid
    back_credited = "back_credited"
    #: not while deferred (临沧), until repaid
    withheld = "withheld"
    #: the contributions it follows are not paid yet
    pending = "pending"
    #: no personal-account allocation enacted for the region and period
    no_rule = "no_rule"


@dataclass(frozen=True, slots=True)
class RightsMonth:
    period: Period
    uscc: str
    unit_name: str
    base: Decimal
    #: the base the unit declared (the same as ``base`` unless the limits held it)
    declared_base: Decimal
    individual: Decimal
    individual_state: PartState
    #: the person's unit part as assessed (medical + maternity)
    unit_part: Decimal
    #: the person's reduction of the unit part (减征)
    unit_reduction: Decimal
    unit_state: PartState
    credit: Decimal
    credit_state: CreditState
    credited_on: date | None
    #: an item of the month is past its due day and unpaid (欠费)
    in_arrears: bool
    #: consecutive months insured up to and including this one (0 when in arrears)
    continuous_months: int


@dataclass(frozen=True, slots=True)
class RightsRecord:
    resident_id: str
    as_of: date
    known_at: datetime | None
    months: list[RightsMonth]

    @property
    def continuous_months(self) -> int:
        """The run of insured months ending with the latest month on record."""
        return self.months[-1].continuous_months if self.months else 0


def rights_record(
    store: ViewStore,
    resident_id: str,
    *,
    clocks: ReadClocks,
    policies: PolicySet,
    agency: str | None = None,
) -> RightsRecord:
    """``agency``: the caller sees only that agency's units (a case worker), so only
    their histories must be whole (and another agency's damage is not told)."""
    as_of, known_at = clocks.as_of, clocks.known_at
    lines = store.person_lines(resident_id=resident_id, known_at=known_at)
    ids = {line.unit_id for line in lines}
    units = units_by_id(store, ids, known_at)
    scope = {u for u in ids if agency is None or u not in units or units[u].agency == agency}
    check_whole(store, scope, f"a unit of person {resident_id}")
    damaged = {q.originator_id for q in store.quarantined(ids - scope)}
    lines = [line for line in lines if line.unit_id not in damaged]
    units = {uid: unit for uid, unit in units.items() if uid not in damaged}
    folded = balances(store, units.values(), clocks, policies)
    decisions: dict[UUID, list[DeferralDecision]] = defaultdict(list)
    for d in store.deferral_decisions(units, known_at=known_at):
        decisions[d.unit_id].append(d)
    reductions: dict[tuple[UUID, Period], list[tuple[int, Decimal]]] = defaultdict(list)
    for r in store.person_reductions(resident_id=resident_id, known_at=known_at):
        if r.on <= as_of and r.part in UNIT_PARTS:
            reductions[(r.unit_id, r.period)].append((r.version, r.amount))
    live = {uid: live_assessments(moves, as_of) for uid, (_, moves) in folded.items()}
    in_force = sorted(
        (line for line in lines if live.get(line.unit_id, {}).get(line.period) == line.version),
        key=lambda line: (line.period, line.version),
    )
    months: list[RightsMonth] = []
    for line in in_force:
        unit = units[line.unit_id]
        balance, moves = folded[line.unit_id]
        version = line.version
        reduced = sum((a for v, a in reductions[(line.unit_id, line.period)] if v > version), ZERO)
        items = {part: item_of(balance, line.period, part) for part in Part}
        credit, credit_state, credited_on = _credit(
            line, unit, items, moves, decisions[line.unit_id], as_of, policies
        )
        months.append(
            RightsMonth(
                period=line.period,
                uscc=unit.uscc,
                unit_name=unit.name,
                base=line.base,
                declared_base=line.declared_base,
                individual=line.individual,
                individual_state=_individual_state(items[Part.individual]),
                unit_part=line.unit_medical + line.unit_maternity,
                unit_reduction=reduced,
                unit_state=_unit_state(line, items, moves, reduced, as_of),
                credit=credit,
                credit_state=credit_state,
                credited_on=credited_on,
                in_arrears=any(i is not None and i.overdue > ZERO for i in items.values()),
                continuous_months=0,
            )
        )
    return RightsRecord(resident_id, as_of, known_at, _with_continuity(months))


def units_by_id(
    store: ViewStore, ids: set[UUID], known_at: datetime | None
) -> dict[UUID, UnitRegistered]:
    """The units a person's lines name. The ViewStore looks units up by USCC or region
    only; a unit's Registered entry in the audit trail names it by id."""
    found: dict[UUID, UnitRegistered] = {}
    for uid in ids:
        for entry in store.audit(originator_id=uid, types=["Registered"], known_at=known_at):
            d = entry.detail
            found[uid] = UnitRegistered(
                uid,
                entry.recorded_at,
                d["uscc"],
                d["name"],
                d["unit_type"],
                d["region"],
                d["agency"],
                d["unit_number"],
                date.fromisoformat(d["established_on"]),
            )
    return found


def _individual_state(item: ItemBalance | None) -> PartState:
    if item is None or item.outstanding <= ZERO:
        return PartState.paid
    if item.deferred > ZERO:
        return PartState.deferred
    return PartState.unpaid


def _unit_state(
    line: PersonLine,
    items: dict[Part, ItemBalance | None],
    moves: list[Movement],
    reduced: Decimal,
    as_of: date,
) -> PartState:
    unit_items = [i for part in UNIT_PARTS if (i := items[part]) is not None]
    if all(i.outstanding <= ZERO for i in unit_items):
        return PartState.reduced_paid if reduced > ZERO else PartState.paid
    called = any(
        m.kind is Kind.called_due
        and m.period == line.period
        and m.on <= as_of
        and m.resident_id in ("", line.resident_id)
        for m in moves
    )
    if called:
        # Payments settle called-due principal first: none left unpaid means this
        # person's part is paid, whatever of the others' is still deferred.
        unpaid = any(i.called_due > ZERO or i.overdue > ZERO for i in unit_items)
        return PartState.called_due if unpaid else PartState.paid
    if any(i.deferred > ZERO for i in unit_items):
        return PartState.deferred
    return PartState.unpaid


def _credit(
    line: PersonLine,
    unit: UnitRegistered,
    items: dict[Part, ItemBalance | None],
    moves: list[Movement],
    decisions: list[DeferralDecision],
    as_of: date,
    policies: PolicySet,
) -> tuple[Decimal, CreditState, date | None]:
    cited = policies.personal_account(unit.region, line.period)
    if cited is None:
        return ZERO, CreditState.no_rule, None
    rule = cited.rule
    # A fixed amount per person (a supplementary large-expense fund's) is no part of the
    # allocation: only what the rates make of the base goes to the account.
    amount = round_fen(
        (line.individual - line.fixed_individual) * rule.individual_share
        + (line.unit_medical - line.fixed_unit_medical) * rule.unit_share
    )
    parts = [Part.individual] + ([Part.unit_medical] if rule.unit_share else [])
    deferred_on = {
        m.part: m.on
        for m in sorted(moves, key=lambda m: m.version)
        if m.kind is Kind.deferred
        and m.period == line.period
        and m.on <= as_of
        and m.version > line.version
    }
    if deferred_on and not _credits_while_deferred(unit, line.period, decisions, as_of, policies):
        # 临沧: 缓缴期间除不划拨个人账户资金外; 期满补缴后补划个人账户
        repaid = [settled_on(moves, line.period, p, as_of) for p in Part if items[p] is not None]
        if any(day is None for day in repaid):
            return amount, CreditState.withheld, None
        return amount, CreditState.back_credited, max(d for d in repaid if d is not None)
    days: list[date] = []
    for part in parts:
        if items[part] is None:
            continue  # nothing assessed for it: nothing to wait for
        paid = settled_on(moves, line.period, part, as_of)
        # a deferral counts as paid for the account (视同缴费) from the day it is decided
        candidates = [d for d in (paid, deferred_on.get(part)) if d is not None]
        if not candidates:
            return amount, CreditState.pending, None
        days.append(min(candidates))
    return amount, CreditState.credited, max(days) if days else None


def _credits_while_deferred(
    unit: UnitRegistered,
    period: Period,
    decisions: list[DeferralDecision],
    as_of: date,
    policies: PolicySet,
) -> bool:
    """Whether the deferral holding ``period`` lets personal accounts be credited. The 2022
    deferral does (内医保办发〔2022〕19号 三(四)2); a 2020 one says so in its rule."""
    for granted in granted_deferrals(decisions, as_of):
        if period in granted.periods and granted.kind is DeferralKind.application:
            cited = policies.application_deferral(unit.region, period)
            return cited is None or cited.rule.credit_personal_accounts_while_deferred
    return True


def _with_continuity(months: list[RightsMonth]) -> list[RightsMonth]:
    """Each month's run of insured months. A month is insured when one of its lines (a
    person may have two units in a month) is not in arrears; a month without a line, or
    in arrears, ends the run."""
    insured: dict[Period, bool] = defaultdict(bool)
    for m in months:
        insured[m.period] = insured[m.period] or not m.in_arrears
    run: dict[Period, int] = {}
    previous: Period | None = None
    for period in sorted(insured):
        if not insured[period]:
            run[period] = 0
        elif previous is not None and previous.next() == period:
            run[period] = run[previous] + 1
        else:
            run[period] = 1
        previous = period
    return [replace(m, continuous_months=run[m.period]) for m in months]
