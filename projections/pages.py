"""A page of events as table payloads: what the runner writes in one transaction.

Every event's rows come from ``journal.rows_of``, encoded per table
(``encoding.row_encoder``), except for the two events that make up nearly all of a
history, which are written straight from the event's own strings:

- ``PeriodAssessed``: its audit entry (what ``journal.audit_entry`` holds, written
  without making one), one ``assessed`` movement per total, its person lines as one
  ``AssessedLines`` row (the event's columns transposed and joined into arrays, no
  call per person);
- ``PaymentCollected``: its audit entry, one ``paid`` movement per allocation, a
  ``credit_received`` movement for what was not allocated.

On PostgreSQL their amounts are written as the event has them, once checked to be
plain numbers (``_plain``: as many as there are, each matching ``_NUMERALS``): one that
is not (``1.2.3``, or ``1,2``, which the check's join would read as two) sends the event
down the general path, which refuses it, and the runner sets it aside. Person lines'
amounts, kept as whole fen in both dialects, are taken only in the form the use cases
write (``_FEN_FORM``), their digits being their fen; any other form takes the general
path, which rounds it to the fen (``journal.fens``).

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

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple
from uuid import UUID

from ledger.domain.terms import Part
from ledger.domain.unit import Unit
from ledger.projections.encoding import (
    ENCODERS,
    canonical_amount,
    copy_text,
    copy_text_fields,
    dumps,
    iso_text,
    period_of,
    text_array,
    utc_iso_text,
    uuid_text,
)
from ledger.projections.journal import (
    AssessedLines,
    AuditEntry,
    Kind,
    Movement,
    PersonLine,
    Row,
    audit_detail,
    audit_texts,
    rows_of,
    same_assessment,
)
from ledger.projections.schema import STORED, Dialect, PersonKey, Table


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
        #: person lines added (they are stored a row per assessment)
        self.person_lines = 0
        self._tables = {t.row_type: _TableRows(t, dialect) for t in STORED[dialect]}
        self._lines = self._tables[AssessedLines]
        #: SQLite's side table of persons (PostgreSQL has a GIN index instead)
        self._keys = self._tables.get(PersonKey)
        self._shortcuts = _SHORTCUTS if shortcuts else {}
        #: every table's list of rows, for ``mark`` (called before every event)
        self._lists = tuple(t.rows for t in self._tables.values())

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
        return (self.person_lines, *map(len, self._lists))

    def undo(self, mark: tuple[int, ...]) -> None:
        self.person_lines = mark[0]
        for table, length in zip(self._tables.values(), mark[1:], strict=True):
            del table.rows[length:]

    def add_rows(self, position: int, rows: Sequence[Row]) -> None:
        """Rows at ``position``, in order (their ordinals are their places in ``rows``).

        Consecutive person lines of one assessment become one ``AssessedLines`` row at
        the first one's ordinal (the next ones' ordinals follow it, as they are read)."""
        tables = self._tables
        group: list[PersonLine] = []
        first = 0
        for ordinal, row in enumerate(rows):
            if type(row) is PersonLine:
                if group and not same_assessment(group[-1], row):
                    self._add_lines(position, first, group)
                    group = []
                if not group:
                    first = ordinal
                group.append(row)
                continue
            if group:
                self._add_lines(position, first, group)
                group = []
            table = tables[type(row)]
            table.rows.append(table.encode(position, ordinal, row))
        if group:
            self._add_lines(position, first, group)

    def _add_lines(self, position: int, first: int, lines: list[PersonLine]) -> None:
        row = AssessedLines.of(lines)
        self._lines.rows.append(self._lines.encode(position, first, row))
        self.person_lines += len(lines)
        if self._keys is not None:
            self._keys.rows.extend((position, first, rid) for rid in row.resident_ids)

    def payloads(self) -> list[tuple[Table, Any]]:
        """Per non-empty table: COPY bytes (PostgreSQL) or a list of tuples (SQLite)."""
        postgres = self.dialect == "postgres"
        return [
            (t.table, "".join(t.rows).encode() if postgres else t.rows)
            for t in self._tables.values()
            if t.rows
        ]

    def count(self, row_type: type[Row]) -> int:
        if row_type is PersonLine:
            return self.person_lines
        return len(self._tables[row_type].rows)

    def rows(self, row_type: type[Any]) -> list[Any]:
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


class Audit(NamedTuple):
    """What an event's audit entry holds besides its position: its unit, version and
    recorded instant, its type's name, its ``AUDIT_TEXTS`` and its detail as JSON."""

    #: the unit's UUID, or its text as ``str`` writes it (given by the log's reader)
    uid: UUID | str
    version: int
    at: datetime
    name: str
    texts: tuple[Any, ...]
    detail: str
    #: ``at.isoformat()`` where it is known already (the stored text it was read from)
    at_text: str | None = None


def _audit_of(event: Any) -> Audit:
    texts = audit_texts(event)
    detail = dumps(audit_detail(event))
    uid, version = event.originator_id, event.originator_version
    return Audit(uid, version, event.timestamp, type(event).__name__, texts, detail)


def _audit(page: Page, position: int, audit: Audit) -> tuple[str, str]:
    """The event's audit entry at ordinal 0, as the encoder of ``view_audit`` writes an
    ``audit_entry``: without the entry (a frozen dataclass of twelve fields costs a
    fifth of the audit row), the text columns escaped in one pass. Returns the unit's
    UUID and the recorded instant as the dialect writes them, for the event's other rows."""
    uid = audit.uid if type(audit.uid) is str else uuid_text(audit.uid)
    version, name = audit.version, audit.name
    if page.dialect == "postgres":
        at = audit.at_text or iso_text(audit.at)
        # JSON holds no tab, newline, return or NUL (it escapes them): only a backslash
        # can need COPY's escaping
        detail = audit.detail
        if "\\" in detail:
            detail = copy_text(detail)
        page.rows(AuditEntry).append(
            f"{position}\t0\t{uid}\t{version}\t{at}\t"
            f"{copy_text(name)}\t{copy_text_fields(audit.texts)}\t{detail}\n"
        )
        return uid, at
    at = utc_iso_text(audit.at)
    texts = map(str, audit.texts)
    page.rows(AuditEntry).append((position, 0, uid, version, at, name, *texts, audit.detail))
    return uid, at


def _text(value: str) -> str:
    """COPY text of an identifier: escaped only when it is not plain letters and digits."""
    return value if value.isalnum() else copy_text(value)


Columns = tuple[tuple[str, ...], ...]


#: PostgreSQL: amounts joined by commas, each an optional minus, digits and an optional
#: point with digits (what Decimal and NUMERIC both read, and nothing COPY or an array
#: literal reads as structure). Possessive: 2.8 µs for 68 amounts against 5.0 without
#: (and 1.3 for the characters alone, which let ``1.2.3`` through to fail its page's
#: COPY on every retry instead of being set aside).
_NUMERALS = re.compile(r"-?[0-9]++(?:\.[0-9]++)?+(?:,-?[0-9]++(?:\.[0-9]++)?+)*+").fullmatch

#: person amounts joined by commas, each as the use cases write a Money: digits (at most
#: 16 before the point: ``journal.FEN_LIMIT``), a point and two decimals, no sign. An
#: amount's fen are then its digits; a leading zero ("0.05", or "04350.00", which the use
#: cases never write) is dropped after (``_fen_text``). 3.8 µs for 66 amounts, against
#: 6.1 for a pattern that refuses leading zeros itself.
_FEN_FORM = re.compile(r"[0-9]{1,16}+\.[0-9][0-9](?:,[0-9]{1,16}+\.[0-9][0-9])*+").fullmatch
_LEADING_ZEROS = re.compile(r"(?<![0-9])0+(?=[0-9])")


def _fen_text(amounts: str, zeros: bool) -> str:
    """Amounts in ``_FEN_FORM`` (joined by anything but digits and points) as whole fen:
    the text ``str`` writes of each ``journal.fens`` value ("0.05" is 5, "0.00" is 0).
    ``zeros``: whether any amount starts with 0 (the leading zeros are dropped then)."""
    fen = amounts.replace(".", "")
    return _LEADING_ZEROS.sub("", fen) if zeros else fen


class _Persons(NamedTuple):
    resident_ids: tuple[str, ...]
    #: each array of amounts (bases, the three parts, the declared bases if any: a fifth
    #: only where one is not the base) as the event has them, joined by commas
    joined: list[str]
    #: whether an amount starts with 0 (under a yuan, or a leading zero)
    zeros: bool


def _person_columns(lines: list[list[str]]) -> _Persons | None:
    """The event's person lines transposed: resident IDs, bases, the three parts, and
    the declared bases (left out when each is the base), or None when a line is not as the
    use cases write it (a width other than 5 or 6, an amount not in ``_FEN_FORM``):
    such an event takes the general path, which refuses or rounds as rows_of and
    ``journal.fens`` do."""
    widths = set(map(len, lines))
    if widths == {5}:
        columns: Columns = tuple(zip(*lines, strict=False))  # one width: none is short
        declared = None
    elif widths <= {5, 6}:
        columns = tuple(zip(*(row[:5] for row in lines), strict=True))
        declared = tuple(row[5] if len(row) > 5 else row[1] for row in lines)
        if declared == columns[1]:
            declared = None
    else:
        return None
    if not all(type(rid) is str for rid in columns[0]):
        return None  # a resident ID is text: the general path decides what a number is
    joined = [",".join(c) for c in (*columns[1:], *([declared] if declared else []))]
    amounts = ",".join(joined)
    if not _plain(amounts, len(joined) * len(lines), _FEN_FORM):
        return None
    zeros = amounts[:1] == "0" or ",0" in amounts
    if zeros and declared is not None and _fen_text(joined[4], True) == _fen_text(joined[0], True):
        joined = joined[:4]  # the same amounts, one with a leading zero
    return _Persons(columns[0], joined, zeros)


def _plain(joined: str, count: int, form: Callable[[str], Any] = _NUMERALS) -> bool:
    """Whether ``joined`` is ``count`` amounts in ``form`` (by default, what PostgreSQL
    reads as NUMERIC), joined by commas (an amount with a comma in it would read as two)."""
    return joined.count(",") == count - 1 and form(joined) is not None


class Assessed(NamedTuple):
    """What the shortcut reads of a PeriodAssessed (besides its audit entry): its
    strings as the event holds them, its dates as ISO text."""

    period: str
    lines: list[list[str]]
    totals: list[list[str]]
    fixed: list[list[str]]
    on: str
    due: str


def assessment(page: Page, position: int, audit: Audit, event: Assessed) -> bool:
    """Writes the rows of a PeriodAssessed; False (and nothing written) where the
    general path must take it (person lines or amounts not as the use cases write them)."""
    persons = _person_columns(event.lines) if event.lines else None
    fixed = dict(event.fixed)
    # fixed unit medical and individual amounts per person, the same for every line
    tail = (fixed.get(Part.unit_medical.value, "0.00"), fixed.get(Part.individual.value, "0.00"))
    postgres = page.dialect == "postgres"
    if (event.lines and persons is None) or (
        # PostgreSQL takes the amounts as they are (SQLite's go through canonical_amount)
        postgres
        and not _plain(",".join([*(row[2] for row in event.totals), *tail]), len(event.totals) + 2)
    ):
        return False
    uid, at = _audit(page, position, audit)
    version = audit.version
    period = _period_text(event.period)
    on, due = event.on, event.due
    totals = _items(event.totals)
    moves, lines = page.rows(Movement), page.rows(AssessedLines)
    first = 1 + len(totals)
    if postgres:
        head = f"\t{uid}\t{version}\t{at}\t"
        moves.extend(
            f"{position}\t{i}{head}{on}\t{ASSESSED}\t{p}\t{part}\t{a}\t{due}\t\t\n"
            for i, (p, part, a) in enumerate(totals, 1)
        )
        if persons is not None:
            rids, joined, zeros = persons
            arrays = _fen_text("}\t{".join(joined[:4]), zeros)
            held = "\\N" if len(joined) == 4 else f"{{{_fen_text(joined[4], zeros)}}}"
            lines.append(
                f"{position}\t{first}{head}{_text(period)}\t{tail[0]}\t{tail[1]}\t"
                f"{text_array(rids)}\t{{{arrays}}}\t{held}\n"
            )
            page.person_lines += len(rids)
        return True
    moves.extend(
        (position, i, uid, version, at, on, ASSESSED, p, part, canonical_amount(a), due, "", "")
        for i, (p, part, a) in enumerate(totals, 1)
    )
    if persons is not None:
        rids, joined, zeros = persons
        fens = [_fen_text(amounts, zeros) for amounts in joined]
        lines.append(
            (
                position,
                first,
                uid,
                version,
                at,
                period,
                *map(canonical_amount, tail),
                dumps(rids),
                *(f"[{fen}]" for fen in fens[:4]),
                None if len(fens) == 4 else f"[{fens[4]}]",
            )
        )
        page.person_lines += len(rids)
        keys = page.rows(PersonKey)
        keys.extend((position, first, rid) for rid in rids)
    return True


class Paid(NamedTuple):
    """What the shortcut reads of a PaymentCollected (besides its audit entry)."""

    allocations: list[list[str]]
    on: str
    #: what was not allocated: rows_of writes a movement when it is not 0
    credit: Decimal


def payment(page: Page, position: int, audit: Audit, event: Paid) -> bool:
    """Writes the rows of a PaymentCollected; False (and nothing written) where the
    general path must take it (an allocated amount PostgreSQL could not read)."""
    postgres = page.dialect == "postgres"
    allocations = event.allocations
    amounts = ",".join(row[2] for row in allocations)
    if postgres and allocations and not _plain(amounts, len(allocations)):
        return False
    uid, at = _audit(page, position, audit)
    version = audit.version
    on = event.on
    items = _items(event.allocations)
    moves = page.rows(Movement)
    credit = event.credit
    if postgres:
        head = f"\t{uid}\t{version}\t{at}\t{on}\t"
        moves.extend(
            f"{position}\t{i}{head}{PAID}\t{p}\t{part}\t{a}\t\\N\t\t\n"
            for i, (p, part, a) in enumerate(items, 1)
        )
        if credit:
            moves.append(
                f"{position}\t{len(items) + 1}{head}{CREDIT}\t\\N\t\\N\t{credit!s}\t\\N\t\t\n"
            )
        return True
    moves.extend(
        (position, i, uid, version, at, on, PAID, p, part, canonical_amount(a), None, "", "")
        for i, (p, part, a) in enumerate(items, 1)
    )
    if credit:
        ordinal = len(items) + 1
        moves.append(
            (position, ordinal, uid, version, at, on, CREDIT, None, None, str(credit), None, "", "")
        )
    return True


def _assessment(page: Page, position: int, event: Any) -> None:
    fields = Assessed(
        event.period,
        event.lines,
        event.totals,
        event.fixed,
        event.assessed_on.isoformat(),
        event.due_date.isoformat(),
    )
    if not assessment(page, position, _audit_of(event), fields):
        page.add_rows(position, rows_of(event))


def _payment(page: Page, position: int, event: Any) -> None:
    fields = Paid(event.allocations, event.paid_on.isoformat(), event.unallocated)
    if not payment(page, position, _audit_of(event), fields):
        page.add_rows(position, rows_of(event))  # refuses what it cannot read


_SHORTCUTS: dict[type, Callable[[Page, int, Any], None]] = {
    Unit.PeriodAssessed: _assessment,
    Unit.PaymentCollected: _payment,
}
