"""The decider: what the enacted policies make of the facts recorded on a unit.

Each function reads a unit's state and the policy set, computes, and triggers
decision events on the unit (in memory; the application saves). No clock, no
I/O: the same facts and the same policies give the same decisions, which is what
replaying a policy set over history relies on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from ledger.catalogue.model import AutomaticDeferralRule, CatalogueFile, ReductionRule, Rule
from ledger.catalogue.policyset import Cited, PolicySet
from ledger.domain.errors import RuleViolation
from ledger.domain.money import ZERO, apply_rate
from ledger.domain.period import Period, PeriodRange
from ledger.domain.state import Deferral, Item
from ledger.domain.terms import ALLOCATION_ORDER, ClassSource, DeferralKind, Part, Trigger
from ledger.domain.unit import Unit

#: a unit classified by its written commitment is an SME of unstated class
COMMITTED_SME = "sme"


@dataclass(frozen=True, slots=True)
class Context:
    """Who caused the decision, and with which fact and business date."""

    actor: str
    reason: str
    request_id: str
    on: date
    caused_by: str

    def meta(self) -> dict[str, str]:
        return {"actor": self.actor, "reason": self.reason, "request_id": self.request_id}


def _rows(amounts: dict[tuple[Period, Part], Decimal]) -> list[list[str]]:
    return [[str(p), part.value, str(a)] for (p, part), a in sorted(amounts.items()) if a]


#: what a decision cites: a rule of an enacted document, the deferral it belongs to,
#: or a (document, policy) pair already recorded
Source = Cited[Rule] | Deferral | tuple[str, str] | None


def _decide(
    unit: Unit, event: type[Unit.Decision], source: Source, ctx: Context, **kw: object
) -> None:
    """Records a decision with its citation, cause, business date and metadata."""
    if source is None:
        document, policy = "", ""
    elif isinstance(source, Deferral):
        document, policy = source.document, source.policy
    elif isinstance(source, tuple):
        document, policy = source
    else:
        document, policy = source.document.id, source.citation
    unit.trigger_event(
        event,
        document=document,
        policy=policy,
        caused_by=ctx.caused_by,
        decided_on=ctx.on,
        **ctx.meta(),
        **kw,
    )


def record(
    unit: Unit, event: type[Unit.Decision], source: Source, ctx: Context, **kw: object
) -> None:
    """Records a decision decided elsewhere (ledger.compensations) the same way."""
    _decide(unit, event, source, ctx, **kw)


# ---------------------------------------------------------------- reduction


@dataclass(frozen=True, slots=True)
class ReductionOf:
    """What a reduction rule makes of one assessed period (not yet recorded)."""

    cited: Cited[ReductionRule]
    by_person: list[list[str]]
    totals: list[list[str]]


def reduction_of(unit: Unit, period: Period, policies: PolicySet) -> ReductionOf | None:
    """The reduction the policies decide for an assessed period, whether or not one is
    recorded (None when none applies): what apply_reduction records, and what an
    amendment compares with the reduction recorded under the version it replaces."""
    cited = policies.reduction(unit.region)
    if cited is None or period not in unit.assessments:
        return None
    rule = cited.rule
    if period not in rule.periods or unit.unit_type not in rule.eligible_unit_types:
        return None
    rates = policies.rates(unit.region, period).rule
    by_person: list[list[str]] = []
    totals: dict[tuple[Period, Part], Decimal] = defaultdict(lambda: ZERO)
    for line in unit.assessments[period].lines.values():
        for share in rule.shares:
            # DOMAIN.md: a reduction is base x rate x fraction, rounded per person.
            amount = apply_rate(line.base, rates.of(share) * rule.fraction)
            if amount:
                by_person.append([line.resident_id, share.value, str(amount)])
                totals[(period, share)] += amount
    if not by_person:
        return None
    return ReductionOf(cited, by_person, _rows(totals))


def apply_reduction(unit: Unit, period: Period, policies: PolicySet, ctx: Context) -> None:
    """Half reduction of an assessed period, then refund or credit whatever was overpaid."""
    if period in unit.reductions:
        return
    decided = reduction_of(unit, period, policies)
    if decided is None:
        return
    cited, rule = decided.cited, decided.cited.rule
    _decide(
        unit,
        Unit.ReductionApplied,
        cited,
        ctx,
        period=str(period),
        fraction=rule.fraction,
        by_person=decided.by_person,
        totals=decided.totals,
    )
    overpaid = {(i.period, i.part): -i.outstanding for i in unit.items_of(period)}
    overpaid = {k: v for k, v in overpaid.items() if v > ZERO}
    if overpaid:
        event = Unit.RefundOwed if rule.overpaid == "refund" else Unit.CreditCarriedForward
        _decide(unit, event, cited, ctx, items=_rows(overpaid))


def apply_credit(unit: Unit, ctx: Context) -> None:
    """Offset credit held (待转基金) against unpaid, undeferred items, oldest first.

    Credit carried forward from an overpaid month offsets the months after it
    (赤医保发〔2020〕3号 附件二 三: 冲减下个月的缴费), not older arrears.
    """
    if unit.credit <= ZERO:
        return
    left = unit.credit
    applied: dict[tuple[Period, Part], Decimal] = {}
    after = unit.credit_after
    candidates = (
        i
        for i in unit.items.values()
        if i.deferred_until is None and (after is None or i.period > after)
    )
    for item in _in_allocation_order(candidates):
        if left <= ZERO:
            break
        take = min(left, item.outstanding)
        if take > ZERO:
            applied[(item.period, item.part)] = take
            left -= take
    if applied:
        # Cites the policy that carried the credit forward (none for a plain overpayment).
        _decide(unit, Unit.CreditApplied, unit.credit_policy, ctx, items=_rows(applied))


_ORDER = {part: n for n, part in enumerate(ALLOCATION_ORDER)}


def decide_on_enactment(
    unit: Unit,
    file: CatalogueFile,
    policies: PolicySet,
    fund_months: int | None,
    ctx: Context,
) -> None:
    """Retroactivity: what a newly enacted document decides on a unit's assessed periods
    (a reduction, and the credit it frees) and on its eligibility for a deferral."""
    if file.reduction is not None:
        for period in sorted(unit.assessments):
            apply_reduction(unit, period, policies, ctx)
        apply_credit(unit, ctx)
    if file.automatic_deferral is not None:
        consider_automatic_deferral(unit, policies, fund_months, ctx)


def _in_allocation_order(items: Iterable[Item]) -> list[Item]:
    return sorted(items, key=lambda i: (i.period, _ORDER[i.part]))


# ---------------------------------------------------------------- deferral


def _refuse(
    unit: Unit, cited: Cited[AutomaticDeferralRule], kind: DeferralKind, why: str, ctx: Context
) -> None:
    _decide(unit, Unit.DeferralRefused, cited, ctx, kind=kind.value, refusal=why)


def consider_automatic_deferral(
    unit: Unit, policies: PolicySet, fund_months: int | None, ctx: Context
) -> str:
    """Grants, shifts or refuses the 2022 deferral once everything needed is known.

    Returns what was decided or why nothing was ("" when nothing applies), so the
    application can log it.
    """
    try:
        cited = policies.automatic_deferral(unit.region)
    except RuleViolation as exc:
        return f"not decided: {exc.message}"
    if cited is None:
        return ""
    rule, doc = cited.rule, cited.document.id
    if any(d.document == doc for d in unit.deferrals) or any(r[0] == doc for r in unit.refusals):
        return ""
    deadline = rule.repayment_deadline
    opens = min(cited.document.issued_on, rule.periods.start.first_day)
    if not isinstance(deadline, date) or not opens <= ctx.on <= deadline:
        # A fact dated before the notice or after its deadline decides nothing: the
        # enactment, or the unit's first fact inside that time, will.
        return f"not decided: {ctx.on} is outside {opens}..{deadline}"
    if unit.deregistration_requested_on is not None:
        # 医保发〔2022〕21号 四: deferred amounts are paid before deregistration; a unit
        # on its way out is not granted a deferral its request would call due at once.
        return "not decided: the unit has requested deregistration"
    kind = (
        DeferralKind.commitment
        if unit.class_source is ClassSource.commitment
        else DeferralKind.automatic
    )
    if unit.unit_type not in rule.eligible_unit_types:
        _refuse(unit, cited, kind, f"unit type {unit.unit_type.value} is not eligible", ctx)
        return "refused: unit type"
    if unit.size_class is None:
        return "not decided: unit not yet classified (data or written commitment)"
    committed = unit.size_class == COMMITTED_SME and kind is DeferralKind.commitment
    if not committed and unit.size_class not in rule.eligible_size_classes:
        _refuse(unit, cited, kind, f"size class {unit.size_class} is not an SME", ctx)
        return "refused: size class"
    if fund_months is None:
        return "not decided: the region's fund payable months are not declared"
    if fund_months <= rule.fund_months_above:
        why = (
            f"the pooling fund can pay {fund_months} months; "
            f"the policy needs more than {rule.fund_months_above}"
        )
        _refuse(unit, cited, kind, why, ctx)
        return "refused: fund months"
    window = _window(unit, rule, kind)
    if window is None:
        return "not decided: unit established after the deferral window"
    _decide(
        unit,
        Unit.DeferralGranted,
        cited,
        ctx,
        kind=kind.value,
        periods=str(window),
        deadline=rule.repayment_deadline,
        late_fee_from=rule.late_fee_from,
        parts=[p.value for p in rule.parts],
        triggers=[t.value for t in rule.triggers],
    )
    # The shift is for units that paid the window's first month (2022-07); a new SME's
    # months end where the rule says (内医保办发〔2022〕19号 二: 新办当月至2022年9月).
    if (
        kind is DeferralKind.automatic
        and rule.shift_if_first_paid
        and window == rule.periods
        and unit.period_paid(window.start)
    ):
        shifted = window.shift(rule.shift_if_first_paid)
        _decide(unit, Unit.DeferralShifted, cited, ctx, periods=str(shifted))
    split_deferred_periods(unit, unit.deferrals[-1], ctx)
    return f"granted {unit.deferrals[-1].periods}"


def _window(unit: Unit, rule: AutomaticDeferralRule, kind: DeferralKind) -> PeriodRange | None:
    if kind is DeferralKind.commitment and unit.commitment is not None:
        return unit.commitment.periods
    window = rule.periods
    established = Period.of(unit.established_on)
    if rule.new_unit_until is not None and established > window.start:
        # A new SME defers from the month it was set up (内医保办发〔2022〕19号 二).
        if established > rule.new_unit_until:
            return None
        return PeriodRange(established, rule.new_unit_until)
    return window


def grant_application_deferral(
    unit: Unit, policies: PolicySet, ctx: Context, approved: bool, approver: str
) -> None:
    """Decides a pending 2020 application: granted, or refused by the approver."""
    application = unit.application
    cited = policies.application_deferral(unit.region)
    if application is None or cited is None:
        raise RuleViolation("no pending deferral application", rule="application_deferral")
    if not approved:
        why = f"refused by {approver or 'the approver'}"
        _decide(unit, Unit.DeferralRefused, cited, ctx, kind="application", refusal=why)
        return
    deadline = application_deadline(application.periods)
    _decide(
        unit,
        Unit.DeferralGranted,
        cited,
        ctx,
        kind=DeferralKind.application.value,
        periods=str(application.periods),
        deadline=deadline,
        late_fee_from=deadline + timedelta(days=1),
        parts=[p.value for p in cited.rule.parts],
        triggers=[],
    )
    split_deferred_periods(unit, unit.deferrals[-1], ctx)


def application_deadline(periods: PeriodRange) -> date:
    """The ledger's convention for 2020 deferrals: repay by the end of the month in
    which the last deferred period would normally fall due (its following month)."""
    return (periods.end + 1).last_day


def split_deferred_periods(unit: Unit, deferral: Deferral, ctx: Context) -> None:
    for period in deferral.periods:
        split_period(unit, period, deferral, ctx)


def split_period(unit: Unit, period: Period, deferral: Deferral, ctx: Context) -> None:
    """分拆核定: the deferred parts of an assessed period become items due at the deadline.

    Only unpaid contributions of the period itself are deferred: a part already paid
    stays paid (prepayments are not deferrable).
    """
    parts = [
        part.value
        for part in deferral.parts
        if (item := unit.items.get((period, part))) is not None
        and item.deferred_until is None
        and item.outstanding > ZERO
    ]
    if not parts:
        return
    _decide(
        unit,
        Unit.AssessmentSplit,
        deferral,
        ctx,
        period=str(period),
        deferred_parts=parts,
        deadline=deferral.deadline,
        late_fee_from=deferral.late_fee_from,
    )


# ------------------------------------------------------------- calling due


def call_due_for_person(unit: Unit, resident_id: str, trigger: Trigger, ctx: Context) -> None:
    """Resignation, retirement or transfer: that person's deferred unit part falls due."""
    for deferral in unit.open_deferrals():
        if trigger not in deferral.triggers:
            continue
        amounts: dict[tuple[Period, Part], Decimal] = {}
        for period in deferral.periods:
            assessment = unit.assessments.get(period)
            line = assessment.lines.get(resident_id) if assessment else None
            if line is None:
                continue
            reductions = unit.reductions.get(period)
            for part in deferral.parts:
                item = unit.items.get((period, part))
                if item is None or item.deferred_open <= ZERO:
                    continue
                own = line.part(part)
                if reductions is not None:
                    own -= reductions.by_person.get((resident_id, part), ZERO)
                amount = min(own, item.deferred_open)
                if amount > ZERO:
                    amounts[(period, part)] = amount
        if amounts:
            _decide(
                unit,
                Unit.DeferredAmountCalledDue,
                deferral,
                ctx,
                trigger=trigger.value,
                resident_id=resident_id,
                due_on=ctx.on,
                from_original_due=False,
                items=_rows(amounts),
            )


def call_due_all(unit: Unit, trigger: Trigger, ctx: Context) -> Decimal:
    """Deregistration or a false commitment: every deferred amount falls due.

    A false commitment makes late fees run from the original due dates
    (济医保发〔2022〕12号 附件: 补缴本金和滞纳金). Returns the amount called due.
    """
    amounts = {
        (i.period, i.part): i.deferred_open for i in unit.items.values() if i.deferred_open > ZERO
    }
    deferrals = unit.open_deferrals()
    if not deferrals and not amounts:
        return ZERO
    source = deferrals[-1] if deferrals else None
    _decide(
        unit,
        Unit.DeferredAmountCalledDue,
        source,
        ctx,
        trigger=trigger.value,
        resident_id="",
        due_on=ctx.on,
        from_original_due=trigger is Trigger.false_commitment,
        items=_rows(amounts),
    )
    return sum(amounts.values(), ZERO)


# --------------------------------------------------------------- payments


def allocate_payment(
    unit: Unit, amount: Decimal, requested: list[tuple[Period, Part, Decimal]] | None
) -> tuple[list[list[str]], Decimal]:
    """Which items a payment settles, and what is left over as credit.

    The tax bureau names the items it collected; without that, individual part
    before unit part, undeferred before deferred, oldest period first (DOMAIN.md).
    """
    allocations: dict[tuple[Period, Part], Decimal] = {}
    if requested:
        for period, part, share in requested:
            item = unit.items.get((period, part))
            if item is None:
                raise RuleViolation(
                    f"unit {unit.uscc} has no assessment item {period} {part.value}",
                    rule="payment allocation",
                )
            if share <= ZERO:
                raise RuleViolation(
                    f"the share of {period} {part.value} is {share}: it must be positive",
                    rule="payment allocation",
                )
            # An item named twice is paid the sum of its shares: check the sum.
            share += allocations.get((period, part), ZERO)
            if share > item.outstanding:
                raise RuleViolation(
                    f"payment of {share} for {period} {part.value} exceeds the "
                    f"outstanding {item.outstanding}",
                    rule="payment allocation",
                )
            allocations[(period, part)] = share
        allocated = sum(allocations.values(), ZERO)
        if allocated > amount:
            raise RuleViolation(
                f"items add up to {allocated}, more than the payment of {amount}",
                rule="payment allocation",
            )
        return _rows(allocations), amount - allocated
    left = amount
    undeferred = [i for i in unit.items.values() if i.deferred_until is None]
    deferred = _in_allocation_order(i for i in unit.items.values() if i.deferred_until is not None)
    # Due now first, then principal called due early, then what is still deferred.
    passes: list[tuple[list[Item], Callable[[Item], Decimal]]] = [
        (_in_allocation_order(undeferred), lambda i: i.outstanding),
        (deferred, lambda i: min(i.called_due_open, i.outstanding)),
        (deferred, lambda i: i.outstanding),
    ]
    for items, room in passes:
        for item in items:
            key = (item.period, item.part)
            take = min(left, room(item) - allocations.get(key, ZERO))
            if take > ZERO:
                allocations[key] = allocations.get(key, ZERO) + take
                left -= take
    return _rows(allocations), left
