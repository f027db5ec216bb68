"""From events to rows: the read side's one pure mapping.

Every event of a unit becomes append-only rows that carry both clocks: the
business date (``on``) and the instant the event was recorded (``recorded_at``).
Views are computations over these rows, so "as of" filters on ``on`` and
"known at" filters on ``recorded_at``; nothing is ever updated in place, which is
what lets a runner write a page of rows and its tracking position in one
transaction and a crash never double-count or skip.

The events already carry every amount (decisions are computed on the write side),
so the mapping needs no state: ``rows_of(event)`` looks at one event only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

from ledger.domain.money import ZERO
from ledger.domain.period import Period
from ledger.domain.state import Line
from ledger.domain.terms import Part
from ledger.domain.unit import Unit


class Kind(StrEnum):
    """What a movement does to an assessment item (or, without one, to the unit's credit)."""

    assessed = "assessed"  # amount owed, due at ``due``
    reduced = "reduced"  # 减征: owed less, from the start (retroactive)
    paid = "paid"  # collected by the tax bureau
    credit_applied = "credit_applied"  # settled from credit held
    refunded = "refunded"  # overpaid, paid back
    carried_forward = "carried_forward"  # overpaid, moved to credit held (待转基金)
    deferred = "deferred"  # 缓缴: unpaid principal due at ``due`` (the deadline) instead
    called_due = "called_due"  # deferred principal due at ``due`` after all
    revoked = "revoked"  # the assessment withdrawn: the item starts over
    credit_received = "credit_received"  # a payment's excess, held as credit (no item)
    undeferred = "undeferred"  # a deferral withdrawn: deferred principal due again


#: A compensating decision (an amendment or revocation reversing an earlier decision)
#: maps to the movement of the decision it reverses with the amount negated, so every
#: view that sums movements nets the two out exactly.


@dataclass(frozen=True, slots=True)
class Movement:
    unit_id: UUID
    version: int
    recorded_at: datetime
    on: date
    kind: Kind
    period: Period | None
    part: Part | None
    amount: Decimal = ZERO
    #: assessed: the due date; deferred: the deadline; called_due: when it fell due
    due: date | None = None
    resident_id: str = ""
    document: str = ""


@dataclass(frozen=True, slots=True)
class UnitRegistered:
    unit_id: UUID
    recorded_at: datetime
    uscc: str
    name: str
    unit_type: str
    region: str
    agency: str
    unit_number: str
    established_on: date


@dataclass(frozen=True, slots=True)
class PersonLine:
    """One person's assessed month (for rights records and deferred-person counts): the
    base assessed and the one declared (they differ where the limits held it), the parts
    and, of those, the fixed amounts per person (which never go to the personal account)."""

    unit_id: UUID
    version: int
    recorded_at: datetime
    period: Period
    resident_id: str
    base: Decimal
    unit_medical: Decimal
    unit_maternity: Decimal
    individual: Decimal
    declared_base: Decimal
    fixed_unit_medical: Decimal
    fixed_individual: Decimal


@dataclass(frozen=True, slots=True)
class PersonReduction:
    unit_id: UUID
    version: int
    recorded_at: datetime
    on: date
    period: Period
    resident_id: str
    part: Part
    amount: Decimal


@dataclass(frozen=True, slots=True)
class DeferralDecision:
    """Granted, shifted, refused or withdrawn (an amendment or revocation: ``periods``
    is what is left of the window, "" when nothing): one row per decision."""

    unit_id: UUID
    version: int
    recorded_at: datetime
    on: date
    outcome: str  # granted | shifted | refused | withdrawn | refusal_withdrawn
    kind: str
    periods: str
    deadline: date | None
    document: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """Every event, as the audit trail shows it."""

    originator_id: UUID
    version: int
    recorded_at: datetime
    type: str
    actor: str
    reason: str
    request_id: str
    document: str
    policy: str
    caused_by: str
    resident_id: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Quarantined:
    """An event the views set aside: it could not be decoded or mapped, or its aggregate's
    versions skip before it (a stored event deleted). Its aggregate's reads answer that
    the history is damaged instead of a balance computed without it."""

    originator_id: UUID
    version: int
    topic: str
    reason: str


Row = (
    Movement
    | UnitRegistered
    | PersonLine
    | PersonReduction
    | DeferralDecision
    | AuditEntry
    | Quarantined
)

#: fields that are metadata, left out of an audit entry's detail
_NOT_DETAIL = frozenset(
    {
        "originator_id",
        "originator_version",
        "timestamp",
        "actor",
        "reason",
        "request_id",
        "document",
        "policy",
        "caused_by",
        "originator_topic",
    }
)


def _items(rows: list[list[str]]) -> list[tuple[Period, Part, Decimal]]:
    return [(Period.parse(p), Part(part), Decimal(a)) for p, part, a in rows]


def _negated(rows: list[list[str]]) -> list[tuple[Period, Part, Decimal]]:
    return [(p, part, -a) for p, part, a in _items(rows)]


def rows_of(event: Any) -> list[Row]:
    """The rows one event contributes to the views (pure: this event only)."""
    rows: list[Row] = [audit_entry(event)]
    if isinstance(event, Unit.Event):
        rows.extend(_unit_rows(event))
    return rows


#: per-person fields kept elsewhere (person lines, person reductions): the audit entry
#: counts them instead of storing every person's figures a second time
_COUNTED = ("lines", "by_person")


def audit_entry(event: Any) -> AuditEntry:
    fields = vars(event)
    detail = {k: _plain(v) for k, v in fields.items() if k not in _NOT_DETAIL}
    for name in _COUNTED:
        if name in detail:
            detail[name] = len({row[0] for row in fields[name]})
    if isinstance(event, Unit.PeriodAssessed) and event.limits:
        # the persons whose declared base the floor or ceiling changed (a sixth column)
        detail["bases_held"] = sum(1 for row in event.lines if len(row) > 5)
    return AuditEntry(
        originator_id=event.originator_id,
        version=event.originator_version,
        recorded_at=event.timestamp,
        type=type(event).__name__,
        actor=getattr(event, "actor", ""),
        reason=getattr(event, "reason", ""),
        request_id=getattr(event, "request_id", ""),
        document=getattr(event, "document", ""),
        policy=getattr(event, "policy", ""),
        caused_by=getattr(event, "caused_by", ""),
        resident_id=getattr(event, "resident_id", ""),
        detail=detail,
    )


def _plain(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (Decimal, UUID)):
        return str(value)
    return value


def _unit_rows(event: Unit.Event) -> list[Row]:
    uid, version, at = event.originator_id, event.originator_version, event.timestamp

    def move(
        kind: Kind, on: date, items: list[tuple[Period, Part, Decimal]], **kw: Any
    ) -> list[Row]:
        return [Movement(uid, version, at, on, kind, p, part, a, **kw) for p, part, a in items]

    match event:
        case Unit.Registered():
            return [
                UnitRegistered(
                    uid,
                    at,
                    event.uscc,
                    event.name,
                    event.unit_type,
                    event.region,
                    event.agency,
                    event.unit_number,
                    event.established_on,
                )
            ]
        case Unit.PeriodAssessed():
            period = Period.parse(event.period)
            rows: list[Row] = move(
                Kind.assessed, event.assessed_on, _items(event.totals), due=event.due_date
            )
            fixed = {Part(part): Decimal(amount) for part, amount in event.fixed}
            fixed_um = fixed.get(Part.unit_medical, ZERO)
            fixed_ind = fixed.get(Part.individual, ZERO)
            for row in event.lines:
                line = Line.from_row(row)
                rows.append(
                    PersonLine(
                        uid,
                        version,
                        at,
                        period,
                        line.resident_id,
                        line.base,
                        line.unit_medical,
                        line.unit_maternity,
                        line.individual,
                        line.declared_base,
                        fixed_um,
                        fixed_ind,
                    )
                )
            return rows
        case Unit.AssessmentRevoked():
            period = Period.parse(event.period)
            return [
                Movement(uid, version, at, event.revoked_on, Kind.revoked, period, part)
                for part in Part
            ]
        case Unit.PaymentCollected():
            rows = move(Kind.paid, event.paid_on, _items(event.allocations))
            if event.unallocated:
                rows.append(
                    Movement(
                        uid,
                        version,
                        at,
                        event.paid_on,
                        Kind.credit_received,
                        None,
                        None,
                        event.unallocated,
                    )
                )
            return rows
        case Unit.ReductionApplied():
            period = Period.parse(event.period)
            rows = move(
                Kind.reduced, event.decided_on, _items(event.totals), document=event.document
            )
            rows.extend(
                PersonReduction(
                    uid, version, at, event.decided_on, period, rid, Part(part), Decimal(amount)
                )
                for rid, part, amount in event.by_person
            )
            return rows
        case Unit.RefundOwed():
            return move(
                Kind.refunded, event.decided_on, _items(event.items), document=event.document
            )
        case Unit.CreditCarriedForward():
            return move(
                Kind.carried_forward, event.decided_on, _items(event.items), document=event.document
            )
        case Unit.CreditApplied():
            return move(
                Kind.credit_applied, event.decided_on, _items(event.items), document=event.document
            )
        case Unit.AssessmentSplit():
            period = Period.parse(event.period)
            # The deadline is the last day without late fee: late_fee_from - 1 day.
            last_free_day = event.late_fee_from - timedelta(days=1)
            return [
                Movement(
                    uid,
                    version,
                    at,
                    event.decided_on,
                    Kind.deferred,
                    period,
                    Part(part),
                    due=last_free_day,
                    document=event.document,
                )
                for part in event.deferred_parts
            ]
        case Unit.DeferredAmountCalledDue():
            # A false commitment's late fees run from the original due dates: the
            # movement says so with due=None, resolved against the item's due date.
            due = None if event.from_original_due else event.due_on
            return move(
                Kind.called_due,
                event.decided_on,
                _items(event.items),
                due=due,
                resident_id=event.resident_id,
                document=event.document,
            )
        case Unit.ReductionReversed():
            period = Period.parse(event.period)
            rows = move(
                Kind.reduced, event.decided_on, _negated(event.totals), document=event.document
            )
            rows.extend(
                PersonReduction(
                    uid, version, at, event.decided_on, period, rid, Part(part), -Decimal(amount)
                )
                for rid, part, amount in event.by_person
            )
            return rows
        case Unit.RefundReversed():
            return move(
                Kind.refunded, event.decided_on, _negated(event.items), document=event.document
            )
        case Unit.CreditCarriedForwardReversed():
            return move(
                Kind.carried_forward,
                event.decided_on,
                _negated(event.items),
                document=event.document,
            )
        case Unit.CreditAppliedReversed():
            return move(
                Kind.credit_applied,
                event.decided_on,
                _negated(event.items),
                document=event.document,
            )
        case Unit.DeferralWithdrawn():
            rows = [
                Movement(
                    uid,
                    version,
                    at,
                    event.decided_on,
                    Kind.undeferred,
                    Period.parse(p),
                    Part(part),
                    document=event.document,
                )
                for p, part in event.undeferred
            ]
            rows.append(
                DeferralDecision(
                    uid,
                    version,
                    at,
                    event.decided_on,
                    "withdrawn",
                    event.kind,
                    event.remaining,
                    None,
                    event.document,
                    event.superseded_by,
                )
            )
            return rows
        case Unit.DeferralRefusalWithdrawn():
            return [
                DeferralDecision(
                    uid,
                    version,
                    at,
                    event.decided_on,
                    "refusal_withdrawn",
                    event.kind,
                    "",
                    None,
                    event.document,
                    event.superseded_by,
                )
            ]
        case Unit.DeferralGranted():
            return [
                DeferralDecision(
                    uid,
                    version,
                    at,
                    event.decided_on,
                    "granted",
                    event.kind,
                    event.periods,
                    event.deadline,
                    event.document,
                )
            ]
        case Unit.DeferralShifted():
            return [
                DeferralDecision(
                    uid,
                    version,
                    at,
                    event.decided_on,
                    "shifted",
                    "",
                    event.periods,
                    None,
                    event.document,
                )
            ]
        case Unit.DeferralRefused():
            return [
                DeferralDecision(
                    uid,
                    version,
                    at,
                    event.decided_on,
                    "refused",
                    event.kind,
                    "",
                    None,
                    event.document,
                    event.refusal,
                )
            ]
        case _:
            return []
