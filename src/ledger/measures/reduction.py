"""The 2020 half reduction (减征): 临医保联发〔2020〕14号 一, 赤医保发〔2020〕3号 二.

Only contributions *of* the reduced periods are reduced, per person (base x rate x
fraction, rounded), on the shares the document names; a period already paid refunds the
difference (临沧) or holds it as credit offset against the following months (赤峰, 待转基金).
Retroactive: a document enacted in March decides on February when it is enacted.
On amendment or revocation, the reductions the document decided are reversed exactly and
decided anew where the new version decides otherwise.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from ledger.catalogue.model import ReductionRule
from ledger.catalogue.policyset import Cited, PolicySet
from ledger.domain.errors import RuleViolation
from ledger.domain.money import ZERO, apply_rate, round_fen
from ledger.domain.period import Period
from ledger.domain.terms import Part
from ledger.domain.unit import Unit
from ledger.measures.allocation import apply_credit
from ledger.measures.context import Change, Context, decide, reverse, rows


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
    if period not in unit.assessments:
        return None
    cited = policies.reduction(unit.region, period)
    if cited is None:
        return None
    rule = cited.rule
    if unit.unit_type not in rule.eligible_unit_types:
        return None
    assessment = unit.assessments[period]
    rates = policies.rates(unit.region, period).rule
    by_person: list[list[str]] = []
    totals: dict[tuple[Period, Part], Decimal] = defaultdict(lambda: ZERO)
    for line in assessment.lines.values():
        for share in rule.shares:
            # DOMAIN.md: a reduction is base x rate x fraction, rounded per person; a fixed
            # amount on the share only where the measure says so.
            amount: Decimal = apply_rate(line.base, rates.of(share) * rule.fraction)
            fixed = assessment.fixed.get(share, ZERO)
            if fixed and rule.reduce_fixed_amounts:
                amount += round_fen(fixed * rule.fraction)
            if amount:
                by_person.append([line.resident_id, share.value, str(amount)])
                totals[(period, share)] += amount
    if not by_person:
        return None
    return ReductionOf(cited, by_person, rows(totals))


def apply_reduction(unit: Unit, period: Period, policies: PolicySet, ctx: Context) -> None:
    """Half reduction of an assessed period, then refund or credit whatever was overpaid."""
    if period in unit.reductions:
        return
    decided = reduction_of(unit, period, policies)
    if decided is None:
        return
    cited, rule = decided.cited, decided.cited.rule
    decide(
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
        decide(unit, event, cited, ctx, items=rows(overpaid))


def decide_on_enactment(unit: Unit, policies: PolicySet, ctx: Context) -> None:
    """Retroactivity: every assessed period the enacted document reduces, then the credit
    those reductions freed."""
    for period in sorted(unit.assessments):
        apply_reduction(unit, period, policies, ctx)
    apply_credit(unit, ctx)


# ---------------------------------------------------------------- compensation


def _same_reduction(unit: Unit, period: Period, policies: PolicySet) -> bool:
    """Whether the policies decide for ``period`` what is recorded: the same amounts
    per person, and overpayment handled the same way (refund or credit)."""
    recorded = unit.reductions[period]
    decided = reduction_of(unit, period, policies)
    if decided is None or decided.cited.document.id != recorded.document:
        return False
    if decided.by_person != recorded.rows or decided.cited.rule.fraction != recorded.fraction:
        return False
    items = unit.items_of(period)
    if any(i.refunded for i in items):
        return decided.cited.rule.overpaid == "refund"
    if any(i.carried_forward for i in items):
        return decided.cited.rule.overpaid == "carry_forward"
    return True


def compensate(unit: Unit, policies: PolicySet | None, change: Change, ctx: Context) -> None:
    """Reverses the document's reductions that ``policies`` no longer decide alike (all
    of ``change.since`` on when revoked: ``policies`` None), then decides anew: the
    periods reversed and any assessed period the new version now covers."""
    before = len(unit.pending_events)
    changed = [
        period
        for period, recorded in sorted(unit.reductions.items())
        if recorded.document == change.document
        and change.touches(period)
        and (policies is None or not _same_reduction(unit, period, policies))
    ]
    carried = [i for p in changed for i in unit.items_of(p) if i.carried_forward]
    if carried:
        # The credit those periods carried may already offset later months: take back
        # every offset the document decided, and offset what credit is left afterwards.
        _reverse_credit_applied(unit, change, ctx)
        left = unit.credit - sum((i.carried_forward for i in carried), ZERO)
        if left < ZERO:
            raise RuleViolation(
                f"unit {unit.uscc}: reversing {change.document}'s credit would leave "
                f"{left} of credit held; it cannot be compensated automatically",
                rule="compensation",
            )
    for period in changed:
        _reverse_period(unit, period, change, ctx)
    if policies is not None:
        for period in sorted(unit.assessments):
            apply_reduction(unit, period, policies, ctx)
    if len(unit.pending_events) > before:
        apply_credit(unit, ctx)


def _reverse_credit_applied(unit: Unit, change: Change, ctx: Context) -> None:
    applied = unit.credit_applied_by.get(change.document, {})
    if any(a for a in applied.values()):
        reverse(
            unit,
            Unit.CreditAppliedReversed,
            unit.credit_policy[1],
            change,
            ctx,
            items=rows(dict(applied)),
        )


def _reverse_period(unit: Unit, period: Period, change: Change, ctx: Context) -> None:
    """Refund or credit first (they follow from the reduction), then the reduction."""
    recorded = unit.reductions[period]
    items = unit.items_of(period)
    refunded = {(i.period, i.part): i.refunded for i in items if i.refunded}
    if refunded:
        reverse(unit, Unit.RefundReversed, recorded.policy, change, ctx, items=rows(refunded))
    carried = {(i.period, i.part): i.carried_forward for i in items if i.carried_forward}
    if carried:
        still = [i.period for i in unit.items.values() if i.carried_forward and i.period != period]
        reverse(
            unit,
            Unit.CreditCarriedForwardReversed,
            recorded.policy,
            change,
            ctx,
            items=rows(carried),
            credit_after=str(max(still)) if still else "",
        )
    reverse(
        unit,
        Unit.ReductionReversed,
        recorded.policy,
        change,
        ctx,
        period=str(period),
        by_person=recorded.rows,
        totals=recorded.totals,
    )
