"""What a replay's report keeps while the units stream by: per unit that differs, per
region and per month, summed exactly (Decimal), so partial tallies of worker processes
merged in any order give the same report as one process."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from ledger.catalogue.policyset import PolicySet
from ledger.domain.period import Period
from ledger.domain.unit import Unit
from ledger.replay.figures import Figures, Flow, UnitResult
from ledger.replay.report import (
    Comparison,
    DocumentLine,
    MonthLine,
    Refusal,
    RegionLine,
    ReplayReport,
    UnitLine,
)
from ledger.replay.timeline import Recorded


@dataclass
class Tally:
    """What the report keeps while the units stream by."""

    units: list[UnitLine] = field(default_factory=list)
    regions: dict[str, tuple[int, Figures, Figures]] = field(default_factory=dict)
    months: dict[Period, tuple[Flow, Flow]] = field(default_factory=dict)
    compared: int = 0

    def add(
        self,
        unit: Unit.Registered,
        baseline: UnitResult,
        reform: UnitResult,
        refusals: list[Refusal],
    ) -> None:
        self.compared += 1
        count, base, ref = self.regions.get(unit.region, (0, Figures(), Figures()))
        self.regions[unit.region] = (
            count + 1,
            base + baseline.figures,
            ref + reform.figures,
        )
        for month in baseline.months.keys() | reform.months.keys():
            b, r = self.months.get(month, (Flow(), Flow()))
            self.months[month] = (
                b + baseline.months.get(month, Flow()),
                r + reform.months.get(month, Flow()),
            )
        if (reform.figures - baseline.figures) or refusals:
            self.units.append(
                UnitLine(
                    unit.uscc,
                    unit.name,
                    unit.region,
                    Comparison(baseline.figures, reform.figures),
                    tuple(refusals),
                )
            )

    def merge(self, other: Tally) -> None:
        """Adds another part's tally (a worker's chunk of units)."""
        self.compared += other.compared
        self.units.extend(other.units)
        for code, (count, base, ref) in other.regions.items():
            mine = self.regions.get(code, (0, Figures(), Figures()))
            self.regions[code] = (mine[0] + count, mine[1] + base, mine[2] + ref)
        for month, (b, r) in other.months.items():
            mb, mr = self.months.get(month, (Flow(), Flow()))
            self.months[month] = (mb + b, mr + r)

    def report(
        self,
        reform: PolicySet,
        recorded: list[Recorded],
        initial: frozenset[str],
        *,
        region: str | None,
        as_of: date,
        known_at: datetime | None,
    ) -> ReplayReport:
        first = {r.document_id: r for r in recorded}
        documents = tuple(
            DocumentLine(
                d.id,
                d.number,
                d.version,
                "from the start" if d.id in initial else f"as recorded ({first[d.id].enacted_on})",
            )
            for d in sorted(reform.documents(), key=lambda d: d.id)
        )
        left_out = tuple(
            DocumentLine(r.document_id, r.number, r.version, "not in the policy set")
            for r in sorted(recorded, key=lambda r: r.document_id)
            if r.document_id not in reform
        )
        regions = tuple(
            RegionLine(code, count, Comparison(base, ref))
            for code, (count, base, ref) in sorted(self.regions.items())
        )
        total = Comparison(
            sum((r.comparison.baseline for r in regions), Figures()),
            sum((r.comparison.reform for r in regions), Figures()),
        )
        return ReplayReport(
            region=region or "",
            as_of=as_of,
            known_at=known_at,
            documents=documents + left_out,
            units_compared=self.compared,
            units=tuple(sorted(self.units, key=lambda u: u.uscc)),
            regions=regions,
            total=total,
            months=tuple(MonthLine(m, b, r) for m, (b, r) in sorted(self.months.items())),
        )
