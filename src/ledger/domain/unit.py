"""The insured unit (参保单位): the aggregate most facts and decisions belong to.

Facts are what happened (registered, assessed, paid, a person resigned); decisions
are what the enacted policies made of them (a reduction applied, a deferral granted,
a deferred amount called due). Every event carries actor, reason and request id;
every decision names its policy (document number, version, paragraph) and the fact
that caused it.

Event ``apply`` bodies only assign from the event: they run again on every load.
All arithmetic and rule look-ups happen before an event is triggered. Topics are
explicit (``ledger.unit.*``) so moving code never orphans stored events.
"""

from __future__ import annotations

from dataclasses import field
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from ledger.domain import itemrows
from ledger.domain.errors import Conflict
from ledger.domain.money import ZERO
from ledger.domain.period import Period, PeriodRange
from ledger.domain.state import (
    Application,
    Assessment,
    Commitment,
    Deferral,
    Item,
    Member,
    Reductions,
)
from ledger.domain.terms import ClassSource, DeferralKind, Part, Trigger, UnitType


class Unit(Aggregate):
    TOPIC = "ledger.unit"

    class Event(Aggregate.Event):
        actor: str
        reason: str
        request_id: str

    class Decision(Event):
        """A decision names the policy applied and the fact that caused it."""

        TOPIC = "ledger.unit.decision"  # an abstract base, never stored
        document: str
        policy: str
        caused_by: str
        #: the business date of the decision (the causing fact's date, or the enactment's)
        decided_on: date

    class Created(Event, Aggregate.Created):
        TOPIC = "ledger.unit.created"

    # ----------------------------------------------------------------- facts

    class Registered(Created):
        TOPIC = "ledger.unit.registered"
        uscc: str
        uscc_check_overridden: bool
        name: str
        unit_type: str
        region: str
        agency: str
        unit_number: str
        established_on: date

    class Classified(Event):
        TOPIC = "ledger.unit.classified"
        size_class: str
        industry: str
        source: str
        classified_on: date

        def apply(self, aggregate: Any) -> None:
            aggregate.size_class = self.size_class
            aggregate.industry = self.industry
            aggregate.class_source = ClassSource(self.source)

    class CommitmentFiled(Event):
        """承诺书 filed; ``periods`` the months the unit chose, "" where the rule does not
        let it choose (内蒙古: it defers as a classified SME would)."""

        TOPIC = "ledger.unit.commitment-filed"
        periods: str
        filed_on: date
        review_by: date
        document: str

        def apply(self, aggregate: Any) -> None:
            periods = PeriodRange.parse(self.periods) if self.periods else None
            aggregate.commitment = Commitment(periods, self.filed_on, self.review_by, self.document)

    class CommitmentReviewed(Event):
        TOPIC = "ledger.unit.commitment-reviewed"
        accepted: bool
        reviewed_on: date
        late: bool

        def apply(self, aggregate: Any) -> None:
            aggregate.commitment.reviewed_on = self.reviewed_on
            aggregate.commitment.accepted = self.accepted

    class CommitmentFoundFalse(Event):
        TOPIC = "ledger.unit.commitment-found-false"
        found_on: date

        def apply(self, aggregate: Any) -> None:
            aggregate.commitment.found_false_on = self.found_on

    class PersonJoined(Event):
        TOPIC = "ledger.unit.person-joined"
        resident_id: str
        base: Decimal
        joined_on: date

        def apply(self, aggregate: Any) -> None:
            aggregate.members[self.resident_id] = Member(
                self.resident_id,
                self.base,
                self.joined_on,
                bases=[(Period.of(self.joined_on), self.base)],
            )

    class BaseChanged(Event):
        TOPIC = "ledger.unit.base-changed"
        resident_id: str
        base: Decimal
        since: str

        def apply(self, aggregate: Any) -> None:
            member = aggregate.members[self.resident_id]
            member.base = self.base
            member.bases.append((Period.parse(self.since), self.base))
            member.bases.sort(key=lambda entry: entry[0])

    class PersonLeft(Event):
        """Resigned (离职), retired (退休) or transferred out (关系转移)."""

        TOPIC = "ledger.unit.person-left"
        resident_id: str
        trigger: str
        left_on: date
        destination: str

        def apply(self, aggregate: Any) -> None:
            member = aggregate.members[self.resident_id]
            member.left_on = self.left_on
            member.left_by = Trigger(self.trigger)

    class PeriodAssessed(Event):
        """核定: per person, the base and the three parts; rates cited in ``rates``.

        A line is [resident_id, base, unit_medical, unit_maternity, individual] and, where
        the base limits changed the declared base, the declared base sixth. ``limits``
        are the floor and ceiling the base was held within ([] when none was in force),
        ``fixed`` the fixed amounts per person each part includes ([part, amount]); each
        with its citation. Events stored before these existed (class version 1) are
        upcast: no limits, no fixed amounts.
        """

        TOPIC = "ledger.unit.period-assessed"
        class_version = 2
        period: str
        lines: list[list[str]]
        totals: list[list[str]]
        due_date: date
        assessed_on: date
        rates: str
        limits: list[str] = field(default_factory=list)
        limits_policy: str = ""
        fixed: list[list[str]] = field(default_factory=list)
        fixed_policy: str = ""

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state.update(limits=[], limits_policy="", fixed=[], fixed_policy="")

        def apply(self, aggregate: Any) -> None:
            period = Period.parse(self.period)
            aggregate.assessments[period] = Assessment(
                period,
                self.lines,
                self.due_date,
                self.assessed_on,
                self.rates,
                {Part(part): Decimal(amount) for part, amount in self.fixed},
            )
            for p, part, amount in itemrows.decode(self.totals):
                aggregate.items[(p, part)] = Item(p, part, amount, self.due_date)

    class AssessmentRevoked(Event):
        TOPIC = "ledger.unit.assessment-revoked"
        period: str
        revoked_on: date

        def apply(self, aggregate: Any) -> None:
            period = Period.parse(self.period)
            del aggregate.assessments[period]
            for part in Part:
                aggregate.items.pop((period, part), None)
            aggregate.reductions.pop(period, None)

    class PaymentCollected(Event):
        """征收回传: what the tax bureau collected, per assessment item."""

        TOPIC = "ledger.unit.payment-collected"
        paid_on: date
        amount: Decimal
        allocations: list[list[str]]
        unallocated: Decimal

        def apply(self, aggregate: Any) -> None:
            for period, part, amount in itemrows.decode(self.allocations):
                item = aggregate.items[(period, part)]
                item.paid += amount
                item.called_due_open = max(ZERO, item.called_due_open - amount)
            aggregate.credit += self.unallocated

    class DeregistrationRequested(Event):
        TOPIC = "ledger.unit.deregistration-requested"
        requested_on: date

        def apply(self, aggregate: Any) -> None:
            aggregate.deregistration_requested_on = self.requested_on

    class DeferralApplied(Event):
        """A written application for deferral (2020), with its supporting documents."""

        TOPIC = "ledger.unit.deferral-applied"
        periods: str
        applied_on: date
        document: str
        attachments: list[str]

        def apply(self, aggregate: Any) -> None:
            aggregate.application = Application(
                PeriodRange.parse(self.periods), self.applied_on, self.document
            )

    # ------------------------------------------------------------- decisions

    class ReductionApplied(Decision):
        TOPIC = "ledger.unit.reduction-applied"
        period: str
        fraction: Decimal
        #: [resident_id, part, amount]
        by_person: list[list[str]]
        #: [period, part, amount] per item
        totals: list[list[str]]

        def apply(self, aggregate: Any) -> None:
            period = Period.parse(self.period)
            reductions = Reductions(
                self.document,
                policy=self.policy,
                fraction=self.fraction,
                rows=self.by_person,
                totals=self.totals,
            )
            for rid, share, cut in self.by_person:
                reductions.by_person[(rid, Part(share))] = Decimal(cut)
            aggregate.reductions[period] = reductions
            for p, part, amount in itemrows.decode(self.totals):
                aggregate.items[(p, part)].reduced += amount

    class RefundOwed(Decision):
        """Overpaid after a retroactive reduction, refunded without application (临沧)."""

        TOPIC = "ledger.unit.refund-owed"
        items: list[list[str]]

        def apply(self, aggregate: Any) -> None:
            for p, part, amount in itemrows.decode(self.items):
                aggregate.items[(p, part)].refunded += amount

    class CreditCarriedForward(Decision):
        """Overpaid, held as credit (待转基金) for the next month (赤峰)."""

        TOPIC = "ledger.unit.credit-carried-forward"
        items: list[list[str]]

        def apply(self, aggregate: Any) -> None:
            for p, part, amount in itemrows.decode(self.items):
                aggregate.items[(p, part)].carried_forward += amount
                aggregate.credit += amount
                # 冲减下个月的缴费: the credit offsets months after the one overpaid
                if aggregate.credit_after is None or p > aggregate.credit_after:
                    aggregate.credit_after = p
            aggregate.credit_policy = (self.document, self.policy)

    class CreditApplied(Decision):
        """Credit offset against a later period's contribution (冲减下个月的缴费)."""

        TOPIC = "ledger.unit.credit-applied"
        items: list[list[str]]

        def apply(self, aggregate: Any) -> None:
            applied = aggregate.credit_applied_by.setdefault(self.document, {})
            for p, part, amount in itemrows.decode(self.items):
                aggregate.items[(p, part)].credit_applied += amount
                aggregate.credit -= amount
                applied[(p, part)] = applied.get((p, part), ZERO) + amount

    class DeferralGranted(Decision):
        TOPIC = "ledger.unit.deferral-granted"
        kind: str
        periods: str
        deadline: date
        late_fee_from: date
        parts: list[str]
        triggers: list[str]

        def apply(self, aggregate: Any) -> None:
            aggregate.deferrals.append(
                Deferral(
                    DeferralKind(self.kind),
                    PeriodRange.parse(self.periods),
                    self.deadline,
                    self.late_fee_from,
                    tuple(Part(p) for p in self.parts),
                    self.document,
                    self.policy,
                    tuple(Trigger(t) for t in self.triggers),
                    decided_on=self.decided_on,
                )
            )
            if aggregate.application is not None and self.kind == DeferralKind.application:
                aggregate.application.decided = True

    class DeferralShifted(Decision):
        """Already paid its first period: the window moves (内医保办发〔2022〕19号 二)."""

        TOPIC = "ledger.unit.deferral-shifted"
        periods: str

        def apply(self, aggregate: Any) -> None:
            aggregate.deferrals[-1].periods = PeriodRange.parse(self.periods)

    class DeferralRefused(Decision):
        TOPIC = "ledger.unit.deferral-refused"
        kind: str
        refusal: str

        def apply(self, aggregate: Any) -> None:
            aggregate.refusals.append((self.document, self.kind))
            if aggregate.application is not None and self.kind == DeferralKind.application:
                aggregate.application.decided = True

    class AssessmentSplit(Decision):
        """分拆核定: the deferred parts become separate items due at the deadline."""

        TOPIC = "ledger.unit.assessment-split"
        period: str
        deferred_parts: list[str]
        deadline: date
        late_fee_from: date

        def apply(self, aggregate: Any) -> None:
            period = Period.parse(self.period)
            for part in self.deferred_parts:
                item = aggregate.items[(period, Part(part))]
                item.deferred_until = self.deadline
                item.late_fee_from = self.late_fee_from
                item.deferral_policy = self.document

    class DeferredAmountCalledDue(Decision):
        """A repayment trigger makes deferred principal due before the deadline."""

        TOPIC = "ledger.unit.deferred-amount-called-due"
        trigger: str
        resident_id: str
        due_on: date
        #: late fees run from each item's original due date (false commitment)
        from_original_due: bool
        items: list[list[str]]

        def apply(self, aggregate: Any) -> None:
            for p, part, amount in itemrows.decode(self.items):
                aggregate.items[(p, part)].called_due_open += amount
            if self.resident_id:
                aggregate.called_due_persons.add(self.resident_id)
            else:
                for deferral in aggregate.deferrals:
                    deferral.ended = True

    # ---------------------------------------------- compensating decisions

    class Reversal(Decision):
        """A compensating decision: undoes exactly what an earlier decision recorded,
        because the policy version it applied was amended or revoked.

        ``policy`` cites the version reversed (as the reversed decision did);
        ``superseded_by`` names what replaced it: the amending version, or the
        revocation and its date. ``caused_by`` names both versions.
        """

        TOPIC = "ledger.unit.reversal"  # an abstract base, never stored
        superseded_by: str

    class ReductionReversed(Reversal):
        """A reduction withdrawn: the amounts of the reversed ReductionApplied, exactly."""

        TOPIC = "ledger.unit.reduction-reversed"
        period: str
        by_person: list[list[str]]
        totals: list[list[str]]

        def apply(self, aggregate: Any) -> None:
            aggregate.reductions.pop(Period.parse(self.period), None)
            for p, part, amount in itemrows.decode(self.totals):
                aggregate.items[(p, part)].reduced -= amount

    class RefundReversed(Reversal):
        """A refund owed withdrawn: what was to be paid back counts as paid again."""

        TOPIC = "ledger.unit.refund-reversed"
        items: list[list[str]]

        def apply(self, aggregate: Any) -> None:
            for p, part, amount in itemrows.decode(self.items):
                aggregate.items[(p, part)].refunded -= amount

    class CreditCarriedForwardReversed(Reversal):
        """Credit carried forward withdrawn: it leaves the credit held (待转基金)."""

        TOPIC = "ledger.unit.credit-carried-forward-reversed"
        items: list[list[str]]
        #: the latest period still carrying credit forward ("" when none is left)
        credit_after: str

        def apply(self, aggregate: Any) -> None:
            for p, part, amount in itemrows.decode(self.items):
                aggregate.items[(p, part)].carried_forward -= amount
                aggregate.credit -= amount
            if self.credit_after:
                aggregate.credit_after = Period.parse(self.credit_after)
            else:
                aggregate.credit_after = None
                aggregate.credit_policy = ("", "")

    class CreditAppliedReversed(Reversal):
        """Credit offset against an item withdrawn: owed again, the credit held again."""

        TOPIC = "ledger.unit.credit-applied-reversed"
        items: list[list[str]]

        def apply(self, aggregate: Any) -> None:
            applied = aggregate.credit_applied_by.setdefault(self.document, {})
            for p, part, amount in itemrows.decode(self.items):
                aggregate.items[(p, part)].credit_applied -= amount
                aggregate.credit += amount
                applied[(p, part)] = applied.get((p, part), ZERO) - amount
                if not applied[(p, part)]:
                    del applied[(p, part)]

    class DeferralWithdrawn(Reversal):
        """A deferral granted under the reversed version withdrawn for ``periods``: the
        deferred items of those periods are due again; ``remaining`` is what is left of
        the window ("" when all of it is withdrawn)."""

        TOPIC = "ledger.unit.deferral-withdrawn"
        kind: str
        periods: str
        remaining: str
        #: [period, part] of the items no longer deferred
        undeferred: list[list[str]]

        def apply(self, aggregate: Any) -> None:
            for n in range(len(aggregate.deferrals) - 1, -1, -1):
                deferral = aggregate.deferrals[n]
                if deferral.document == self.document and deferral.kind == self.kind:
                    if self.remaining:
                        deferral.periods = PeriodRange.parse(self.remaining)
                    else:
                        del aggregate.deferrals[n]
                    break
            for p, part in self.undeferred:
                item = aggregate.items[(Period.parse(p), Part(part))]
                item.deferred_until = None
                item.late_fee_from = None
                item.deferral_policy = ""

    class DeferralRefusalWithdrawn(Reversal):
        """A deferral refused under the reversed version: the refusal no longer stands."""

        TOPIC = "ledger.unit.deferral-refusal-withdrawn"
        kind: str

        def apply(self, aggregate: Any) -> None:
            refusal = (self.document, self.kind)
            if refusal in aggregate.refusals:
                aggregate.refusals.remove(refusal)

    class DeregistrationCompleted(Decision):
        TOPIC = "ledger.unit.deregistration-completed"
        completed_on: date

        def apply(self, aggregate: Any) -> None:
            aggregate.deregistered_on = self.completed_on

    # ------------------------------------------------------------------ state

    def __init__(
        self,
        *,
        uscc: str,
        uscc_check_overridden: bool,
        name: str,
        unit_type: str,
        region: str,
        agency: str,
        unit_number: str,
        established_on: date,
        actor: str,
        reason: str,
        request_id: str,
    ) -> None:
        self.uscc = uscc
        self.uscc_check_overridden = uscc_check_overridden
        self.name = name
        self.unit_type = UnitType(unit_type)
        self.region = region
        self.agency = agency
        self.unit_number = unit_number
        self.established_on = established_on
        self.size_class: str | None = None
        self.industry: str | None = None
        self.class_source: ClassSource | None = None
        self.members: dict[str, Member] = {}
        self.assessments: dict[Period, Assessment] = {}
        self.items: dict[tuple[Period, Part], Item] = {}
        self.reductions: dict[Period, Reductions] = {}
        self.credit: Decimal = ZERO
        self.credit_after: Period | None = None
        self.credit_policy: tuple[str, str] = ("", "")
        #: per document, the credit its decisions offset against each item (to reverse)
        self.credit_applied_by: dict[str, dict[tuple[Period, Part], Decimal]] = {}
        self.deferrals: list[Deferral] = []
        self.refusals: list[tuple[str, str]] = []
        self.commitment: Commitment | None = None
        self.application: Application | None = None
        self.called_due_persons: set[str] = set()
        self.deregistration_requested_on: date | None = None
        self.deregistered_on: date | None = None

    @classmethod
    def register(cls, unit_id: UUID, **fields: Any) -> Unit:
        return cls._create(cls.Registered, id=unit_id, **fields)

    # --------------------------------------------------------------- queries

    def check_active(self) -> None:
        if self.deregistered_on is not None:
            raise Conflict(
                f"unit {self.uscc} was deregistered on {self.deregistered_on}", field="uscc"
            )

    def items_of(self, period: Period) -> list[Item]:
        return [self.items[(period, part)] for part in Part if (period, part) in self.items]

    def deferred_open(self) -> Decimal:
        return sum((i.deferred_open + i.called_due_open for i in self._deferred()), ZERO)

    def _deferred(self) -> list[Item]:
        return [i for i in self.items.values() if i.deferred_until is not None]

    def open_deferrals(self) -> list[Deferral]:
        return [d for d in self.deferrals if not d.ended]

    def deferral_for(self, period: Period) -> Deferral | None:
        for deferral in self.open_deferrals():
            if period in deferral.periods:
                return deferral
        return None

    def period_paid(self, period: Period) -> bool:
        items = self.items_of(period)
        return bool(items) and all(i.outstanding <= ZERO for i in items)

    def insured_lines(self, period: Period) -> list[tuple[str, Decimal]]:
        """Who is assessed for a period by default: members insured in it, at its base."""
        return [
            (m.resident_id, m.base_for(period))
            for m in self.members.values()
            if m.insured_in(period)
        ]

    def check_member(self, resident_id: str) -> Member:
        member = self.members.get(resident_id)
        if member is None or member.left_on is not None:
            raise Conflict(
                f"person {resident_id} is not a current member of unit {self.uscc}",
                field="resident_id",
            )
        return member

    def check_not_leaving(self) -> None:
        if self.deregistration_requested_on is not None:
            raise Conflict(
                f"unit {self.uscc} requested deregistration on "
                f"{self.deregistration_requested_on}: no new deferral",
                field="uscc",
            )

    def check_period_not_assessed(self, period: Period) -> None:
        if period in self.assessments:
            raise Conflict(
                f"unit {self.uscc} is already assessed for {period}: revoke it first",
                field="period",
            )


#: bases of the unit's events, never stored as events of their own
ABSTRACT_EVENTS: frozenset[type[Unit.Event]] = frozenset(
    {Unit.Event, Unit.Decision, Unit.Created, Unit.Reversal}
)


def event_types() -> frozenset[type[Unit.Event]]:
    """Every type of event a unit stores."""
    return frozenset(
        c
        for c in vars(Unit).values()
        if isinstance(c, type) and issubclass(c, Unit.Event) and c not in ABSTRACT_EVENTS
    )


def fact_types() -> frozenset[type[Unit.Event]]:
    """The unit's facts: every event type that is not a decision (``Unit.Decision``)."""
    return frozenset(c for c in event_types() if not issubclass(c, Unit.Decision))
