"""The phased deferral of the unit part (缓缴, 免申即享): 医保发〔2022〕21号 and its forwarders.

No application: once the unit's type, its size class (from data, or an accepted written
commitment) and the region's fund months are known, the deferral is granted, shifted
where the unit already paid the window's first month (内医保办发〔2022〕19号 二), or
refused. Every document of this kind ruling on the region is decided on its own (a 2022
notice and a 2023 one each grant their window); a document decides only facts dated
between its issue and its repayment deadline. On amendment the grant is decided again
and replaced only where the new version decides otherwise; on revocation the window is
cut from the revocation's period on.
"""

from __future__ import annotations

import copy
from datetime import date

from ledger.catalogue.model import AutomaticDeferralRule
from ledger.catalogue.policyset import Cited, PolicySet
from ledger.domain.errors import RuleViolation
from ledger.domain.money import ZERO
from ledger.domain.period import Period, PeriodRange
from ledger.domain.terms import ClassSource, DeferralKind
from ledger.domain.unit import Unit
from ledger.measures.context import Change, Context, decide, reverse
from ledger.measures.deferral import split_deferred_periods

#: a unit classified by its written commitment is an SME of unstated class
COMMITTED_SME = "sme"
#: deferrals an enactment decides (and so an amendment re-decides); a deferral on
#: application was decided by an approver on the unit's application and stands
AUTOMATIC_KINDS = (DeferralKind.automatic.value, DeferralKind.commitment.value)


def consider(
    unit: Unit,
    policies: PolicySet,
    fund_months: int | None,
    ctx: Context,
    document: str | None = None,
) -> str:
    """Grants, shifts or refuses each deferral of this kind ruling on the unit's region
    (only ``document``'s, when named) once everything needed is known.

    Returns what was decided or why nothing was ("" when nothing applies), so the
    application can log it.
    """
    outcomes = []
    for written in policies.automatic_deferrals(unit.region):
        if document is not None and written.document.id != document:
            continue
        try:
            cited = policies.with_local_values(written, unit.region)
        except RuleViolation as exc:
            outcomes.append(f"not decided: {exc.message}")
            continue
        outcome = _consider_one(unit, cited, fund_months, ctx)
        if outcome:
            outcomes.append(outcome)
    return "; ".join(outcomes)


def _consider_one(
    unit: Unit, cited: Cited[AutomaticDeferralRule], fund_months: int | None, ctx: Context
) -> str:
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
    chosen = _chosen_months(unit, rule)
    window = chosen or _window(unit, rule)
    if window is None:
        return "not decided: unit established after the deferral window"
    decide(
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
    # The shift is for units that paid the window's first month (2022-07), whether
    # classified from data or by a commitment that leaves the months to the rule (内蒙古);
    # a new SME's months end where the rule says (新办当月至2022年9月).
    if (
        chosen is None
        and rule.shift_if_first_paid
        and window == rule.periods
        and unit.period_paid(window.start)
    ):
        shifted = window.shift(rule.shift_if_first_paid)
        decide(unit, Unit.DeferralShifted, cited, ctx, periods=str(shifted))
    split_deferred_periods(unit, unit.deferrals[-1], ctx)
    return f"granted {unit.deferrals[-1].periods}"


def _refuse(
    unit: Unit, cited: Cited[AutomaticDeferralRule], kind: DeferralKind, why: str, ctx: Context
) -> None:
    decide(unit, Unit.DeferralRefused, cited, ctx, kind=kind.value, refusal=why)


def _chosen_months(unit: Unit, rule: AutomaticDeferralRule) -> PeriodRange | None:
    """The months a unit chose in its accepted commitment (济南: within 2022-08..10, which
    may run past the window itself), where they begin within this rule's periods; None:
    the rule's window applies."""
    commitment = unit.commitment
    if unit.class_source is not ClassSource.commitment or commitment is None:
        return None
    chosen = commitment.periods
    return chosen if chosen is not None and chosen.start in rule.scope else None


def _window(unit: Unit, rule: AutomaticDeferralRule) -> PeriodRange | None:
    window = rule.periods
    established = Period.of(unit.established_on)
    if rule.new_unit_until is not None and established > window.start:
        # A new SME defers from the month it was set up (内医保办发〔2022〕19号 二).
        if established > rule.new_unit_until:
            return None
        return PeriodRange(established, rule.new_unit_until)
    return window


# ---------------------------------------------------------------- compensation


def _signature(unit: Unit, document: str) -> tuple[object, ...]:
    """What the document's deferral decided for the unit, without citations: grants
    (window after any shift, deadline, parts, triggers), refusals, split items."""
    grants = sorted(
        (d.kind.value, str(d.periods), d.deadline, d.late_fee_from, d.parts, d.triggers)
        for d in unit.deferrals
        if d.document == document and d.kind.value in AUTOMATIC_KINDS
    )
    refusals = sorted(k for doc, k in unit.refusals if doc == document and k in AUTOMATIC_KINDS)
    split = sorted(
        (str(i.period), i.part.value, i.deferred_until, i.late_fee_from)
        for i in unit.items.values()
        if i.deferral_policy == document and i.deferred_until is not None
    )
    return (grants, refusals, split)


def _check_nothing_called_due(unit: Unit, document: str, since: Period | None) -> None:
    """Deferred principal already called due (a resignation, a deregistration, a false
    commitment) was decided under the deferral: withdrawing the deferral under it is not
    compensated automatically, so the amendment or revocation is refused."""
    called = [
        f"{i.period} {i.part.value}"
        for i in unit.items.values()
        if i.deferral_policy == document
        and (since is None or i.period >= since)
        and i.called_due_open > ZERO
    ]
    ended = any(d.ended for d in unit.deferrals if d.document == document)
    if called or ended or (unit.called_due_persons and _holds(unit, document)):
        what = ", ".join(called) or "its deferral"
        raise RuleViolation(
            f"unit {unit.uscc}: deferred amounts of {what} were called due under "
            f"{document}; a deferral with amounts called due cannot be re-decided "
            "automatically",
            rule="compensation",
        )


def _holds(unit: Unit, document: str) -> bool:
    return any(d.document == document and d.kind.value in AUTOMATIC_KINDS for d in unit.deferrals)


def _withdraw(unit: Unit, change: Change, ctx: Context) -> None:
    """Withdraws the document's deferral (of ``change.since`` on) and, for an amendment,
    its refusals."""
    for deferral in [d for d in unit.deferrals if d.document == change.document]:
        if deferral.kind.value not in AUTOMATIC_KINDS:
            continue
        window = deferral.periods
        since = change.since
        if since is not None and since > window.end:
            continue
        start = window.start if since is None else max(window.start, since)
        remaining = PeriodRange(window.start, start - 1) if start > window.start else None
        undeferred = sorted(
            [str(i.period), i.part.value]
            for i in unit.items.values()
            if i.deferral_policy == change.document
            and i.deferred_until is not None
            and i.period >= start
        )
        reverse(
            unit,
            Unit.DeferralWithdrawn,
            deferral.policy,
            change,
            ctx,
            kind=deferral.kind.value,
            periods=str(PeriodRange(start, window.end)),
            remaining=str(remaining) if remaining else "",
            undeferred=undeferred,
        )
    if change.since is None:
        for document, kind in list(unit.refusals):
            if document == change.document and kind in AUTOMATIC_KINDS:
                reverse(unit, Unit.DeferralRefusalWithdrawn, "", change, ctx, kind=kind)


def compensate(
    unit: Unit,
    policies: PolicySet | None,
    fund_months: int | None,
    change: Change,
    ctx: Context,
) -> None:
    """Re-decides the document's deferral under the new version (``policies``), or
    withdraws it from ``change.since`` on when the document is revoked (``policies`` None).

    Nothing is recorded when the new version decides the same grant (window, deadline,
    parts, triggers), refusal and splits. Refused when deferred amounts were already
    called due, or when the new version could not decide at the amendment's date.
    """
    old = _signature(unit, change.document)
    if old == ([], [], []):
        if policies is not None:
            consider(unit, policies, fund_months, ctx, change.document)
        return
    if policies is None:
        if _holds(unit, change.document):
            _check_nothing_called_due(unit, change.document, change.since)
            _withdraw(unit, change, ctx)
        return
    trial = copy.deepcopy(unit)
    _withdraw(trial, change, ctx)
    outcome = consider(trial, policies, fund_months, ctx, change.document)
    if _signature(trial, change.document) == old:
        return
    if outcome.startswith("not decided"):
        raise RuleViolation(
            f"unit {unit.uscc}: the amended deferral cannot be decided again "
            f"({outcome.removeprefix('not decided: ')}); the decisions under the "
            "replaced version would be withdrawn without a replacement",
            rule="compensation",
        )
    _check_nothing_called_due(unit, change.document, None)
    _withdraw(unit, change, ctx)
    consider(unit, policies, fund_months, ctx, change.document)
