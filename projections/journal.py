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

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from operator import itemgetter
from typing import Any
from uuid import UUID

from ledger.domain import itemrows
from ledger.domain.money import ZERO, fen_count
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
class AssessedLines:
    """How the SQL stores keep the person lines of one assessment: one row, with a
    column per field the lines share and an array per field of a person (in the
    lines' order). A rebuild writes one row per assessment instead of one per person:
    the per-row work (tuple, key, index entry) was the larger part of its cost.
    The persons' amounts are whole fen (``fen_count``; PostgreSQL parses an integer
    array in two thirds of a numeric one's time). ``declared_bases_fen`` is None when
    every declared base is the base (the limits held none). Not a journal row: the
    stores read ``PersonLine`` rows back from it."""

    unit_id: UUID
    version: int
    recorded_at: datetime
    period: Period
    fixed_unit_medical: Decimal
    fixed_individual: Decimal
    resident_ids: tuple[str, ...]
    bases_fen: tuple[int, ...]
    unit_medical_fen: tuple[int, ...]
    unit_maternity_fen: tuple[int, ...]
    individual_fen: tuple[int, ...]
    declared_bases_fen: tuple[int, ...] | None

    @classmethod
    def of(cls, lines: Sequence[PersonLine]) -> AssessedLines:
        """The lines of one assessment (the same unit, version, instant, period and
        fixed amounts: ``same_assessment``), as one row; ValueError for an amount past
        the views' range (``fens``)."""
        first = lines[0]
        bases = fens(line.base for line in lines)
        declared = fens(line.declared_base for line in lines)
        return cls(
            first.unit_id,
            first.version,
            first.recorded_at,
            first.period,
            first.fixed_unit_medical,
            first.fixed_individual,
            tuple(line.resident_id for line in lines),
            bases,
            fens(line.unit_medical for line in lines),
            fens(line.unit_maternity for line in lines),
            fens(line.individual for line in lines),
            None if declared == bases else declared,
        )


#: the views' amounts in fen stay below 10^18 (a bigint holds 9.2 x 10^18): the
#: shortcuts' 16 integer digits of yuan, and far past any amount the ledger records
FEN_LIMIT = 10**18


def fens(amounts: Iterable[Decimal]) -> tuple[int, ...]:
    """Amounts as whole fen, rounded half-up (``fen_count``); ValueError for one past
    ``FEN_LIMIT`` (an event that holds one is set aside, not left to fail its page)."""
    found = tuple(map(fen_count, amounts))
    if any(not -FEN_LIMIT < fen < FEN_LIMIT for fen in found):
        raise ValueError(f"an amount past {FEN_LIMIT} fen, the views' range")
    return found


def same_assessment(a: PersonLine, b: PersonLine) -> bool:
    """Whether two lines can share one ``AssessedLines`` row."""
    return (
        a.unit_id == b.unit_id
        and a.version == b.version
        and a.recorded_at == b.recorded_at
        and a.period == b.period
        # by text: the row keeps one of them, and "1.0" is stored as written
        and str(a.fixed_unit_medical) == str(b.fixed_unit_medical)
        and str(a.fixed_individual) == str(b.fixed_individual)
    )


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


def rows_of(event: Any) -> list[Row]:
    """The rows one event contributes to the views (pure: this event only)."""
    rows: list[Row] = [audit_entry(event)]
    if isinstance(event, Unit.Event):
        rows.extend(unit_rows(event))
    return rows


#: per-person fields kept elsewhere (person lines, person reductions): the audit entry
#: counts them instead of storing every person's figures a second time
_COUNTED = ("lines", "by_person")


def audit_entry(event: Any) -> AuditEntry:
    actor, reason, request_id, document, policy, caused_by, resident_id = audit_texts(event)
    return AuditEntry(
        originator_id=event.originator_id,
        version=event.originator_version,
        recorded_at=event.timestamp,
        type=type(event).__name__,
        actor=actor,
        reason=reason,
        request_id=request_id,
        document=document,
        policy=policy,
        caused_by=caused_by,
        resident_id=resident_id,
        detail=audit_detail(event),
    )


#: an audit entry's text columns, in its fields' order, each the event's attribute of
#: that name ("" when it has none)
AUDIT_TEXTS = (
    "actor",
    "reason",
    "request_id",
    "document",
    "policy",
    "caused_by",
    "resident_id",
)


def audit_texts(event: Any) -> tuple[Any, ...]:
    """The event's values of ``AUDIT_TEXTS`` (``pages`` writes them without an entry)."""
    return tuple(getattr(event, name, "") for name in AUDIT_TEXTS)


def audit_detail(event: Any) -> dict[str, Any]:
    """An audit entry's detail: the event's other fields as JSON values, per-person
    fields counted."""
    fields = vars(event)
    # one set lookup for the usual values instead of a call per field: every event of a
    # rebuild passes here
    detail = {
        k: v if type(v) in _AS_IS else _plain(v) for k, v in fields.items() if k not in _NOT_DETAIL
    }
    for name in _COUNTED:
        if name in detail:
            detail[name] = len(set(map(_first, fields[name])))
    if isinstance(event, Unit.PeriodAssessed) and event.limits:
        # the persons whose declared base the floor or ceiling changed (a sixth column)
        detail["bases_held"] = sum(1 for row in event.lines if len(row) > 5)
    return detail


_first = itemgetter(0)
#: value types an audit entry's detail keeps as they are (what ``_plain`` returns unchanged)
_AS_IS = frozenset({str, int, list, bool, type(None)})


def _plain(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (Decimal, UUID)):
        return str(value)
    return value


def unit_rows(event: Unit.Event) -> list[Row]:
    """A unit event's rows without its audit entry (the replay compares these)."""
    mapper = _MAPPERS.get(type(event))
    return [] if mapper is None else mapper(event, _Stamp(event))


# ------------------------------------------------------------------ the mappers
# One small mapper per event type, registered by type. A reversal (an amendment or a
# revocation undoing a decision) shares its applied twin's mapper with the sign
# negated, so the two net out in every view that sums movements.


class _Stamp:
    """What every row of one event carries: its unit, version and recorded instant."""

    __slots__ = ("at", "uid", "version")

    def __init__(self, event: Unit.Event) -> None:
        self.uid = event.originator_id
        self.version = event.originator_version
        self.at = event.timestamp

    def moves(
        self, kind: Kind, on: date, items: list[tuple[Period, Part, Decimal]], **kw: Any
    ) -> list[Row]:
        uid, version, at = self.uid, self.version, self.at
        return [Movement(uid, version, at, on, kind, p, part, a, **kw) for p, part, a in items]

    def decision(self, event: Any, outcome: str, kind: str, **kw: Any) -> DeferralDecision:
        return DeferralDecision(
            self.uid,
            self.version,
            self.at,
            event.decided_on,
            outcome,
            kind,
            kw.pop("periods", ""),
            kw.pop("deadline", None),
            event.document,
            **kw,
        )


Mapper = Callable[[Any, _Stamp], list[Row]]
_MAPPERS: dict[type[Unit.Event], Mapper] = {}
#: events that change no balance, person line or deferral view: only the audit trail
#: shows them (a new event type must be mapped or named here: a unit test checks)
AUDIT_ONLY: frozenset[type[Unit.Event]] = frozenset(
    {
        Unit.Classified,
        Unit.CommitmentFiled,
        Unit.CommitmentReviewed,
        Unit.CommitmentFoundFalse,
        Unit.PersonJoined,
        Unit.BaseChanged,
        Unit.PersonLeft,
        Unit.DeregistrationRequested,
        Unit.DeferralApplied,
        Unit.DeregistrationCompleted,
    }
)


def _maps(*types: type[Unit.Event]) -> Callable[[Mapper], Mapper]:
    def register(mapper: Mapper) -> Mapper:
        for t in types:
            assert t not in _MAPPERS, f"{t.__name__} mapped twice"
            _MAPPERS[t] = mapper
        return mapper

    return register


@_maps(Unit.Registered)
def _registered(e: Unit.Registered, s: _Stamp) -> list[Row]:
    return [
        UnitRegistered(
            s.uid,
            s.at,
            e.uscc,
            e.name,
            e.unit_type,
            e.region,
            e.agency,
            e.unit_number,
            e.established_on,
        )
    ]


@_maps(Unit.PeriodAssessed)
def _assessed(e: Unit.PeriodAssessed, s: _Stamp) -> list[Row]:
    period = Period.parse(e.period)
    rows = s.moves(Kind.assessed, e.assessed_on, itemrows.decode(e.totals), due=e.due_date)
    fixed = {Part(part): Decimal(amount) for part, amount in e.fixed}
    fixed_um = fixed.get(Part.unit_medical, ZERO)
    fixed_ind = fixed.get(Part.individual, ZERO)
    for row in e.lines:
        line = Line.from_row(row)
        rows.append(
            PersonLine(
                s.uid,
                s.version,
                s.at,
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


@_maps(Unit.AssessmentRevoked)
def _revoked(e: Unit.AssessmentRevoked, s: _Stamp) -> list[Row]:
    period = Period.parse(e.period)
    return [
        Movement(s.uid, s.version, s.at, e.revoked_on, Kind.revoked, period, part) for part in Part
    ]


@_maps(Unit.PaymentCollected)
def _paid(e: Unit.PaymentCollected, s: _Stamp) -> list[Row]:
    rows = s.moves(Kind.paid, e.paid_on, itemrows.decode(e.allocations))
    if e.unallocated:
        rows.append(
            Movement(
                s.uid, s.version, s.at, e.paid_on, Kind.credit_received, None, None, e.unallocated
            )
        )
    return rows


def _reduction(sign: int) -> Mapper:
    def mapper(e: Any, s: _Stamp) -> list[Row]:
        period = Period.parse(e.period)
        totals = itemrows.decode(e.totals, sign)
        rows = s.moves(Kind.reduced, e.decided_on, totals, document=e.document)
        rows.extend(
            PersonReduction(
                s.uid,
                s.version,
                s.at,
                e.decided_on,
                period,
                rid,
                Part(part),
                Decimal(a) if sign > 0 else -Decimal(a),
            )
            for rid, part, a in e.by_person
        )
        return rows

    return mapper


def _items_decided(kind: Kind, sign: int) -> Mapper:
    def mapper(e: Any, s: _Stamp) -> list[Row]:
        items = itemrows.decode(e.items, sign)
        return s.moves(kind, e.decided_on, items, document=e.document)

    return mapper


_MAPPERS[Unit.ReductionApplied] = _reduction(+1)
_MAPPERS[Unit.ReductionReversed] = _reduction(-1)
for _applied, _reversed, _kind in (
    (Unit.RefundOwed, Unit.RefundReversed, Kind.refunded),
    (Unit.CreditCarriedForward, Unit.CreditCarriedForwardReversed, Kind.carried_forward),
    (Unit.CreditApplied, Unit.CreditAppliedReversed, Kind.credit_applied),
):
    _MAPPERS[_applied] = _items_decided(_kind, +1)
    _MAPPERS[_reversed] = _items_decided(_kind, -1)


@_maps(Unit.AssessmentSplit)
def _split(e: Unit.AssessmentSplit, s: _Stamp) -> list[Row]:
    period = Period.parse(e.period)
    # The deadline is the last day without late fee: late_fee_from - 1 day.
    last_free_day = e.late_fee_from - timedelta(days=1)
    return [
        Movement(
            s.uid,
            s.version,
            s.at,
            e.decided_on,
            Kind.deferred,
            period,
            Part(part),
            due=last_free_day,
            document=e.document,
        )
        for part in e.deferred_parts
    ]


@_maps(Unit.DeferredAmountCalledDue)
def _called_due(e: Unit.DeferredAmountCalledDue, s: _Stamp) -> list[Row]:
    # A false commitment's late fees run from the original due dates: the movement
    # says so with due=None, resolved against the item's due date.
    due = None if e.from_original_due else e.due_on
    return s.moves(
        Kind.called_due,
        e.decided_on,
        itemrows.decode(e.items),
        due=due,
        resident_id=e.resident_id,
        document=e.document,
    )


@_maps(Unit.DeferralWithdrawn)
def _withdrawn(e: Unit.DeferralWithdrawn, s: _Stamp) -> list[Row]:
    rows: list[Row] = [
        Movement(
            s.uid,
            s.version,
            s.at,
            e.decided_on,
            Kind.undeferred,
            Period.parse(p),
            Part(part),
            document=e.document,
        )
        for p, part in e.undeferred
    ]
    rows.append(s.decision(e, "withdrawn", e.kind, periods=e.remaining, reason=e.superseded_by))
    return rows


@_maps(Unit.DeferralRefusalWithdrawn)
def _refusal_withdrawn(e: Unit.DeferralRefusalWithdrawn, s: _Stamp) -> list[Row]:
    return [s.decision(e, "refusal_withdrawn", e.kind, reason=e.superseded_by)]


@_maps(Unit.DeferralGranted)
def _granted(e: Unit.DeferralGranted, s: _Stamp) -> list[Row]:
    return [s.decision(e, "granted", e.kind, periods=e.periods, deadline=e.deadline)]


@_maps(Unit.DeferralShifted)
def _shifted(e: Unit.DeferralShifted, s: _Stamp) -> list[Row]:
    return [s.decision(e, "shifted", "", periods=e.periods)]


@_maps(Unit.DeferralRefused)
def _refused(e: Unit.DeferralRefused, s: _Stamp) -> list[Row]:
    return [s.decision(e, "refused", e.kind, reason=e.refusal)]
