"""The use cases, run again on one unit held in memory: the replay's write side.

``ScratchLedger`` is set-up code: the ledger's own ``Ledger`` composed with the
replay's ports (``ledger.usecases.ports``) instead of the store's, so that a recorded
fact goes through exactly the code a case worker's command went through (validation,
the fact event, the decider) but is never saved. It is those ports:

* ``Units``: the unit being replayed (in memory, never loaded);
* ``Regions``: the region as the replay has it so far (fund months declared up to
  this point of the stream);
* ``Policies``: the reform documents in force at this point of the stream;
* ``Saver``: does the work and keeps the events in memory: no idempotency record, no
  save, no log line (a replay of 300,000 units is not 300,000 use cases).

The facts it records again are the unit's event types that are not decisions
(``Unit.Decision``), and the decisions a person makes by a command
(:data:`COMMANDED_DECISIONS`); ``tests/unit/test_replay_facts.py`` fails on a fact
without its way back in :data:`_FACTS`.

One shortcut, where it is safe: an assessment whose rates, due date, base limits and
fixed amounts resolve, under the reform documents in force, to the very rules of the
same *unchanged* documents the record cited (same citations, same values) is reused:
its person lines and totals are the record's (they are a function of the declared bases,
which are facts, and of those rules), and only its decisions are made again
(:func:`_reuse_assessment`). ``reuse = False`` recomputes every line (``--full``).

Its event store is an in-memory one (``eventsourcing.popo``) that nothing is written
to: a replay never touches the live events or views.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from ledger.application import Ledger
from ledger.catalogue.model import CatalogueFile
from ledger.catalogue.policyset import PolicySet
from ledger.domain.errors import LedgerError, NotFound
from ledger.domain.money import ZERO
from ledger.domain.period import Period, PeriodRange
from ledger.domain.region import Region, region_id
from ledger.domain.state import Line
from ledger.domain.terms import Part
from ledger.domain.unit import Unit, fact_types
from ledger.measures import allocation, automatic_deferral, reduction
from ledger.measures.context import Context
from ledger.measures.deferral import split_on_assessment
from ledger.measures.enactment import decide_on_enactment
from ledger.usecases.base import Actor, Result, decision_context
from ledger.usecases.ports import Ports, Work

#: where the replay keeps nothing: the library's in-memory recorder
SCRATCH_ENV = {"PERSISTENCE_MODULE": "eventsourcing.popo"}


class ScratchLedger:
    """The replay's ports, and the ``Ledger`` composed with them (``self.ledger``)."""

    def __init__(self) -> None:
        self.current: Unit | None = None
        self.in_force: PolicySet = PolicySet([])
        self._regions: dict[str, Region] = {}
        #: reuse the record's person lines of an assessment where the rules are unchanged
        self.reuse = False
        #: documents the reform changes, adds or removes: never a reason to reuse
        self.changed: frozenset[str] = frozenset()
        ports = Ports(units=self, regions=self, policies=self, saver=self)
        self.ledger = Ledger(env=SCRATCH_ENV, ports=lambda _: ports)

    def close(self) -> None:
        self.ledger.close()

    # --------------------------------------------------------------- ports

    def policies(self) -> PolicySet:
        return self.in_force

    def forget(self) -> None:
        """Nothing is enacted through the scratch ledger: ``in_force`` is set by the
        replay as its stream reaches each enactment."""

    def unit(self, uscc: str) -> Unit:
        if self.current is None or self.current.uscc != uscc:
            raise NotFound(f"no unit registered with USCC {uscc}", field="uscc")
        return self.current

    def region(self, code: str) -> Region:
        found = self._regions.get(code)
        if found is None:
            raise NotFound(f"no pooling region registered with code {code}", field="region")
        return found

    def run(
        self,
        command: str,
        key: str | None,
        payload: dict[str, Any],
        actor: Actor,
        work: Work,
        extra: Result | None = None,
    ) -> Result:
        for obj in work():
            if isinstance(obj, Unit):
                self.current = obj
        return {"command": command, "events": []}

    # ------------------------------------------------------------- state

    def start_region(self, code: str, name: str, parent: str) -> None:
        """A region as it was before any fund months were declared."""
        self._regions[code] = Region._create(
            Region.Registered,
            id=region_id(code),
            code=code,
            name=name,
            parent=parent,
            actor="replay",
            reason="",
            request_id="",
        )

    def set_fund_months(self, code: str, months: int | None, as_of: date | None) -> None:
        region = self.region(code)
        region.fund_months = months
        region.fund_months_as_of = as_of

    def fund_months(self, code: str) -> int | None:
        return self.region(code).fund_months

    # -------------------------------------------- region-wide facts on a unit
    # For the one unit in hand, what RegionCases.declare_fund_months and
    # RegionCases._decide_on_enactment do for every unit of a region (same decider calls).

    def decide_fund_months(self, months: int, ctx: Context) -> None:
        if self.current is not None:
            automatic_deferral.consider(self.current, self.in_force, months, ctx)

    def decide_enactment(self, file: CatalogueFile, actor: Actor) -> None:
        unit = self.current
        if unit is None or unit.deregistered_on is not None:
            return
        doc = file.document
        ctx = decision_context(actor, doc.enacted_on, f"PolicyEnacted {doc.number} v{doc.version}")
        decide_on_enactment(unit, file, self.in_force, self.fund_months(unit.region), ctx)

    # ------------------------------------------------------ one recorded fact

    def refile(self, event: Unit.Event) -> bool:
        """Records a unit's fact again through its use case (decisions follow under the
        policies in force). Decisions of the record are set aside (False); a fact the
        use case refuses raises the ``LedgerError`` it raised."""
        actor = Actor(event.actor, event.reason, event.request_id)
        handler = _FACTS.get(type(event))
        if handler is None:
            return False
        return handler(self, event, actor)


def _registered(s: ScratchLedger, e: Any, actor: Actor) -> bool:
    s.current = None
    s.ledger.register_unit(
        uscc=e.uscc,
        name=e.name,
        unit_type=e.unit_type,
        region=e.region,
        agency=e.agency,
        unit_number=e.unit_number,
        established_on=e.established_on,
        actor=actor,
        allow_bad_check=e.uscc_check_overridden,
    )
    return True


def _classified(s: ScratchLedger, e: Any, actor: Actor) -> bool:
    if e.source != "data":
        return False  # an accepted commitment classifies: review_commitment records it
    s.ledger.classify_unit(
        _uscc(s),
        industry=e.industry,
        size_class=e.size_class,
        classified_on=e.classified_on,
        actor=actor,
    )
    return True


def _uscc(s: ScratchLedger) -> str:
    """The USCC of the unit in hand (every fact after its registration names it)."""
    if s.current is None:
        raise NotFound("a fact before the unit's registration", field="uscc")
    return s.current.uscc


def _assessed(s: ScratchLedger, e: Any, actor: Actor) -> bool:
    unit = s.unit(_uscc(s))
    if s.reuse and _same_rules(s, unit.region, e):
        _reuse_assessment(s, unit, e, actor)
        return True
    # Otherwise computed again (and a refusal raised in the use case's own order).
    # The declared base is the fact (the sixth column where the limits held it): the
    # reform's limits, if any, hold it again.
    lines = [(row[0], Line.from_row(row).declared_base) for row in e.lines]
    s.ledger.record_assessment(
        unit,
        Period.parse(e.period),
        lines,
        e.assessed_on,
        actor,
        policies=s.in_force,
        fund_months=s.fund_months(unit.region),
    )
    return True


def _same_rules(s: ScratchLedger, region: str, e: Any) -> bool:
    """Whether the reform's rules for the assessment are those the record cited: the same
    unchanged documents (so the same versions and values) and the same due date. A rule
    the reform lacks answers no: the use case then refuses the fact in its own words."""
    try:
        return _rules_cited(s, region, e)
    except LedgerError:
        return False


def _rules_cited(s: ScratchLedger, region: str, e: Any) -> bool:
    policies, period = s.in_force, Period.parse(e.period)
    rates = policies.rates(region, period)
    if rates.document.id in s.changed or rates.citation != e.rates:
        return False
    if policies.due_date(region, period) != e.due_date:
        return False
    limits = policies.base_limits(region, period)
    if limits is None:
        if e.limits or e.limits_policy:
            return False
    elif (
        limits.document.id in s.changed
        or limits.citation != e.limits_policy
        or [str(limits.rule.floor), str(limits.rule.ceiling)] != list(e.limits)
    ):
        return False
    fixed = policies.fixed_amounts(region, period)
    return (
        all(f.document.id not in s.changed for f in fixed.values())
        and "; ".join(f.citation for f in fixed.values()) == e.fixed_policy
        and [[part.value, str(f.rule.amount)] for part, f in fixed.items()]
        == [list(row) for row in e.fixed]
    )


def _reuse_assessment(s: ScratchLedger, unit: Unit, e: Any, actor: Actor) -> None:
    """The recorded assessment again with its own lines and totals, then the decisions
    ``Ledger.record_assessment`` makes after it, in its order (keep the two alike: the
    scoped-equals-full tests compare them)."""
    period = Period.parse(e.period)
    unit.check_active()
    unit.check_period_not_assessed(period)
    unit.trigger_event(
        Unit.PeriodAssessed,
        period=e.period,
        lines=e.lines,
        totals=e.totals,
        due_date=e.due_date,
        assessed_on=e.assessed_on,
        rates=e.rates,
        limits=e.limits,
        limits_policy=e.limits_policy,
        fixed=e.fixed,
        fixed_policy=e.fixed_policy,
        **actor.meta(),
    )
    ctx = decision_context(actor, e.assessed_on, f"PeriodAssessed {period}", unit)
    automatic_deferral.consider(unit, s.in_force, s.fund_months(unit.region), ctx)
    reduction.apply_reduction(unit, period, s.in_force, ctx)
    split_on_assessment(unit, period, ctx)
    allocation.apply_credit(unit, ctx)


def _paid(s: ScratchLedger, e: Any, actor: Actor) -> bool:
    """The money and its day are facts; the items it settled are named again, each
    capped at what the reform leaves outstanding (the rest is the unit's credit)."""
    unit = s.unit(_uscc(s))
    named: list[tuple[Period, Part, Decimal]] = []
    for p, part, amount in e.allocations:
        item = unit.items.get((Period.parse(p), Part(part)))
        take = min(Decimal(amount), item.outstanding) if item is not None else ZERO
        if take > ZERO:
            named.append((Period.parse(p), Part(part), take))
    s.ledger.record_payment(unit, e.paid_on, e.amount, named or None, actor)
    return True


def _revoked(s: ScratchLedger, e: Any, actor: Actor) -> bool:
    s.ledger.revoke_assessment(_uscc(s), Period.parse(e.period), e.revoked_on, actor)
    return True


def _joined(s: ScratchLedger, e: Any, actor: Actor) -> bool:
    s.ledger.join_person(_uscc(s), e.resident_id, e.base, e.joined_on, actor)
    return True


def _base(s: ScratchLedger, e: Any, actor: Actor) -> bool:
    s.ledger.change_base(_uscc(s), e.resident_id, e.base, Period.parse(e.since), actor)
    return True


def _left(s: ScratchLedger, e: Any, actor: Actor) -> bool:
    s.ledger.person_left(_uscc(s), e.resident_id, e.trigger, e.left_on, actor, e.destination)
    return True


def _filed(s: ScratchLedger, e: Any, actor: Actor) -> bool:
    # "" where the rule does not let the unit choose its months (Inner Mongolia's)
    months = list(PeriodRange.parse(e.periods)) if e.periods else []
    s.ledger.file_commitment(_uscc(s), months, e.filed_on, actor)
    return True


def _reviewed(s: ScratchLedger, e: Any, actor: Actor) -> bool:
    s.ledger.review_commitment(_uscc(s), e.accepted, e.reviewed_on, actor)
    return True


def _found_false(s: ScratchLedger, e: Any, actor: Actor) -> bool:
    s.ledger.find_commitment_false(_uscc(s), e.found_on, actor)
    return True


def _applied(s: ScratchLedger, e: Any, actor: Actor) -> bool:
    s.ledger.apply_for_deferral(
        _uscc(s), PeriodRange.parse(e.periods), e.applied_on, e.attachments, actor
    )
    return True


def _approver_decided(s: ScratchLedger, e: Any, actor: Actor) -> bool:
    """An approver's decision on a 2020 application is a fact the record keeps only as
    its decision (赤峰: 市医疗保障局核准); a grant made on filing is the application's."""
    if e.kind != "application" or not e.caused_by.startswith("DeferralDecided"):
        return False
    approved = isinstance(e, Unit.DeferralGranted)
    approver = "" if approved else e.refusal.removeprefix("refused by ")
    s.ledger.decide_deferral_application(_uscc(s), approved, e.decided_on, approver, actor)
    return True


def _deregistration_requested(s: ScratchLedger, e: Any, actor: Actor) -> bool:
    s.ledger.request_deregistration(_uscc(s), e.requested_on, actor)
    return True


def _deregistration_completed(s: ScratchLedger, e: Any, actor: Actor) -> bool:
    s.ledger.complete_deregistration(_uscc(s), e.completed_on, actor)
    return True


#: decisions a person makes by a command, recorded again as facts: a deregistration the
#: agency completes, an approver's decision on a 2020 application (when it is one)
COMMANDED_DECISIONS: frozenset[type[Unit.Event]] = frozenset(
    {Unit.DeregistrationCompleted, Unit.DeferralGranted, Unit.DeferralRefused}
)
#: what a replay records again: the unit's facts, and the decisions made by a command
REFILED = fact_types() | COMMANDED_DECISIONS


def is_fact(event: Any) -> bool:
    """Whether :meth:`ScratchLedger.refile` records ``event`` again (a fact), rather than
    setting it aside (a decision the decider makes anew)."""
    if type(event) not in REFILED:
        return False
    if isinstance(event, Unit.Classified):
        return bool(event.source == "data")
    if isinstance(event, Unit.DeferralGranted | Unit.DeferralRefused):
        return bool(event.kind == "application" and event.caused_by.startswith("DeferralDecided"))
    return True


#: how each of :data:`REFILED` is recorded again (a test holds the two alike)
_FACTS: dict[type[Any], Callable[[ScratchLedger, Any, Actor], bool]] = {
    Unit.Registered: _registered,
    Unit.Classified: _classified,
    Unit.CommitmentFiled: _filed,
    Unit.CommitmentReviewed: _reviewed,
    Unit.CommitmentFoundFalse: _found_false,
    Unit.PersonJoined: _joined,
    Unit.BaseChanged: _base,
    Unit.PersonLeft: _left,
    Unit.PeriodAssessed: _assessed,
    Unit.AssessmentRevoked: _revoked,
    Unit.PaymentCollected: _paid,
    Unit.DeregistrationRequested: _deregistration_requested,
    Unit.DeferralApplied: _applied,
    Unit.DeferralGranted: _approver_decided,
    Unit.DeferralRefused: _approver_decided,
    Unit.DeregistrationCompleted: _deregistration_completed,
}
