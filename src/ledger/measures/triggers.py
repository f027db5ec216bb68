"""Repayment triggers: deferred amounts called due before the deadline.

医保发〔2022〕21号 四 and 内医保办发〔2022〕19号 三(四)1: when a person resigns (离职),
retires (退休) or transfers (关系转移), the unit first pays that person's deferred unit
part; before the unit deregisters (注销) it pays everything deferred. A false commitment
(济医保发〔2022〕12号 附件) calls everything due with late fees from the original due dates.
"""

from __future__ import annotations

from decimal import Decimal

from ledger.domain.errors import RuleViolation
from ledger.domain.money import ZERO, format_money
from ledger.domain.period import Period
from ledger.domain.terms import Part, Trigger
from ledger.domain.unit import Unit
from ledger.measures.context import Context, decide, rows


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
            decide(
                unit,
                Unit.DeferredAmountCalledDue,
                deferral,
                ctx,
                trigger=trigger.value,
                resident_id=resident_id,
                due_on=ctx.on,
                from_original_due=False,
                items=rows(amounts),
            )


def call_due_all(unit: Unit, trigger: Trigger, ctx: Context) -> Decimal:
    """Deregistration or a false commitment: every deferred amount falls due. Returns the
    amount called due."""
    amounts = {
        (i.period, i.part): i.deferred_open for i in unit.items.values() if i.deferred_open > ZERO
    }
    deferrals = unit.open_deferrals()
    if not deferrals and not amounts:
        return ZERO
    source = deferrals[-1] if deferrals else None
    decide(
        unit,
        Unit.DeferredAmountCalledDue,
        source,
        ctx,
        trigger=trigger.value,
        resident_id="",
        due_on=ctx.on,
        from_original_due=trigger is Trigger.false_commitment,
        items=rows(amounts),
    )
    return sum(amounts.values(), ZERO)


def check_deregistration(unit: Unit) -> None:
    """Refused while deferred amounts are unpaid (医保发〔2022〕21号 四: 注销前缴纳)."""
    unpaid = unit.deferred_open()
    if unpaid > ZERO:
        raise RuleViolation(
            f"unit {unit.uscc} cannot deregister: {format_money(unpaid)} of deferred "
            "contributions are unpaid (医保发〔2022〕21号 四: 应在注销前缴纳缓缴的缴费)",
            rule="deregistration",
        )
