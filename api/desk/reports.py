"""The reports as the desk shows them: the bureau's reports as ``ledger.reports``
describes them once (columns with the seeds' Chinese headers, filters, rows, totals),
the very tables the CLI prints and the API sends, here as HTML and as the same files.

A report is run with the API's scope: a case worker's reports are of their own agency
(``agency_scope``: asking for another is refused), inspectors' and administrators' of
any. The filters are checked with the report routes' own patterns first.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from ledger.api.auth import Principal
from ledger.api.deps import agency_scope
from ledger.api.desk.labels import LEVELS, PARTS, REMINDER_KINDS, STATES
from ledger.api.desk.render import yuan
from ledger.api.schemas.types import DATE_PATTERN, PERIOD_PATTERN
from ledger.reports import EXCHANGE, FILTERS, Cell, Column, Kind, Query, Reads, Report, Table

#: the bureau's reports, by the name the API gives them (``GET /reports/NAME``)
PAGES = {r.name: r for r in EXCHANGE}
#: files a report page offers (the API's formats but JSON, which the page is)
FILES = ("csv", "xlsx")
#: the words of the codes some columns hold
WORDS = {
    "kind": REMINDER_KINDS,
    "level": LEVELS,
    "part": PARTS,
    "individual_state": STATES,
    "unit_state": STATES,
    "credit_state": STATES,
}


class Filters(BaseModel):
    """The report routes' query parameters, with the routes' patterns."""

    model_config = ConfigDict(extra="ignore")

    region: str | None = Field(default=None, pattern=r"^[0-9]{6}$")
    agency: str | None = Field(default=None, pattern=r"^[0-9A-Za-z]{1,20}$")
    month: str | None = Field(default=None, pattern=PERIOD_PATTERN)
    as_of: str | None = Field(default=None, pattern=DATE_PATTERN)
    known_at: str | None = Field(default=None, max_length=40)
    within: int = Field(default=30, ge=0, le=366)


def run(report: Report, principal: Principal, reads: Reads, typed: dict[str, str]) -> Table:
    """The report's table for the filters typed (a refusal names its filter)."""
    f = Filters.model_validate({n: v for n, v in typed.items() if v})
    query = Query.parse(
        as_of=f.as_of,
        known_at=f.known_at,
        month=f.month,
        region=f.region,
        agency=agency_scope(principal, f.agency),
        within=f.within,
    )
    return report.run(reads, query)


def label_of(name: str) -> str:
    return FILTERS[name].zh


def cell(column: Column, value: Cell) -> str:
    """A value as the page shows it: amounts with thousands separators, codes in words."""
    if value is None:
        return ""
    if column.kind is Kind.MONEY and isinstance(value, Decimal):
        return yuan(value)
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    text = str(value)
    return WORDS.get(column.key, {}).get(text, text)
