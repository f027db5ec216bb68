"""The audit trail: every event of a unit, or naming a person, in recorded order.

Each entry shows when it was recorded, by whom, why (the reason given), under which
request, and for a decision the policy it applied (document number, version and
paragraph) and the fact that caused it. Filters: event kinds (type names such as
``PaymentCollected``), a recorded-time window (``since``/``until``), ``known_at``
(nothing recorded after it) and ``as_of``: entries whose business date (the day an
assessment was made, a payment collected, a decision took effect…) falls after it
are left out; entries without one (a base change, a policy's index entry) stay.

A person's trail is the events that name them (joined, base changed, left, a deferred
part called due for them) and the assessments whose lines include them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from ledger.projections.items import find_unit
from ledger.projections.journal import AuditEntry, audit_entry
from ledger.projections.store import ViewStore

#: the fields holding an event's business date, in the order they are looked for
BUSINESS_DATES = (
    "decided_on",
    "assessed_on",
    "paid_on",
    "revoked_on",
    "joined_on",
    "left_on",
    "classified_on",
    "filed_on",
    "reviewed_on",
    "found_on",
    "applied_on",
    "requested_on",
    "completed_on",
    "established_on",
    "as_of",
    "enacted_on",
)


@dataclass(frozen=True, slots=True)
class AuditLine:
    entry: AuditEntry
    #: the business date the event carries, if any
    on: date | None

    @property
    def is_decision(self) -> bool:
        return bool(self.entry.policy)


def business_date(entry: AuditEntry) -> date | None:
    for name in BUSINESS_DATES:
        value = entry.detail.get(name)
        if isinstance(value, str):
            try:
                return date.fromisoformat(value[:10])
            except ValueError:
                continue
    return None


def unit_trail(
    store: ViewStore,
    uscc: str,
    *,
    as_of: date | None,
    known_at: datetime | None,
    kinds: Iterable[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[AuditLine]:
    """Every event of the unit a USCC names."""
    unit = find_unit(store, uscc, known_at)
    entries = store.audit(
        originator_id=unit.unit_id,
        types=_kinds(kinds),
        since=since,
        until=until,
        known_at=known_at,
    )
    return _dated(entries, as_of)


def person_trail(
    store: ViewStore,
    resident_id: str,
    *,
    as_of: date | None,
    known_at: datetime | None,
    kinds: Iterable[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[AuditLine]:
    """Every event naming a person, and every assessment with a line for them."""
    wanted = _kinds(kinds)
    entries = {
        (e.originator_id, e.version): e
        for e in store.audit(
            resident_id=resident_id, types=wanted, since=since, until=until, known_at=known_at
        )
    }
    if wanted is None or "PeriodAssessed" in wanted:
        assessed: dict[UUID, set[int]] = {}
        for line in store.person_lines(resident_id=resident_id, known_at=known_at):
            assessed.setdefault(line.unit_id, set()).add(line.version)
        for unit_id, versions in assessed.items():
            for e in store.audit(
                originator_id=unit_id,
                versions=versions,
                types=["PeriodAssessed"],
                since=since,
                until=until,
                known_at=known_at,
            ):
                entries[(e.originator_id, e.version)] = e
    ordered = sorted(
        entries.values(), key=lambda e: (e.recorded_at, str(e.originator_id), e.version)
    )
    return _dated(ordered, as_of)


def _kinds(kinds: Iterable[str] | None) -> list[str] | None:
    chosen = [k for k in kinds or () if k]
    return chosen or None


def _dated(entries: Iterable[AuditEntry], as_of: date | None) -> list[AuditLine]:
    lines = [AuditLine(e, business_date(e)) for e in entries]
    if as_of is None:
        return lines
    return [line for line in lines if line.on is None or line.on <= as_of]


def decision_detail(event: Any) -> dict[str, Any]:
    """An event not yet recorded (a dry run's), as the audit trail would show it: its type,
    the policy it cites and its fields (person lines counted)."""
    entry = audit_entry(event)
    return {"type": entry.type, "policy": entry.policy, "detail": entry.detail}
