"""The views' SQL stores: SQLite (embedded default) and PostgreSQL, one contract.

``ledger.bootstrap.open_view_store(settings, ledger)`` opens one beside the events (the same
SQLite file, or the same PostgreSQL database and schema), tables prefixed ``view_``,
created if missing: the read side is handed its store, it never reads the settings.
``SqlViewStore`` implements every read of ``ViewStore`` with
``MemoryViewStore``'s semantics (filters, ``known_at``, order of rows) in SQL;
its subclasses only say how to talk to their database.

Writing is the runner's business (``ledger.projections.runner``): a page of rows and
the tracking position in one transaction, ``after`` naming the position the page
was read from so that a concurrent runner's page is refused, not doubled.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from ledger.domain.errors import Conflict, HistoryDamaged, Unavailable
from ledger.domain.period import Period
from ledger.projections.balance_ready import ReadyBalance, decode, encode
from ledger.projections.encoding import dumps, row_reader
from ledger.projections.journal import (
    AuditEntry,
    DeferralDecision,
    Movement,
    PersonLine,
    PersonReduction,
    Quarantined,
    Row,
    UnitRegistered,
    audit_detail,
)
from ledger.projections.pages import Page
from ledger.projections.reading import EventLog
from ledger.projections.schema import (
    READY_TABLE,
    TABLE_OF,
    TABLES,
    TRACKING_NAME,
    TRACKING_TABLE,
    Dialect,
)
from ledger.projections.store import region_prefix


class PositionMoved(Conflict):
    """Another runner moved the tracking position since this page was read: nothing written."""

    def __init__(self, expected: int, found: int) -> None:
        super().__init__(
            f"the views' position is {found}, this page was read after {expected}: "
            "another runner is writing the views"
        )
        self.expected = expected
        self.found = found


_REGISTERED_CACHED = 500_000
#: kept balances decoded per process (a few kilobytes each)
_DECODED_KEPT = 20_000


class SqlViewStore(ABC):
    """``ViewStore`` over SQL tables; subclasses connect, write pages and clear."""

    dialect: Dialect

    def __init__(self) -> None:
        self._readers = {t.row_type: row_reader(t.row_type, self.dialect) for t in TABLES}
        self._readers[PersonLine] = row_reader(PersonLine, self.dialect)
        #: registrations found by USCC: a registration row never changes once written
        #: (and ``known_at`` is checked against its ``recorded_at`` by the caller), so a
        #: unit read looks it up once per process, not once per request
        self._registered: dict[str, UnitRegistered] = {}
        #: balances kept, as ``unit_read`` decoded them last (per unit)
        self._decoded: dict[UUID, ReadyBalance] = {}
        #: the log whose events the views are made of, where the audit trail reads the
        #: details left to the events (``stored.FROM_EVENT``: the detail repeats the event,
        #: and building and storing it cost a rebuild a tenth of its CPU); set by whoever
        #: opens the store with its ledger. None: the runner leaves no detail to them.
        self.events: EventLog | None = None

    # ------------------------------------------------------------ dialect

    @abstractmethod
    def _select(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Rows of a query, with ``?`` placeholders."""

    @abstractmethod
    def _qualified(self, name: str) -> str:
        """A table's name as queries write it (in the store's schema)."""

    @abstractmethod
    def _in(self, column: str, values: list[Any]) -> tuple[str, list[Any]]:
        """``column`` is one of ``values`` (any number of them, one parameter)."""

    @abstractmethod
    def _each(self, values: list[Any]) -> tuple[str, list[Any]]:
        """A subquery of one row per value, its column ``value`` (one parameter)."""

    @abstractmethod
    def _starts_with(self, column: str, prefix: str) -> tuple[str, list[Any]]: ...

    @abstractmethod
    def _param(self, value: Any) -> Any:
        """A UUID or an instant as the database compares it."""

    @abstractmethod
    def _keep(self, sql: str, params: Sequence[Any]) -> None:
        """Runs one write of a read path (the balance kept ready) in its own transaction."""

    @abstractmethod
    def _has_person(self, resident_id: str) -> tuple[str, list[Any]]:
        """An ``AssessedLines`` row has a line for the person (an indexed condition)."""

    @abstractmethod
    def _person_lines(self, where: Where, resident_id: str | None) -> list[PersonLine]:
        """The lines of the ``AssessedLines`` rows ``where`` selects, in order (position,
        ordinal, place in the arrays), only the person's when one is given."""

    # ------------------------------------------------------------ writing

    @abstractmethod
    def write(
        self, page: Page, position: int, *, after: int | None = None, durable: bool = True
    ) -> None:
        """Stores the page and moves the tracking position to ``position``, in one
        transaction. With ``after``, only if the position is still ``after``
        (otherwise ``PositionMoved`` and nothing is written).

        ``durable=False`` (a rebuild's pages) lets the commit return before its WAL is
        flushed where the database allows it (PostgreSQL): the page's rows and its
        position still commit together or not at all, so a crash of the database can
        only lose a tail of pages, position included, and the next catch-up reads that
        tail again. The views are derived; nothing is lost that the log does not hold."""

    @abstractmethod
    def clear(self) -> None:
        """Empties every view and sets the position to 0, in one transaction; the read
        paths' indexes are dropped until ``create_indexes`` (a rebuild loads faster)."""

    @abstractmethod
    def create_indexes(self) -> None:
        """The read paths' indexes, built if missing (and statistics refreshed)."""

    @abstractmethod
    def close(self) -> None: ...

    def new_page(self) -> Page:
        return Page(self.dialect)

    def append(self, rows: Sequence[Row], position: int, *, after: int | None = None) -> None:
        """Stores rows and the new position in one transaction (``ViewStore.append``).

        The rows are keyed by ``position`` and their place in ``rows``: appending
        twice at one position is refused (the store never holds a page twice).
        """
        page = self.new_page()
        page.add_rows(position, rows)
        self.write(page, position, after=after)

    # ------------------------------------------------------------ reading

    def position(self) -> int:
        found = self._select(
            f"SELECT position FROM {self._qualified(TRACKING_TABLE)} WHERE name = ?",
            [TRACKING_NAME],
        )
        return int(found[0][0]) if found else 0

    def units(
        self,
        *,
        region: str | None = None,
        agency: str | None = None,
        known_at: datetime | None = None,
    ) -> list[UnitRegistered]:
        where = Where()
        if region:
            where.add(*self._starts_with("region", region_prefix(region)))
        if agency is not None:
            where.add("agency = ?", [agency])
        self._known(where, known_at)
        return self._rows(UnitRegistered, where)

    def unit_by_uscc(self, uscc: str) -> UnitRegistered | None:
        cached = self._registered.get(uscc)
        if cached is not None:
            return cached
        where = Where()
        where.add("uscc = ?", [uscc])
        found: list[UnitRegistered] = self._rows(UnitRegistered, where, limit=1)
        if not found:
            return None  # not cached: it may be registered a moment later
        if len(self._registered) >= _REGISTERED_CACHED:
            self._registered.clear()  # a city's units fit; past that, start again
        self._registered[uscc] = found[0]
        return found[0]

    def known_unit(self, uscc: str) -> UnitRegistered | None:
        """The registration ``unit_by_uscc`` found before, if kept (no I/O)."""
        return self._registered.get(uscc)

    def quarantined(self, originator_ids: Iterable[UUID]) -> list[Quarantined]:
        where = Where()
        ids = [self._param(u) for u in dict.fromkeys(originator_ids)]
        if not ids:
            return []
        where.add(*self._in("originator_id", ids))
        return self._rows(Quarantined, where)

    def set_aside(self) -> int:
        """How many events the views set aside (``Quarantined``)."""
        (count,) = self._select(f"SELECT COUNT(*) FROM {self._qualified('view_quarantine')}", [])[0]
        return int(count)

    def last_versions(self, originator_ids: Iterable[UUID]) -> dict[UUID, int]:
        """The last version of each aggregate the views hold (mapped or set aside)."""
        ids = [self._param(u) for u in dict.fromkeys(originator_ids)]
        if not ids:
            return {}
        found: dict[UUID, int] = {}
        for table in ("view_audit", "view_quarantine"):
            each, params = self._each(ids)
            # each aggregate's last version by itself, from the end of the (originator id,
            # version) index: a MAX over the matching rows grouped read every version of
            # every aggregate of the page (a quarter of a core under steady payments)
            rows = self._select(
                f"SELECT i.value, (SELECT MAX(t.version) FROM {self._qualified(table)} t "
                f"WHERE t.originator_id = i.value) FROM ({each}) AS i",
                params,
            )
            for originator, version in rows:
                if version is None:
                    continue
                key = originator if isinstance(originator, UUID) else UUID(originator)
                found[key] = max(found.get(key, 0), version)
        return found

    def kept_balance(self, unit_id: UUID) -> tuple[ReadyBalance | None, int]:
        """The unit's balance kept (folded through some version, perhaps not the last)
        and the version of the unit's last movement the views hold, in one query."""
        key = self._param(unit_id)
        ((state, last),) = self._select(
            f"SELECT (SELECT state FROM {self._qualified(READY_TABLE)} WHERE unit_id = ?), "
            f"(SELECT COALESCE(MAX(version), 0) FROM {self._qualified('view_movements')} "
            "WHERE unit_id = ?)",
            [key, key],
        )
        return (decode(state) if state is not None else None), int(last)

    def unit_read(
        self, unit_id: UUID, beside: Sequence[tuple[str, Sequence[Any]]] = ()
    ) -> UnitRead:
        """What a balance read of the unit asks of the views, in one query: their
        position, whether one of the unit's events was set aside, the balance kept and the
        version of the unit's last movement; and ``beside``, scalar subqueries of the
        caller's (``?`` placeholders) over tables of the same database, answered from the
        same snapshot (the event store's head and a token's newer events: ``ReadSide``).

        The balance kept is decoded once per process and version folded through: the
        state of a unit folded through a version is always the same (its events never
        change), so the query sends it only when the row's version is not the one this
        process decoded last. The state handed out is shared between reads: price it
        (``balance_view.kept_view`` closes copies of its items), never carry it on."""
        key = self._param(unit_id)
        decoded = self._decoded.get(unit_id)
        damaged, damaged_params = self._in("originator_id", [key])
        parts = [f"({sub})" for sub, _ in beside]
        parts += [
            f"(SELECT position FROM {self._qualified(TRACKING_TABLE)} WHERE name = ?)",
            f"EXISTS (SELECT 1 FROM {self._qualified('view_quarantine')} WHERE {damaged})",
            "kept.through",
            "CASE WHEN kept.through = ? THEN NULL ELSE kept.state END",
            f"(SELECT COALESCE(MAX(version), 0) FROM {self._qualified('view_movements')} "
            "WHERE unit_id = ?)",
        ]
        params = [p for _, given in beside for p in given]
        params += [TRACKING_NAME, *damaged_params, -1 if decoded is None else decoded.through]
        params += [key, key]  # the last movement's, the join's
        (row,) = self._select(
            f"SELECT {', '.join(parts)} FROM (SELECT 1 AS one) AS one "
            f"LEFT JOIN {self._qualified(READY_TABLE)} AS kept ON kept.unit_id = ?",
            params,
        )
        *values, position, set_aside, through, state, last = row
        kept = None
        if state is not None:
            kept = decode(state)
            if kept is not None:
                if len(self._decoded) >= _DECODED_KEPT:
                    self._decoded.clear()
                self._decoded[unit_id] = kept
        elif through is not None and decoded is not None and through == decoded.through:
            kept = decoded
        return UnitRead(tuple(values), int(position or 0), bool(set_aside), kept, int(last))

    def movements_after(self, unit_id: UUID, version: int) -> list[Movement]:
        """The unit's movements of events after ``version``, in the order appended."""
        where = Where()
        self._units(where, [unit_id])
        where.add("version > ?", [version])
        return self._rows(Movement, where)

    def keep_ready_balance(self, unit_id: UUID, ready: ReadyBalance) -> None:
        """Keeps a unit's balance folded by a read; never over one folded further."""
        table = self._qualified(READY_TABLE)
        self._keep(
            f"INSERT INTO {table} AS kept (unit_id, through, state) VALUES (?, ?, ?) "
            "ON CONFLICT (unit_id) DO UPDATE SET through = excluded.through, "
            "state = excluded.state WHERE excluded.through >= kept.through",
            [self._param(unit_id), ready.through, encode(ready)],
        )

    def movements(
        self, unit_ids: Iterable[UUID], *, known_at: datetime | None = None
    ) -> list[Movement]:
        where = Where()
        if not self._units(where, unit_ids):
            return []
        self._known(where, known_at)
        return self._rows(Movement, where)

    def person_lines(
        self,
        *,
        unit_ids: Iterable[UUID] | None = None,
        resident_id: str | None = None,
        periods: Iterable[Period] | None = None,
        known_at: datetime | None = None,
    ) -> list[PersonLine]:
        where = Where()
        if unit_ids is not None and not self._units(where, unit_ids):
            return []
        if resident_id is not None:
            where.add(*self._has_person(resident_id))
        if periods is not None:
            months = sorted({str(p) for p in periods})
            if not months:
                return []
            where.add(*self._in("period", months))
        self._known(where, known_at)
        return self._person_lines(where, resident_id)

    def person_reductions(
        self,
        *,
        unit_ids: Iterable[UUID] | None = None,
        resident_id: str | None = None,
        known_at: datetime | None = None,
    ) -> list[PersonReduction]:
        where = Where()
        if unit_ids is not None and not self._units(where, unit_ids):
            return []
        if resident_id is not None:
            where.add("resident_id = ?", [resident_id])
        self._known(where, known_at)
        return self._rows(PersonReduction, where)

    def deferral_decisions(
        self, unit_ids: Iterable[UUID], *, known_at: datetime | None = None
    ) -> list[DeferralDecision]:
        where = Where()
        if not self._units(where, unit_ids):
            return []
        self._known(where, known_at)
        return self._rows(DeferralDecision, where)

    def audit(
        self,
        *,
        originator_id: UUID | None = None,
        versions: Iterable[int] | None = None,
        resident_id: str | None = None,
        types: Iterable[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        known_at: datetime | None = None,
    ) -> list[AuditEntry]:
        """Audit entries in recorded order (recorded_at, originator, version)."""
        where = Where()
        if originator_id is not None:
            where.add("originator_id = ?", [self._param(originator_id)])
        if versions is not None:
            chosen = sorted(set(versions))
            if not chosen:
                return []
            where.add(*self._in("version", chosen))
        if resident_id is not None:
            where.add("resident_id = ?", [resident_id])
        if types is not None:
            kinds = sorted(set(types))
            if not kinds:
                return []
            where.add(*self._in("event_type", kinds))
        if since is not None:
            where.add("recorded_at >= ?", [self._param(since)])
        if until is not None:
            where.add("recorded_at <= ?", [self._param(until)])
        self._known(where, known_at)
        entries = self._rows(AuditEntry, where, order="recorded_at, originator_id, version")
        return self._with_details(entries)

    def _with_details(self, entries: list[AuditEntry]) -> list[AuditEntry]:
        """The entries, those whose detail was left to the event (JSON null) with it made
        from the event as ``journal.audit_detail`` makes it."""
        left: dict[UUID, list[int]] = {}
        for e in entries:
            if e.detail is None:
                left.setdefault(e.originator_id, []).append(e.version)
        if not left:
            return entries
        details = self._details_of(left)
        return [
            e if e.detail is not None else replace(e, detail=details[e.originator_id, e.version])
            for e in entries
        ]

    def _details_of(self, left: dict[UUID, list[int]]) -> dict[tuple[UUID, int], Any]:
        log = self.events
        if log is None:
            raise Unavailable(
                "the views leave some audit details to the events, and were opened "
                "without them: open the views with their ledger (open_view_store)"
            )
        found: dict[tuple[UUID, int], Any] = {}
        for uid, versions in left.items():
            # runs of consecutive versions, each one read: never the events between
            # (a large assessment between two payments keeps its own detail)
            for first, last in _runs(versions):
                for s in log.recorder.select_events(uid, gt=first - 1, lte=last):
                    try:
                        event = log.mapper.to_domain_event(s)
                    except Exception as exc:
                        raise HistoryDamaged(
                            f"the event {uid} version {s.originator_version}, whose audit "
                            f"detail the views leave to it, cannot be decoded ({exc})"
                        ) from exc
                    # as the entry's column would have held it: JSON, read back
                    found[uid, s.originator_version] = json.loads(dumps(audit_detail(event)))
            for version in versions:
                if (uid, version) not in found:
                    raise HistoryDamaged(
                        f"the event log holds no event {uid} version {version}, whose audit "
                        "entry the views hold: the log is damaged (`ledger audit verify`)"
                    )
        return found

    # ------------------------------------------------------------ helpers

    def _units(self, where: Where, unit_ids: Iterable[UUID]) -> bool:
        """Adds the unit filter; False when no unit is asked for (nothing can match)."""
        ids = [self._param(u) for u in dict.fromkeys(unit_ids)]
        if ids:
            where.add(*self._in("unit_id", ids))
        return bool(ids)

    def _known(self, where: Where, known_at: datetime | None) -> None:
        if known_at is not None:
            where.add("recorded_at <= ?", [self._param(known_at)])

    def _rows(
        self,
        row_type: type[Any],
        where: Where,
        *,
        order: str = "position, ordinal",
        limit: int | None = None,
    ) -> list[Any]:
        table = TABLE_OF[row_type]
        columns = ", ".join(c.name for c in table.columns)
        sql = f"SELECT {columns} FROM {self._qualified(table.name)}{where.sql()} ORDER BY {order}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        read = self._readers[row_type]
        return [read(values) for values in self._select(sql, where.params)]


def _runs(versions: list[int]) -> list[tuple[int, int]]:
    """Sorted versions as (first, last) runs of consecutive ones."""
    runs: list[tuple[int, int]] = []
    for v in sorted(set(versions)):
        if runs and runs[-1][1] == v - 1:
            runs[-1] = (runs[-1][0], v)
        else:
            runs.append((v, v))
    return runs


@dataclass(frozen=True, slots=True)
class UnitRead:
    """``SqlViewStore.unit_read``: one unit's balance read as the views stand."""

    #: the values of the caller's subqueries, in order
    beside: tuple[Any, ...]
    #: the views' position (the last notification projected)
    position: int
    #: one of the unit's events was set aside (``Quarantined``): its figures are withheld
    damaged: bool
    #: the balance kept (folded through some version, perhaps not the last)
    kept: ReadyBalance | None
    #: the version of the unit's last movement the views hold
    last: int


class Where:
    """Conditions joined by AND, with ``?`` placeholders, and their parameters."""

    def __init__(self) -> None:
        self.conditions: list[str] = []
        self.params: list[Any] = []

    def add(self, condition: str, params: list[Any]) -> None:
        self.conditions.append(condition)
        self.params.extend(params)

    def sql(self) -> str:
        return " WHERE " + " AND ".join(self.conditions) if self.conditions else ""
