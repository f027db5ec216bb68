"""The reduction detail table (阶段性减征职工基本医疗保险费明细表), per unit.

What 赤医保发〔2020〕3号 四 and 临医保联发〔2020〕14号 四(三) ask the agencies to pass on:
per unit, the persons reduced, the amount due before the reduction (减征前应征金额),
the reduction (减征金额), the amount due after it (减征后应缴金额) and the periods
reduced (减征起止日期), with totals. Amounts are of the **unit part** (both shares:
medical and maternity) of the reduced periods, because that is the part the measure
reduces; the individual part is neither reduced nor reported. So for Chifeng, where only
the 6% medical share is halved, the 1% maternity share is in "before" and "after" alike.

Only the assessment of a period in force counts: a revoked assessment's reduction is
withdrawn with it, the re-assessment's counts. Persons are the distinct residents with a
reduction in the unit's reduced periods; the total is the sum over units.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from ledger.clocks import ReadClocks
from ledger.domain.money import ZERO
from ledger.domain.period import Period
from ledger.domain.terms import UNIT_PARTS
from ledger.projections.items import by_unit, live_assessments, whole
from ledger.projections.journal import Kind
from ledger.projections.store import ViewStore


@dataclass(frozen=True, slots=True)
class ReductionLine:
    uscc: str
    unit_name: str
    agency: str
    region: str
    persons: int
    before: Decimal
    reduction: Decimal
    period_from: Period
    period_to: Period
    #: the policy document the reduction applied
    document: str

    @property
    def after(self) -> Decimal:
        return self.before - self.reduction


@dataclass(frozen=True, slots=True)
class ReductionTable:
    as_of: date
    known_at: datetime | None
    month: Period | None
    lines: list[ReductionLine]

    @property
    def units(self) -> int:
        return len(self.lines)

    @property
    def persons(self) -> int:
        return sum(line.persons for line in self.lines)

    @property
    def before(self) -> Decimal:
        return sum((line.before for line in self.lines), ZERO)

    @property
    def reduction(self) -> Decimal:
        return sum((line.reduction for line in self.lines), ZERO)

    @property
    def after(self) -> Decimal:
        return self.before - self.reduction


def reduction_table(
    store: ViewStore,
    *,
    clocks: ReadClocks,
    region: str | None = None,
    month: Period | None = None,
    agency: str | None = None,
) -> ReductionTable:
    """Units with a reduction decided by ``as_of`` (of ``month`` only, when given)."""
    as_of, known_at = clocks.as_of, clocks.known_at
    scope = store.units(region=region, agency=agency, known_at=known_at)
    units = {u.unit_id: u for u in whole(store, scope)}
    moves = by_unit(store.movements(units, known_at=known_at))
    persons: dict[tuple[UUID, Period], list[tuple[int, str, Decimal]]] = defaultdict(list)
    for r in store.person_reductions(unit_ids=units, known_at=known_at):
        if r.on <= as_of:
            persons[(r.unit_id, r.period)].append((r.version, r.resident_id, r.amount))
    lines: list[ReductionLine] = []
    for unit_id, unit in units.items():
        unit_moves = moves.get(unit_id, [])
        live = live_assessments(unit_moves, as_of)
        before: dict[Period, Decimal] = defaultdict(lambda: ZERO)
        cut: dict[Period, Decimal] = defaultdict(lambda: ZERO)
        documents: set[str] = set()
        for m in unit_moves:
            if m.on > as_of or m.period not in live or m.part not in UNIT_PARTS:
                continue
            if month is not None and m.period != month:
                continue
            if m.kind is Kind.assessed and m.version == live[m.period]:
                before[m.period] += m.amount
            elif m.kind is Kind.reduced and m.version > live[m.period]:
                cut[m.period] += m.amount
                documents.add(m.document)
        # A reversed reduction (an amendment or revocation) nets out: what is left counts.
        reduced = sorted(p for p, amount in cut.items() if amount)
        if not reduced:
            continue
        net: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for p in reduced:
            for version, rid, amount in persons[(unit_id, p)]:
                if version > live[p]:
                    net[rid] += amount
        who = {rid for rid, amount in net.items() if amount > ZERO}
        lines.append(
            ReductionLine(
                uscc=unit.uscc,
                unit_name=unit.name,
                agency=unit.agency,
                region=unit.region,
                persons=len(who),
                before=sum((before[p] for p in reduced), ZERO),
                reduction=sum((cut[p] for p in reduced), ZERO),
                period_from=reduced[0],
                period_to=reduced[-1],
                document=", ".join(sorted(documents)),
            )
        )
    lines.sort(key=lambda line: (line.region, line.agency, line.uscc))
    return ReductionTable(as_of, known_at, month, lines)
