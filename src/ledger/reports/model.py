"""What a report is, once: its rows, its columns and its filters; and one run of it.

A :class:`Report` is described once (``ledger.reports.exchange`` for the bureau's
reports, ``ledger.reports.unit_reads`` for a unit's or a person's reads): its name,
its title in Chinese and English, the document that asks for it, its columns in that
document's field order with headers in both languages and the kind of value each
holds, and the filters it takes. Running it gives a :class:`Table`, which every format
renders the same way (``ledger.reports.formats``): the CLI and the API only parse
their options into a :class:`Query` and hand the table to a renderer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any, Protocol
from uuid import UUID

from ledger.catalogue.policyset import PolicySet
from ledger.clocks import CST, ReadClocks, business_date, instant, today
from ledger.domain.errors import InvalidValue
from ledger.domain.money import format_money
from ledger.domain.period import Period
from ledger.domain.years import check_period
from ledger.projections.items import withheld
from ledger.projections.store import ViewStore


class Kind(StrEnum):
    """What a column holds, which decides how each format writes it."""

    #: free text (a unit's name, a reason): guarded against formula injection in files
    TEXT = "text"
    #: identifiers and codes (USCC, resident ID, 310, 66, periods, YYYYMMDD): text, never
    #: a number, so that no spreadsheet drops a leading zero or digits past the 15th
    CODE = "code"
    #: whole numbers (persons, days)
    COUNT = "count"
    #: yuan, exactly to the fen (``Decimal``), written with two decimals
    MONEY = "money"
    #: a calendar date
    DATE = "date"


Cell = str | int | Decimal | date | None
"""A value of a row, typed as its column's kind says (``None``: empty)."""


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    zh: str
    en: str
    kind: Kind = Kind.CODE

    @property
    def numeric(self) -> bool:
        return self.kind in (Kind.COUNT, Kind.MONEY)

    def header(self, language: str) -> str:
        return self.zh if language == "zh" else self.en


@dataclass(frozen=True, slots=True)
class Filter:
    """A filter a report takes: its option (CLI ``--as-of``) / parameter (``as_of``)."""

    name: str
    zh: str
    en: str


#: every filter a report may take, described once (CLI help and API docs take these)
FILTERS = {
    f.name: f
    for f in (
        Filter("region", "统筹区", "region code; 150000 takes all of 15xxxx"),
        Filter("agency", "医保经办机构", "agency code (医保经办机构代码)"),
        Filter("month", "所属期", "contribution period YYYY-MM"),
        Filter(
            "as_of",
            "截至日期",
            "the business date figures are computed for (YYYY-MM-DD); default today (CST)",
        ),
        Filter(
            "known_at",
            "知悉时点",
            "only events recorded by this instant: ISO 8601 date-time (naive = China "
            "Standard Time) or a date (the end of that day); default: everything recorded",
        ),
        Filter("within", "提前天数", "days ahead of as_of"),
        Filter("kind", "事件类型", "event types, repeatable: PaymentCollected"),
        Filter("since", "记录起", "recorded at or after this instant"),
        Filter("until", "记录止", "recorded at or before this instant"),
    )
}


class Reads(Protocol):
    """What a report reads: the views (caught up by the caller) and the policies."""

    @property
    def store(self) -> ViewStore: ...

    def policies(self, known_at: datetime | None = None) -> PolicySet: ...


@dataclass(frozen=True, slots=True)
class ViewsAndPolicies:
    """:class:`Reads` from a view store and a function giving the policies known at an
    instant (the CLI's; the API's ``ReadSide`` is one already)."""

    store: ViewStore
    known: Callable[[datetime | None], PolicySet]

    def policies(self, known_at: datetime | None = None) -> PolicySet:
        return self.known(known_at)


@dataclass(frozen=True, slots=True)
class Query:
    """A report's filters as the caller parsed them (``None``: the default)."""

    as_of: date | None = None
    known_at: datetime | None = None
    month: Period | None = None
    region: str | None = None
    #: the agency asked for, or the one a case worker is limited to
    agency: str | None = None
    within: int = 30
    #: the unit's USCC or the person's resident ID, for a unit's or a person's read
    subject: str = ""
    kinds: Sequence[str] | None = None
    since: datetime | None = None
    until: datetime | None = None
    #: when the report is generated (the deferral list's 传输时间); the views read no clock
    now: datetime = field(default_factory=lambda: datetime.now(CST))

    def clocks(self, as_of: date | None = None) -> ReadClocks:
        """The read's two clocks: ``as_of`` where the report resolved one (a monthly
        report's), else the date asked for, else today (CST)."""
        return ReadClocks(as_of or self.as_of or today(), self.known_at)

    @classmethod
    def parse(
        cls,
        *,
        as_of: str | None = None,
        known_at: str | None = None,
        month: str | None = None,
        since: str | None = None,
        until: str | None = None,
        **given: Any,
    ) -> Query:
        """The query from the filters as a user writes them (the CLI's options, the API's
        parameters): a refusal names the filter."""
        return cls(
            as_of=business_date(as_of, "as_of") if as_of else None,
            known_at=instant(known_at, "known_at"),
            month=_month(month) if month else None,
            since=instant(since, "since"),
            until=instant(until, "until"),
            **{name: value for name, value in given.items() if value is not None},
        )


def _month(text: str) -> Period:
    try:
        return check_period(Period.parse(text), "month")
    except InvalidValue as exc:
        raise InvalidValue(exc.message, field="month") from None


@dataclass(frozen=True, slots=True)
class Table:
    """One run of a report: what every format renders."""

    report: Report
    #: one line saying what the table is and for which clocks
    caption: str
    #: in the report's column order, typed as each column's kind says
    rows: list[tuple[Cell, ...]]
    #: the JSON document (dataclasses, Decimals and dates: :func:`plain` makes it JSON)
    document: Any
    #: a file name without its extension, ASCII (``deferral-list-2022-09``)
    stem: str
    #: a 合计 row, shown on a terminal and in a workbook (CSV stays one record per row)
    total: tuple[Cell, ...] | None = None
    #: lines a terminal prints under the table
    notes: tuple[str, ...] = ()
    #: the filters and clocks the table was made with, for a workbook's 说明 sheet
    context: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Report:
    name: str
    zh: str
    en: str
    #: the document (and paragraph) that asks for the report
    source: str
    columns: tuple[Column, ...]
    filters: tuple[str, ...]
    build: Callable[[Reads, Query], Table] = field(repr=False)
    #: the columns a terminal shows (all when empty)
    terminal: tuple[str, ...] = ()
    #: on a terminal, amounts zero on every row are left out, except these
    always: frozenset[str] | None = None
    #: the one column a terminal may fold
    wrap: str = ""

    def __post_init__(self) -> None:
        keys = [c.key for c in self.columns]
        assert len(set(keys)) == len(keys), f"{self.name}: a column named twice"
        assert set(self.terminal) <= set(keys), f"{self.name}: terminal names no column"
        assert set(self.filters) <= set(FILTERS), f"{self.name}: an undescribed filter"

    def run(self, reads: Reads, query: Query) -> Table:
        table = self.build(reads, query)
        if query.subject or "region" not in self.filters or not reads.store.set_aside():
            return table  # a unit's or a person's read refuses a damaged history itself
        scope = reads.store.units(region=query.region, agency=query.agency, known_at=query.known_at)
        left_out = sorted(u.uscc for u in withheld(reads.store, scope))
        return with_withheld(table, left_out) if left_out else table

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


def with_withheld(table: Table, usccs: list[str]) -> Table:
    """A region-wide table that left out units whose history is damaged says so in every
    format: a note (terminal), the 说明 sheet (xlsx), ``withheld_units`` (JSON)."""
    note = (
        f"withheld: {len(usccs)} unit(s) whose stored history is damaged, not counted "
        f"({', '.join(usccs)}); run `ledger audit verify`"
    )
    document = table.document
    if dataclasses.is_dataclass(document) and not isinstance(document, type):
        document = plain(document)  # the same JSON, as a mapping that can take a key
    if isinstance(document, dict):
        document = {**document, "withheld_units": usccs}
    return dataclasses.replace(
        table,
        document=document,
        notes=(*table.notes, note),
        context=(*table.context, ("withheld_units", ", ".join(usccs))),
    )


def plain(value: Any) -> Any:
    """JSON-able: amounts as strings with two decimals, dates ISO, periods YYYY-MM,
    instants ISO with their offset in China Standard Time."""
    kind = type(value)
    if kind in _AS_IS:  # most cells: looked up by exact type before any isinstance
        return value
    if kind is Decimal:
        return format_money(value)
    fields = _FIELDS.get(kind)
    if fields is not None:
        return {name: plain(getattr(value, name)) for name in fields}
    return _plain(value)


class PlainDocument(dict[str, Any]):
    """A JSON document built of JSON values already (by a read on the hot path, field by
    field): :func:`plain` hands it on as it is instead of walking it again."""


_AS_IS: frozenset[type] = frozenset({str, int, bool, type(None), PlainDocument})
#: the field names of each dataclass met, in order (dataclasses.fields is slow per call)
_FIELDS: dict[type, tuple[str, ...]] = {}


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [plain(v) for v in value]
    if isinstance(value, Period):
        return str(value)
    if isinstance(value, Decimal):
        return format_money(value)
    if isinstance(value, datetime):
        return value.astimezone(CST).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, UUID):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _FIELDS[type(value)] = tuple(f.name for f in dataclasses.fields(value))
        return {name: plain(getattr(value, name)) for name in names}
    return value


def context(**values: object) -> tuple[tuple[str, str], ...]:
    """A table's filters and clocks as (name, text), leaving out those not given."""
    shown: list[tuple[str, str]] = []
    for name, value in values.items():
        if value is None or value == "":
            continue
        if isinstance(value, datetime):
            value = value.astimezone(CST).isoformat(timespec="seconds")
        shown.append((name, str(value)))
    return tuple(shown)


def one_of(text: str, allowed: Sequence[str], field: str) -> str:
    if text not in allowed:
        raise InvalidValue(f"{field} {text!r} is not one of {', '.join(allowed)}", field=field)
    return text
