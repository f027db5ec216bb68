"""The replay's report: the record (baseline) beside the reform, per unit, per region,
in total, and the fund's months. Plain frozen data: the renderers shape it, the HTTP
routes can serialise it (``as_dict``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from ledger.domain.money import format_money
from ledger.domain.period import Period
from ledger.replay.figures import MEASURES, Figures, Flow

CST = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True, slots=True)
class Comparison:
    baseline: Figures
    reform: Figures

    @property
    def difference(self) -> Figures:
        return self.reform - self.baseline


@dataclass(frozen=True, slots=True)
class Refusal:
    """A recorded fact the reform's rules refuse (recorded again, it would be refused)."""

    fact: str
    version: int
    message: str


@dataclass(frozen=True, slots=True)
class UnitLine:
    uscc: str
    name: str
    region: str
    comparison: Comparison
    refusals: tuple[Refusal, ...] = ()


@dataclass(frozen=True, slots=True)
class RegionLine:
    region: str
    units: int
    comparison: Comparison


@dataclass(frozen=True, slots=True)
class MonthLine:
    month: Period
    baseline: Flow
    reform: Flow


@dataclass(frozen=True, slots=True)
class DocumentLine:
    """A document of the replay and when it is in force there."""

    id: str
    number: str
    version: int
    enacted: str


@dataclass(frozen=True, slots=True)
class ReplayReport:
    region: str
    as_of: date
    known_at: datetime | None
    documents: tuple[DocumentLine, ...]
    units_compared: int
    #: only the units whose figures differ (or whose facts the reform refuses)
    units: tuple[UnitLine, ...]
    regions: tuple[RegionLine, ...]
    total: Comparison
    months: tuple[MonthLine, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-native: amounts as strings with two decimals, dates ISO, months YYYY-MM."""
        return {
            "region": self.region,
            "as_of": self.as_of.isoformat(),
            "known_at": self.known_at.astimezone(CST).isoformat() if self.known_at else None,
            "documents": [
                {"id": d.id, "number": d.number, "version": d.version, "enacted": d.enacted}
                for d in self.documents
            ],
            "units_compared": self.units_compared,
            "units_changed": len(self.units),
            "total": _comparison(self.total),
            "regions": [
                {"region": r.region, "units": r.units, **_comparison(r.comparison)}
                for r in self.regions
            ],
            "units": [
                {
                    "uscc": u.uscc,
                    "name": u.name,
                    "region": u.region,
                    **_comparison(u.comparison),
                    "refused": [
                        {"fact": f.fact, "version": f.version, "message": f.message}
                        for f in u.refusals
                    ],
                }
                for u in self.units
            ],
            "months": [
                {"month": str(m.month), "baseline": _flow(m.baseline), "reform": _flow(m.reform)}
                for m in self.months
            ],
        }


def _figures(f: Figures) -> dict[str, str]:
    return {name: format_money(value) for name, value in zip(MEASURES, f.values(), strict=True)}


def _comparison(c: Comparison) -> dict[str, dict[str, str]]:
    return {
        "baseline": _figures(c.baseline),
        "reform": _figures(c.reform),
        "difference": _figures(c.difference),
    }


def _flow(f: Flow) -> dict[str, str]:
    return {
        "collected": format_money(f.collected),
        "refunded": format_money(f.refunded),
        "net": format_money(f.net),
        "due": format_money(f.due),
    }
