"""The 2020 deferral on application (申请缓缴): 临医保联发〔2020〕14号 二, 赤医保发〔2020〕3号 二.

A unit still in difficulty after the reduction applies in writing for named periods, at
most ``max_months`` in all and not past ``latest_end``; granted on filing (临沧, 备案) or by
the approver (赤峰, 市医疗保障局核准). The deferral is decided by a person on the rule then
in force: an amendment or revocation reaching it is refused, not compensated.
"""

from __future__ import annotations

from datetime import date, timedelta

from ledger.catalogue.model import ApplicationDeferralRule
from ledger.catalogue.policyset import Cited, PolicySet
from ledger.domain.errors import Conflict, RuleViolation
from ledger.domain.period import PeriodRange
from ledger.domain.terms import DeferralKind
from ledger.domain.unit import Unit
from ledger.measures.context import Change, Context, decide
from ledger.measures.deferral import split_deferred_periods


def rule_for(
    unit: Unit, periods: PeriodRange, policies: PolicySet
) -> Cited[ApplicationDeferralRule]:
    """The deferral-on-application rule in force for every period applied for."""
    cited = policies.application_deferral(unit.region, periods.start)
    if cited is None:
        raise RuleViolation(
            f"no deferral on application is enacted for region {unit.region} in {periods.start}",
            rule="application_deferral",
        )
    if periods.end not in cited.rule.periods:
        raise RuleViolation(
            f"{periods} runs past the periods {cited.rule.periods} an application under "
            f"{cited.document.number} may name",
            rule="application_deferral.periods",
        )
    return cited


def check_application(
    unit: Unit, periods: PeriodRange, cited: Cited[ApplicationDeferralRule]
) -> None:
    """What the rule and the unit's earlier applications allow; raises otherwise."""
    rule = cited.rule
    unit.check_not_leaving()
    if unit.unit_type not in rule.eligible_unit_types:
        raise RuleViolation(
            f"unit type {unit.unit_type.value} may not apply ({cited.citation})",
            rule="application_deferral.eligible_unit_types",
        )
    if len(periods) > rule.max_months:
        raise RuleViolation(
            f"a deferral of {len(periods)} months exceeds the {rule.max_months} allowed "
            f"by {cited.document.number}",
            rule="application_deferral.max_months",
        )
    # The limit is the unit's deferral under the document: applications together, never
    # overlapping.
    granted = [
        d
        for d in unit.deferrals
        if d.kind is DeferralKind.application and d.document == cited.document.id
    ]
    for earlier in unit.deferrals:
        if earlier.kind is DeferralKind.application and earlier.periods.overlaps(periods):
            raise Conflict(
                f"unit {unit.uscc} already defers {earlier.periods} on application",
                field="periods",
            )
    already = sum(len(d.periods) for d in granted)
    if already and already + len(periods) > rule.max_months:
        raise RuleViolation(
            f"a deferral of {len(periods)} more months on top of the {already} granted "
            f"exceeds the {rule.max_months} allowed by {cited.document.number}",
            rule="application_deferral.max_months",
        )
    deadline = application_deadline(periods)
    if rule.latest_end is not None and deadline > rule.latest_end:
        raise RuleViolation(
            f"a deferral of {periods} would run to {deadline}, past {rule.latest_end} "
            f"({cited.document.number})",
            rule="application_deferral.latest_end",
        )
    if unit.application is not None and not unit.application.decided:
        raise Conflict(f"unit {unit.uscc} has an application awaiting decision", field="uscc")


def application_deadline(periods: PeriodRange) -> date:
    """The ledger's convention for 2020 deferrals: repay by the end of the month in
    which the last deferred period would normally fall due (its following month)."""
    return (periods.end + 1).last_day


def grant(unit: Unit, policies: PolicySet, ctx: Context, approved: bool, approver: str) -> None:
    """Decides a pending application: granted, or refused by the approver."""
    application = unit.application
    if application is None:
        raise RuleViolation("no pending deferral application", rule="application_deferral")
    cited = rule_for(unit, application.periods, policies)
    if not approved:
        why = f"refused by {approver or 'the approver'}"
        decide(unit, Unit.DeferralRefused, cited, ctx, kind="application", refusal=why)
        return
    deadline = application_deadline(application.periods)
    decide(
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


def check_compensable(unit: Unit, change: Change) -> None:
    """An amendment of the rule, or a revocation reaching the periods of a deferral on
    application, is refused while the unit holds one (or a refusal, for an amendment)."""
    for deferral in unit.deferrals:
        if (
            deferral.document == change.document
            and deferral.kind is DeferralKind.application
            and (change.since is None or deferral.periods.end >= change.since)
        ):
            _refused(unit, change, f"a deferral of {deferral.periods}")
    refused = (change.document, DeferralKind.application.value)
    if change.since is None and refused in unit.refusals:
        _refused(unit, change, "a refused application")


def _refused(unit: Unit, change: Change, what: str) -> None:
    raise RuleViolation(
        f"unit {unit.uscc} holds {what} on application decided under {change.document}; "
        "a change to the application rule is not compensated automatically",
        rule="compensation",
    )
