"""A page of events as table payloads: what the runner writes in one transaction.

Every event's rows come from ``journal.rows_of``, encoded per table
(``encoding.row_encoder``), except for the two events that make up nearly all of a
history, which are written straight from the event's own strings:

- ``PeriodAssessed``: its audit entry (``journal.audit_entry``), one ``assessed``
  movement per total, one person line per line;
- ``PaymentCollected``: its audit entry, one ``paid`` movement per allocation, a
  ``credit_received`` movement for what was not allocated.

Building a frozen ``Movement`` or ``PersonLine`` with its ``Period`` and ``Decimal``
values, then formatting them again, costs more than decoding the event did: the
shortcuts halve the cost of mapping a page. They must store what the general
path stores: ``tests/unit/projections/test_runner_encoding.py`` compares both,
event by event, on every event of the demo and of a synthetic history with
deferrals (byte for byte; PostgreSQL amounts by value, as NUMERIC keeps them). A
change to what ``rows_of`` makes of these two events must be made here as well,
and that test says so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ledger.domain.terms import Part
from ledger.domain.unit import Unit
from ledger.projections.encoding import (
    ENCODERS,
    canonical_amount,
    copy_text,
    iso_text,
    period_of,
    utc_iso_text,
    uuid_text,
)
from ledger.projections.journal import Kind, Movement, PersonLine, Row, audit_entry, rows_of
from ledger.projections.schema import TABLES, Dialect, Table


class _TableRows:
    """One table's rows of a page: COPY lines (PostgreSQL) or tuples (SQLite)."""

    __slots__ = ("encode", "rows", "table")

    def __init__(self, table: Table, dialect: Dialect) -> None:
        self.table = table
        self.encode = ENCODERS[dialect, table.name]
        self.rows: list[Any] = []


class Page:
    """A page of events, as payloads per table, ready for one transaction."""

    def __init__(self, dialect: Dialect, *, shortcuts: bool = True) -> None:
        self.dialect = dialect
        self.events = 0
        self._tables = {t.row_type: _TableRows(t, dialect) for t in TABLES}
        self._shortcuts = _SHORTCUTS if shortcuts else {}

    def add_event(self, position: int, event: Any) -> None:
        """The rows of the event with notification id ``position``."""
        self.events += 1
        shortcut = self._shortcuts.get(type(event))
        if shortcut is not None:
            shortcut(self, position, event)
        else:
            self.add_rows(position, rows_of(event))

    def mark(self) -> tuple[int, ...]:
        """Where each table's rows end now: ``undo`` drops what was added after."""
        return tuple(len(t.rows) for t in self._tables.values())

    def undo(self, mark: tuple[int, ...]) -> None:
        for table, length in zip(self._tables.values(), mark, strict=True):
            del table.rows[length:]

    def add_rows(self, position: int, rows: Sequence[Row]) -> None:
        """Rows at ``position``, in order (their ordinals are their places in ``rows``)."""
        tables = self._tables
        for ordinal, row in enumerate(rows):
            table = tables[type(row)]
            table.rows.append(table.encode(position, ordinal, row))

    def payloads(self) -> list[tuple[Table, Any]]:
        """Per non-empty table: COPY bytes (PostgreSQL) or a list of tuples (SQLite)."""
        postgres = self.dialect == "postgres"
        return [
            (t.table, "".join(t.rows).encode() if postgres else t.rows)
            for t in self._tables.values()
            if t.rows
        ]

    def count(self, row_type: type[Row]) -> int:
        return len(self._tables[row_type].rows)

    def rows(self, row_type: type[Row]) -> list[Any]:
        """The encoded rows of one table, for the shortcuts to extend."""
        return self._tables[row_type].rows


# ------------------------------------------------------------------ shortcuts
# Each writes what journal.unit_rows makes of its event, in the same order: the
# audit entry at ordinal 0, then the movements, then the person lines.

ASSESSED, PAID, CREDIT = Kind.assessed.value, Kind.paid.value, Kind.credit_received.value


#: the parts by name: what Part(name) accepts, without the Enum call per row
_PARTS = {part.value: part.value for part in Part}
#: period texts as str(Period.parse(text)) writes them, memoised (a history has few)
_PERIODS: dict[str, str] = {}


def _period_text(text: str) -> str:
    found = _PERIODS.get(text)
    if found is None:
        found = str(period_of(text))  # refuses what Period.parse refuses
        if len(_PERIODS) < 10_000:
            _PERIODS[text] = found
    return found


def _part(name: str) -> str:
    try:
        return _PARTS[name]
    except KeyError:
        return Part(name).value  # the Enum's own refusal


def _items(rows: list[list[str]]) -> list[tuple[str, str, str]]:
    """[period, part, amount] rows, period and part checked as rows_of checks them."""
    return [(_period_text(p), _part(part), amount) for p, part, amount in rows]


def _text(value: str) -> str:
    """COPY text of an identifier: escaped only when it is not plain letters and digits."""
    return value if value.isalnum() else copy_text(value)


def _assessment(page: Page, position: int, event: Any) -> None:
    page.add_rows(position, [audit_entry(event)])
    uid, version = uuid_text(event.originator_id), event.originator_version
    period = _period_text(event.period)
    on, due = event.assessed_on.isoformat(), event.due_date.isoformat()
    totals = _items(event.totals)
    moves, lines = page.rows(Movement), page.rows(PersonLine)
    first = 1 + len(totals)
    fixed = dict(event.fixed)
    # declared base (the base itself unless the limits held it), fixed unit medical and
    # individual amounts: the last three columns of a person line
    tail = (fixed.get(Part.unit_medical.value, "0.00"), fixed.get(Part.individual.value, "0.00"))
    if page.dialect == "postgres":
        head = f"\t{uid}\t{version}\t{iso_text(event.timestamp)}\t"
        moves.extend(
            f"{position}\t{i}{head}{on}\t{ASSESSED}\t{p}\t{part}\t{a}\t{due}\t\t\n"
            for i, (p, part, a) in enumerate(totals, 1)
        )
        head += f"{_text(period)}\t"
        # Amounts as the event has them: NUMERIC reads "4350.00" as Decimal's str would.
        fixed_text = "\t".join(tail)
        lines.extend(
            f"{position}\t{i}{head}{_text(row[0])}\t{row[1]}\t{row[2]}\t{row[3]}\t{row[4]}"
            f"\t{row[5] if len(row) > 5 else row[1]}\t{fixed_text}\n"
            for i, row in enumerate(event.lines, first)
        )
        return
    at = utc_iso_text(event.timestamp)
    moves.extend(
        (position, i, uid, version, at, on, ASSESSED, p, part, canonical_amount(a), due, "", "")
        for i, (p, part, a) in enumerate(totals, 1)
    )
    fixed_amounts = tuple(canonical_amount(a) for a in tail)
    lines.extend(
        (
            position,
            i,
            uid,
            version,
            at,
            period,
            row[0],
            *map(canonical_amount, row[1:5]),
            canonical_amount(row[5] if len(row) > 5 else row[1]),
            *fixed_amounts,
        )
        for i, row in enumerate(event.lines, first)
    )


def _payment(page: Page, position: int, event: Any) -> None:
    page.add_rows(position, [audit_entry(event)])
    uid, version = uuid_text(event.originator_id), event.originator_version
    on = event.paid_on.isoformat()
    items = _items(event.allocations)
    moves = page.rows(Movement)
    credit = event.unallocated  # a Decimal: rows_of writes a movement when it is not 0
    if page.dialect == "postgres":
        head = f"\t{uid}\t{version}\t{iso_text(event.timestamp)}\t{on}\t"
        moves.extend(
            f"{position}\t{i}{head}{PAID}\t{p}\t{part}\t{a}\t\\N\t\t\n"
            for i, (p, part, a) in enumerate(items, 1)
        )
        if credit:
            moves.append(
                f"{position}\t{len(items) + 1}{head}{CREDIT}\t\\N\t\\N\t{credit!s}\t\\N\t\t\n"
            )
        return
    at = utc_iso_text(event.timestamp)
    moves.extend(
        (position, i, uid, version, at, on, PAID, p, part, canonical_amount(a), None, "", "")
        for i, (p, part, a) in enumerate(items, 1)
    )
    if credit:
        ordinal = len(items) + 1
        moves.append(
            (position, ordinal, uid, version, at, on, CREDIT, None, None, str(credit), None, "", "")
        )


_SHORTCUTS: dict[type, Callable[[Page, int, Any], None]] = {
    Unit.PeriodAssessed: _assessment,
    Unit.PaymentCollected: _payment,
}
