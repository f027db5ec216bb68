"""What every kind of deferral does to the periods it covers: the split (分拆核定).

内医保办发〔2022〕19号 三(二)1: during a deferral the unit part and the individual part
are assessed separately, so the deferred part can wait for its deadline while the other
is paid as usual. Only unpaid contributions of the period itself are deferred: a part
already paid stays paid (prepayments are not deferrable).
"""

from __future__ import annotations

from ledger.domain.money import ZERO
from ledger.domain.period import Period
from ledger.domain.state import Deferral
from ledger.domain.unit import Unit
from ledger.measures.context import Context, decide


def split_deferred_periods(unit: Unit, deferral: Deferral, ctx: Context) -> None:
    for period in deferral.periods:
        split_period(unit, period, deferral, ctx)


def split_period(unit: Unit, period: Period, deferral: Deferral, ctx: Context) -> None:
    """The deferred parts of an assessed period become items due at the deadline."""
    parts = [
        part.value
        for part in deferral.parts
        if (item := unit.items.get((period, part))) is not None
        and item.deferred_until is None
        and item.outstanding > ZERO
    ]
    if not parts:
        return
    decide(
        unit,
        Unit.AssessmentSplit,
        deferral,
        ctx,
        period=str(period),
        deferred_parts=parts,
        deadline=deferral.deadline,
        late_fee_from=deferral.late_fee_from,
    )


def split_on_assessment(unit: Unit, period: Period, ctx: Context) -> None:
    """A period assessed inside a deferral granted before is split as it is assessed."""
    deferral = unit.deferral_for(period)
    if deferral is not None and unit.deregistration_requested_on is None:
        split_period(unit, period, deferral, ctx)
