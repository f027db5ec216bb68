"""SME size classes (企业划型) per 工信部联企业〔2011〕300号.

The 2022 deferral is for SMEs without an application (免申即享), so the size class
decides eligibility. The thresholds are data (``catalogue/data/size_classes.toml``,
loaded by :func:`load_size_table`); this module only applies them:

- SME if below the ceiling on *any one* ceiling indicator, else large;
- an SME is medium if at or above *all* medium floors, small if at or above all
  small floors, else micro.

Revenue and assets are in 10,000 yuan (万元), as the document writes them.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from ledger.domain.errors import CatalogueError, InvalidValue

__all__ = [
    "Indicator",
    "Industry",
    "IndustryThresholds",
    "SizeClass",
    "SizeTable",
    "Threshold",
    "classify",
    "load_size_table",
]

SIZE_RULE = "工信部联企业〔2011〕300号"


class SizeClass(StrEnum):
    """Enterprise size class (企业规模).

    >>> [size.value for size in SizeClass if size.is_sme]
    ['medium', 'small', 'micro']
    """

    LARGE = "large"
    MEDIUM = "medium"
    SMALL = "small"
    MICRO = "micro"

    @property
    def is_sme(self) -> bool:
        """Medium, small and micro enterprises are SMEs (中小微企业)."""
        return self is not SizeClass.LARGE


class Industry(StrEnum):
    """The industry rows of the classification table (第四条)."""

    AGRICULTURE = "agriculture"
    INDUSTRY = "industry"
    CONSTRUCTION = "construction"
    WHOLESALE = "wholesale"
    RETAIL = "retail"
    TRANSPORT = "transport"
    WAREHOUSING = "warehousing"
    POSTAL = "postal"
    LODGING_CATERING = "lodging_catering"
    TELECOM = "telecom"
    SOFTWARE_IT = "software_it"
    REAL_ESTATE_DEVELOPMENT = "real_estate_development"
    PROPERTY_MANAGEMENT = "property_management"
    LEASING_BUSINESS_SERVICES = "leasing_business_services"
    OTHER = "other"


class Indicator(StrEnum):
    """Employees (从业人员, persons), revenue (营业收入) and assets (资产总额) in 10,000 yuan."""

    EMPLOYEES = "employees"
    REVENUE = "revenue"
    ASSETS = "assets"


@dataclass(frozen=True, slots=True)
class Threshold:
    """One indicator's bound, e.g. employees 300."""

    indicator: Indicator
    value: int

    def __str__(self) -> str:
        return f"{self.indicator} {self.value}"


@dataclass(frozen=True, slots=True)
class IndustryThresholds:
    """One row of the table: the ceiling is joined by "or", each floor by "and"."""

    industry: Industry
    name: str
    paragraph: str
    sme_ceiling: tuple[Threshold, ...]
    medium_floor: tuple[Threshold, ...]
    small_floor: tuple[Threshold, ...]


@dataclass(frozen=True)
class SizeTable:
    """The classification table with the document it comes from."""

    source: str
    document: str
    title: str
    issuers: tuple[str, ...]
    issued: date
    industries: Mapping[Industry, IndustryThresholds] = field(hash=False)

    def thresholds(self, industry: Industry) -> IndustryThresholds:
        """The row for ``industry``; the loader guarantees every industry has one."""
        return self.industries[industry]


Figures = dict[Indicator, int | Decimal | None]


def classify(
    table: SizeTable,
    industry: Industry,
    *,
    employees: int | None,
    revenue: Decimal | None,
    assets: Decimal | None,
) -> SizeClass:
    """Classify a unit from its figures; ``None`` means the figure is not known.

    A missing figure only matters where it would decide the outcome: a retail unit
    with 8 employees is an SME and is neither medium nor small whatever its revenue.
    Where it would decide, :class:`InvalidValue` names it, and the unit classifies
    by its written commitment (承诺书) instead of by data.
    """
    figures: Figures = {
        Indicator.EMPLOYEES: _checked_figure(employees, Indicator.EMPLOYEES),
        Indicator.REVENUE: _checked_figure(revenue, Indicator.REVENUE),
        Indicator.ASSETS: _checked_figure(assets, Indicator.ASSETS),
    }
    row = table.thresholds(industry)
    if not _below_any_ceiling(row, figures):
        return SizeClass.LARGE
    if _reaches_floor(row, row.medium_floor, figures, SizeClass.MEDIUM):
        return SizeClass.MEDIUM
    if _reaches_floor(row, row.small_floor, figures, SizeClass.SMALL):
        return SizeClass.SMALL
    return SizeClass.MICRO


def _below_any_ceiling(row: IndustryThresholds, figures: Figures) -> bool:
    missing: list[Indicator] = []
    for bound in row.sme_ceiling:
        figure = figures[bound.indicator]
        if figure is None:
            missing.append(bound.indicator)
        elif figure < bound.value:
            return True
    if missing:
        # Only a missing figure could still show the unit to be an SME.
        raise InvalidValue(
            f"cannot classify: {_unit(row, figures)} is not below the SME ceiling"
            f" ({_joined(row.sme_ceiling, '<', 'or')}) on the figures given;"
            f" needs {_names(missing)} ({SIZE_RULE})",
            rule=SIZE_RULE,
            field=str(missing[0]),
        )
    return False


def _reaches_floor(
    row: IndustryThresholds,
    floor: tuple[Threshold, ...],
    figures: Figures,
    size: SizeClass,
) -> bool:
    missing: list[Indicator] = []
    for bound in floor:
        figure = figures[bound.indicator]
        if figure is None:
            missing.append(bound.indicator)
        elif figure < bound.value:
            # One known figure below the floor settles it, whatever is missing.
            return False
    if missing:
        raise InvalidValue(
            f"cannot classify: {_unit(row, figures)} is an SME, but whether it is {size}"
            f" ({_joined(floor, '>=', 'and')}) needs {_names(missing)} ({SIZE_RULE})",
            rule=SIZE_RULE,
            field=str(missing[0]),
        )
    return True


def _checked_figure(value: object, indicator: Indicator) -> int | Decimal | None:
    if value is None:
        return None
    # bool is an int and float is binary: neither is a head count or an amount.
    if isinstance(value, bool | float) or not isinstance(value, int | Decimal):
        raise TypeError(f"{indicator} must be an int or Decimal, not {type(value).__name__}")
    if indicator is Indicator.EMPLOYEES and not isinstance(value, int):
        raise TypeError(f"employees must be a whole number, got {value!r}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise InvalidValue(f"{indicator} {value} is not a finite number", field=str(indicator))
    if value < 0:
        raise InvalidValue(f"{indicator} {value} is negative", field=str(indicator))
    return value


def _joined(bounds: tuple[Threshold, ...], operator: str, conjunction: str) -> str:
    return f" {conjunction} ".join(f"{b.indicator} {operator} {b.value}" for b in bounds)


def _unit(row: IndustryThresholds, figures: Figures) -> str:
    known = [f"{name} {value}" for name, value in figures.items() if value is not None]
    return f"{row.industry} ({row.name}) unit with {', '.join(known) if known else 'no figures'}"


def _names(indicators: list[Indicator]) -> str:
    return " and ".join(str(indicator) for indicator in indicators)


# --- loading the table ----------------------------------------------------------------

_SOURCE_KEYS = frozenset({"document", "title", "issuers", "issued", "units"})
_ROW_KEYS = ("name", "paragraph", "sme_ceiling", "medium_floor", "small_floor")


def load_size_table(text: str, source: str) -> SizeTable:
    """Parse the TOML text of a size-class table; ``source`` names the file in errors.

    Every industry must be present with all three threshold sets; a typo in a key,
    an unknown indicator or a non-integer figure is refused rather than ignored.
    """
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise _error(source, "", f"not valid TOML: {error}") from None
    _no_unknown_keys(source, "", document, frozenset({"source", "industry"}))
    meta = _table(source, "source", document.get("source"))
    _no_unknown_keys(source, "source", meta, _SOURCE_KEYS)
    issuers = meta.get("issuers")
    if (
        not isinstance(issuers, list)
        or not issuers
        or not all(isinstance(i, str) and i for i in issuers)
    ):
        raise _error(source, "source.issuers", "must be a non-empty list of names")
    issued = meta.get("issued")
    # tomllib gives datetime for a date-time, and datetime is a date subclass.
    if type(issued) is not date:
        raise _error(source, "source.issued", f"must be a date like 2011-06-18, got {issued!r}")

    industries = _table(source, "industry", document.get("industry"))
    unknown = sorted(set(industries) - set(Industry))
    if unknown:
        raise _error(
            source,
            f"industry.{unknown[0]}",
            f"unknown industry; expected one of {', '.join(Industry)}",
        )
    rows = {industry: _row(source, industry, industries.get(industry)) for industry in Industry}
    return SizeTable(
        source=source,
        document=_text(source, "source.document", meta.get("document")),
        title=_text(source, "source.title", meta.get("title")),
        issuers=tuple(issuers),
        issued=issued,
        industries=MappingProxyType(rows),
    )


def _row(source: str, industry: Industry, raw: object) -> IndustryThresholds:
    path = f"industry.{industry}"
    row = _table(source, path, raw)
    _no_unknown_keys(source, path, row, frozenset(_ROW_KEYS))
    medium = _bounds(source, f"{path}.medium_floor", row.get("medium_floor"))
    small = _bounds(source, f"{path}.small_floor", row.get("small_floor"))
    medium_indicators = [b.indicator for b in medium]
    if medium_indicators != [b.indicator for b in small]:
        raise _error(
            source,
            f"{path}.small_floor",
            f"must use the same indicators as medium_floor ({_names(medium_indicators)})",
        )
    for medium_bound, small_bound in zip(medium, small, strict=True):
        if small_bound.value > medium_bound.value:
            raise _error(
                source,
                f"{path}.small_floor.{small_bound.indicator}",
                f"{small_bound.value} is above the medium floor {medium_bound.value}",
            )
    return IndustryThresholds(
        industry=industry,
        name=_text(source, f"{path}.name", row.get("name")),
        paragraph=_text(source, f"{path}.paragraph", row.get("paragraph")),
        sme_ceiling=_bounds(source, f"{path}.sme_ceiling", row.get("sme_ceiling"), positive=True),
        medium_floor=medium,
        small_floor=small,
    )


def _bounds(
    source: str, path: str, raw: object, *, positive: bool = False
) -> tuple[Threshold, ...]:
    table = _table(source, path, raw)
    if not table:
        raise _error(source, path, "must name at least one indicator")
    bounds: list[Threshold] = []
    # Indicator order, not file order, so that two floors compare indicator by indicator.
    for indicator in Indicator:
        if indicator not in table:
            continue
        value = table[indicator]
        if type(value) is not int:
            raise _error(source, f"{path}.{indicator}", f"must be an integer, got {value!r}")
        if value < 0 or (positive and value == 0):
            raise _error(
                source,
                f"{path}.{indicator}",
                f"must be {'positive' if positive else 'zero or more'}, got {value}",
            )
        bounds.append(Threshold(indicator, value))
    unknown = sorted(set(table) - set(Indicator))
    if unknown:
        raise _error(
            source,
            f"{path}.{unknown[0]}",
            f"unknown indicator; expected one of {', '.join(Indicator)}",
        )
    return tuple(bounds)


def _table(source: str, path: str, raw: object) -> dict[str, Any]:
    if raw is None:
        raise _error(source, path, "is missing")
    if not isinstance(raw, dict):
        raise _error(source, path, f"must be a table, got {raw!r}")
    return raw


def _text(source: str, path: str, raw: object) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise _error(source, path, f"must be a non-empty string, got {raw!r}")
    return raw


def _no_unknown_keys(source: str, path: str, table: dict[str, Any], known: frozenset[str]) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        where = f"{path}.{unknown[0]}" if path else unknown[0]
        raise _error(source, where, f"unknown key; expected {', '.join(sorted(known))}")


def _error(source: str, path: str, problem: str) -> CatalogueError:
    where = f"{source}: {path}: " if path else f"{source}: "
    return CatalogueError(where + problem, rule=SIZE_RULE, field=path)
