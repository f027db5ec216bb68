"""The written commitment (承诺书) of a unit data cannot classify.

医保发〔2022〕21号 三 and 内医保办发〔2022〕19号 三(一)3: where data cannot classify a unit,
its written commitment does. 济医保发〔2022〕12号 二 and 附件: the unit chooses consecutive
months within 2022-08..10 and the agency reviews within 3 working days; in Inner Mongolia
the accepted commitment classifies the unit, which then defers as a classified SME would
(window, shift where July is paid), the review period being the locality's. A false
commitment calls the deferred principal due with late fees from the original due dates.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from ledger.catalogue.model import CommitmentRule
from ledger.catalogue.policyset import Cited, PolicySet
from ledger.domain.errors import Conflict, InvalidValue, RuleViolation
from ledger.domain.period import Period, PeriodRange
from ledger.domain.terms import ClassSource
from ledger.domain.unit import Unit


def rule_for(
    unit: Unit, months: Sequence[Period], filed_on: date, policies: PolicySet
) -> Cited[CommitmentRule]:
    """The commitment path ruling on the months chosen, or on the month of filing; where
    none rules on that month, the region's latest path begun before it (a unit may file
    after the window, or choose months outside it: the checks then say why)."""
    period = months[0] if months else Period.of(filed_on)
    cited = policies.commitment(unit.region, period)
    if cited is not None:
        return cited
    paths = [
        Cited(c.document, c.rule)
        for c in policies.measures("commitment", unit.region)
        if isinstance(c.rule, CommitmentRule)
    ]
    if not paths:
        raise RuleViolation(
            f"no commitment path is enacted for region {unit.region}", rule="commitment"
        )
    begun = [c for c in paths if c.rule.window.start <= period]
    return policies.with_local_values(begun[-1] if begun else paths[0], unit.region)


def check_filing(
    unit: Unit, months: Sequence[Period], cited: Cited[CommitmentRule]
) -> PeriodRange | None:
    """The months the commitment defers (None: the deferral rule's window); raises where
    the rule or the unit's state refuses the filing."""
    rule = cited.rule
    chosen = sorted(set(months))
    if rule.months_chosen and not chosen:
        raise InvalidValue(
            f"a commitment under {cited.document.number} names the months to defer",
            field="months",
        )
    if not rule.months_chosen and chosen:
        raise RuleViolation(
            f"under {cited.document.number} the unit does not choose its months: once the "
            "commitment is accepted it defers as a classified SME would",
            rule="commitment.months_chosen",
        )
    if chosen:
        if rule.consecutive and chosen[0].months_until(chosen[-1]) != len(chosen) - 1:
            raise RuleViolation(
                f"months {', '.join(map(str, chosen))} are not consecutive ({cited.citation})",
                rule="commitment.consecutive",
            )
        outside = [p for p in chosen if p not in rule.window]
        if outside:
            raise RuleViolation(
                f"months {', '.join(map(str, outside))} are outside the window "
                f"{rule.window} ({cited.citation})",
                rule="commitment.window",
            )
    if unit.class_source is ClassSource.data:
        raise Conflict(
            f"unit {unit.uscc} is classified from data ({unit.size_class}); a written "
            "commitment is only for units data cannot classify",
            field="uscc",
        )
    if unit.commitment is not None and unit.commitment.accepted is not False:
        raise Conflict(f"unit {unit.uscc} already filed a commitment", field="uscc")
    unit.check_not_leaving()
    return PeriodRange(chosen[0], chosen[-1]) if chosen else None


def review_by(
    unit: Unit, filed_on: date, cited: Cited[CommitmentRule], policies: PolicySet
) -> date:
    """The day the review is due: the rule's working days after filing, counted in the
    region's calendar (refused, naming the year, where no calendar covers those days)."""
    days = cited.rule.review_working_days
    assert isinstance(days, int)  # "local" was filled in by the policy set
    return policies.calendar(unit.region).add_working_days(filed_on, days)
