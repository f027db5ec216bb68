"""Compensating decisions: what an amended or revoked policy version undoes and redoes.

Decisions are never edited. When a document is amended (a higher version enacted) or
revoked, every decision still in force under the version replaced is **reversed** by
a compensating event carrying exactly the amounts it recorded (read from the unit's
state, never recomputed: no rounding drift), and the new version **decides again**.
Where the new version decides the same as the old for a period or a deferral,
nothing is recorded for it: an amendment only touches what it changes.

A revocation ends a measure from a date: the decisions of periods starting on or after
it are reversed; earlier periods keep theirs (a revocation is not an annulment).

Like ``ledger.decisions``: pure functions of a unit's state and a policy set that
trigger events on the unit in memory; no clock, no I/O.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ledger import decisions as decide
from ledger.catalogue.policyset import PolicySet
from ledger.domain.errors import RuleViolation
from ledger.domain.money import ZERO
from ledger.domain.period import Period, PeriodRange
from ledger.domain.terms import DeferralKind, Part
from ledger.domain.unit import Unit

#: deferrals an enactment decides (and so an amendment re-decides); a deferral on
#: application was decided by an approver on the unit's application and stands
AUTOMATIC_KINDS = (DeferralKind.automatic.value, DeferralKind.commitment.value)


@dataclass(frozen=True, slots=True)
class Change:
    """What replaces a document's decisions, and from which period on.

    ``superseded_by`` is recorded in every reversal ("赤医保发〔2020〕3号 v2", or
    "赤医保发〔2020〕3号 v1 revoked from 2020-04-01"); ``since`` is the first period a
    revocation touches (None: an amendment touches every period).
    """

    document: str
    superseded_by: str
    since: Period | None = None

    def touches(self, period: Period) -> bool:
        return self.since is None or period >= self.since


def _rows(amounts: dict[tuple[Period, Part], Decimal]) -> list[list[str]]:
    return [[str(p), part.value, str(a)] for (p, part), a in sorted(amounts.items()) if a]


def _reverse(
    unit: Unit,
    event: type[Unit.Reversal],
    policy: str,
    change: Change,
    ctx: decide.Context,
    **kw: object,
) -> None:
    decide.record(
        unit, event, (change.document, policy), ctx, superseded_by=change.superseded_by, **kw
    )


# ---------------------------------------------------------------- reductions


def _same_reduction(unit: Unit, period: Period, policies: PolicySet) -> bool:
    """Whether the policies decide for ``period`` what is recorded: the same amounts
    per person, and overpayment handled the same way (refund or credit)."""
    recorded = unit.reductions[period]
    decided = decide.reduction_of(unit, period, policies)
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


def compensate_reductions(
    unit: Unit, policies: PolicySet | None, change: Change, ctx: decide.Context
) -> None:
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
            decide.apply_reduction(unit, period, policies, ctx)
    if len(unit.pending_events) > before:
        decide.apply_credit(unit, ctx)


def _reverse_credit_applied(unit: Unit, change: Change, ctx: decide.Context) -> None:
    applied = unit.credit_applied_by.get(change.document, {})
    if any(a for a in applied.values()):
        _reverse(
            unit,
            Unit.CreditAppliedReversed,
            unit.credit_policy[1],
            change,
            ctx,
            items=_rows(dict(applied)),
        )


def _reverse_period(unit: Unit, period: Period, change: Change, ctx: decide.Context) -> None:
    """Refund or credit first (they follow from the reduction), then the reduction."""
    recorded = unit.reductions[period]
    items = unit.items_of(period)
    refunded = {(i.period, i.part): i.refunded for i in items if i.refunded}
    if refunded:
        _reverse(unit, Unit.RefundReversed, recorded.policy, change, ctx, items=_rows(refunded))
    carried = {(i.period, i.part): i.carried_forward for i in items if i.carried_forward}
    if carried:
        still = [i.period for i in unit.items.values() if i.carried_forward and i.period != period]
        _reverse(
            unit,
            Unit.CreditCarriedForwardReversed,
            recorded.policy,
            change,
            ctx,
            items=_rows(carried),
            credit_after=str(max(still)) if still else "",
        )
    _reverse(
        unit,
        Unit.ReductionReversed,
        recorded.policy,
        change,
        ctx,
        period=str(period),
        by_person=recorded.rows,
        totals=recorded.totals,
    )


# ---------------------------------------------------------------- deferrals


def _deferral_signature(unit: Unit, document: str) -> tuple[object, ...]:
    """What the document's automatic deferral decided for the unit, without citations:
    grants (window after any shift, deadline, parts, triggers), refusals, split items."""
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


def _withdraw(unit: Unit, change: Change, ctx: decide.Context) -> None:
    """Withdraws the document's automatic deferral (of ``change.since`` on) and, for an
    amendment, its refusals."""
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
        _reverse(
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
                _reverse(unit, Unit.DeferralRefusalWithdrawn, "", change, ctx, kind=kind)


def compensate_automatic_deferral(
    unit: Unit,
    policies: PolicySet | None,
    fund_months: int | None,
    change: Change,
    ctx: decide.Context,
) -> None:
    """Re-decides the 2022 deferral under the new version (``policies``), or withdraws
    it from ``change.since`` on when the document is revoked (``policies`` None).

    Nothing is recorded when the new version decides the same grant (window, deadline,
    parts, triggers), refusal and splits. Refused when deferred amounts were already
    called due, or when the new version could not decide at the amendment's date.
    """
    old = _deferral_signature(unit, change.document)
    if old == ([], [], []):
        if policies is not None:
            decide.consider_automatic_deferral(unit, policies, fund_months, ctx)
        return
    if policies is None:
        if _holds(unit, change.document):
            _check_nothing_called_due(unit, change.document, change.since)
            _withdraw(unit, change, ctx)
        return
    trial = copy.deepcopy(unit)
    _withdraw(trial, change, ctx)
    outcome = decide.consider_automatic_deferral(trial, policies, fund_months, ctx)
    if _deferral_signature(trial, change.document) == old:
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
    decide.consider_automatic_deferral(unit, policies, fund_months, ctx)


def check_application_deferrals(unit: Unit, change: Change) -> None:
    """A deferral on application was granted or refused by an approver on the rule then
    in force; changing that rule does not re-decide it. So an amendment of the rule, or
    a revocation reaching the deferral's periods, is refused while the unit holds one."""
    for deferral in unit.deferrals:
        if (
            deferral.document == change.document
            and deferral.kind is DeferralKind.application
            and (change.since is None or deferral.periods.end >= change.since)
        ):
            _application_refused(unit, change, f"a deferral of {deferral.periods}")
    refused = (change.document, DeferralKind.application.value)
    if change.since is None and refused in unit.refusals:
        _application_refused(unit, change, "a refused application")


def _application_refused(unit: Unit, change: Change, what: str) -> None:
    raise RuleViolation(
        f"unit {unit.uscc} holds {what} on application decided under {change.document}; "
        "a change to the application rule is not compensated automatically",
        rule="compensation",
    )


def first_period_from(day: date) -> Period:
    """The first period a revocation dated ``day`` touches: the first one starting on or
    after it (a period already begun keeps its decisions)."""
    period = Period.of(day)
    return period if period.first_day == day else period + 1
