"""Where view rows live, and the one interface the views read them through.

``ViewStore`` is the contract between the runner (which appends rows) and the views
(which read them): the SQLite and PostgreSQL stores implement it over tables, and
``MemoryViewStore`` over lists, for the folds' unit tests and for scratch replays.
Every read takes ``known_at`` (only rows recorded up to that instant); "as of" is
the views' business: they filter movements on their business date.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from uuid import UUID

from ledger.domain.period import Period
from ledger.projections.balance_ready import ReadyBalance
from ledger.projections.journal import (
    AuditEntry,
    DeferralDecision,
    Movement,
    PersonLine,
    PersonReduction,
    Quarantined,
    Row,
    UnitRegistered,
)


class ViewStore(Protocol):
    """Append rows with a tracking position; read them back filtered."""

    def position(self) -> int:
        """The last notification id whose rows are stored (0 when empty)."""
        ...

    def append(self, rows: Sequence[Row], position: int) -> None:
        """Stores a page of rows and the new position in one transaction."""
        ...

    def units(
        self,
        *,
        region: str | None = None,
        agency: str | None = None,
        known_at: datetime | None = None,
    ) -> list[UnitRegistered]:
        """Registered units; ``region`` matches a code prefix (150000 -> 15xxxx)."""
        ...

    def unit_by_uscc(self, uscc: str) -> UnitRegistered | None: ...

    def quarantined(self, originator_ids: Iterable[UUID]) -> list[Quarantined]:
        """The events of these aggregates the views set aside (see ``Quarantined``)."""
        ...

    def set_aside(self) -> int:
        """How many events the views set aside in all (almost always none)."""
        ...

    def movements(
        self, unit_ids: Iterable[UUID], *, known_at: datetime | None = None
    ) -> list[Movement]: ...

    def kept_balance(self, unit_id: UUID) -> tuple[ReadyBalance | None, int]:
        """The unit's balance kept (if any, folded through some version) and the version
        of the unit's last movement the views hold."""
        ...

    def movements_after(self, unit_id: UUID, version: int) -> list[Movement]:
        """The unit's movements of events after ``version``."""
        ...

    def keep_ready_balance(self, unit_id: UUID, ready: ReadyBalance) -> None:
        """Keeps a unit's balance folded through its last movement (a store may not)."""
        ...

    def person_lines(
        self,
        *,
        unit_ids: Iterable[UUID] | None = None,
        resident_id: str | None = None,
        periods: Iterable[Period] | None = None,
        known_at: datetime | None = None,
    ) -> list[PersonLine]: ...

    def person_reductions(
        self,
        *,
        unit_ids: Iterable[UUID] | None = None,
        resident_id: str | None = None,
        known_at: datetime | None = None,
    ) -> list[PersonReduction]: ...

    def deferral_decisions(
        self, unit_ids: Iterable[UUID], *, known_at: datetime | None = None
    ) -> list[DeferralDecision]: ...

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
        """Audit entries in recorded order (recorded_at, originator, version); with
        ``versions``, only those versions (of ``originator_id``'s aggregate)."""
        ...


def _known(at: datetime, known_at: datetime | None) -> bool:
    return known_at is None or at <= known_at


@dataclass
class MemoryViewStore:
    """The contract over plain lists: for unit tests of views and scratch replays."""

    rows: list[Row] = field(default_factory=list)
    _position: int = 0

    def position(self) -> int:
        return self._position

    def append(self, rows: Sequence[Row], position: int) -> None:
        self.rows.extend(rows)
        self._position = position

    def units(
        self,
        *,
        region: str | None = None,
        agency: str | None = None,
        known_at: datetime | None = None,
    ) -> list[UnitRegistered]:
        prefix = region_prefix(region) if region else ""
        return [
            r
            for r in self.rows
            if isinstance(r, UnitRegistered)
            and r.region.startswith(prefix)
            and (agency is None or r.agency == agency)
            and _known(r.recorded_at, known_at)
        ]

    def unit_by_uscc(self, uscc: str) -> UnitRegistered | None:
        found = [r for r in self.rows if isinstance(r, UnitRegistered) and r.uscc == uscc]
        return found[0] if found else None

    def set_aside(self) -> int:
        return sum(1 for r in self.rows if isinstance(r, Quarantined))

    def quarantined(self, originator_ids: Iterable[UUID]) -> list[Quarantined]:
        wanted = set(originator_ids)
        return [r for r in self.rows if isinstance(r, Quarantined) and r.originator_id in wanted]

    def kept_balance(self, unit_id: UUID) -> tuple[ReadyBalance | None, int]:
        return None, 0  # lists fold as fast as they would decode a kept state

    def movements_after(self, unit_id: UUID, version: int) -> list[Movement]:
        return [m for m in self.movements([unit_id]) if m.version > version]

    def keep_ready_balance(self, unit_id: UUID, ready: ReadyBalance) -> None:
        return None

    def movements(
        self, unit_ids: Iterable[UUID], *, known_at: datetime | None = None
    ) -> list[Movement]:
        wanted = set(unit_ids)
        return [
            r
            for r in self.rows
            if isinstance(r, Movement) and r.unit_id in wanted and _known(r.recorded_at, known_at)
        ]

    def person_lines(
        self,
        *,
        unit_ids: Iterable[UUID] | None = None,
        resident_id: str | None = None,
        periods: Iterable[Period] | None = None,
        known_at: datetime | None = None,
    ) -> list[PersonLine]:
        units = set(unit_ids) if unit_ids is not None else None
        months = set(periods) if periods is not None else None
        return [
            r
            for r in self.rows
            if isinstance(r, PersonLine)
            and (units is None or r.unit_id in units)
            and (resident_id is None or r.resident_id == resident_id)
            and (months is None or r.period in months)
            and _known(r.recorded_at, known_at)
        ]

    def person_reductions(
        self,
        *,
        unit_ids: Iterable[UUID] | None = None,
        resident_id: str | None = None,
        known_at: datetime | None = None,
    ) -> list[PersonReduction]:
        units = set(unit_ids) if unit_ids is not None else None
        return [
            r
            for r in self.rows
            if isinstance(r, PersonReduction)
            and (units is None or r.unit_id in units)
            and (resident_id is None or r.resident_id == resident_id)
            and _known(r.recorded_at, known_at)
        ]

    def deferral_decisions(
        self, unit_ids: Iterable[UUID], *, known_at: datetime | None = None
    ) -> list[DeferralDecision]:
        wanted = set(unit_ids)
        return [
            r
            for r in self.rows
            if isinstance(r, DeferralDecision)
            and r.unit_id in wanted
            and _known(r.recorded_at, known_at)
        ]

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
        kinds = set(types) if types is not None else None
        wanted = set(versions) if versions is not None else None
        found = [
            r
            for r in self.rows
            if isinstance(r, AuditEntry)
            and (originator_id is None or r.originator_id == originator_id)
            and (wanted is None or r.version in wanted)
            and (resident_id is None or r.resident_id == resident_id)
            and (kinds is None or r.type in kinds)
            and (since is None or r.recorded_at >= since)
            and (until is None or r.recorded_at <= until)
            and _known(r.recorded_at, known_at)
        ]
        return sorted(found, key=lambda r: (r.recorded_at, str(r.originator_id), r.version))


def region_prefix(code: str) -> str:
    """150000 (a province) -> "15", 150400 (a prefecture) -> "1504", 150402 -> "150402"."""
    trimmed = code.rstrip("0")
    if len(trimmed) <= 2:
        return code[:2]
    if len(trimmed) <= 4:
        return code[:4]
    return code
