"""Use cases of units and their persons: registration, classification, written
commitments, joining and leaving (which calls deferred amounts due)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from eventsourcing.application import EventSourcedLog

from ledger.catalogue.size_table import default_size_table
from ledger.clocks import today
from ledger.domain.errors import Conflict, InvalidValue
from ledger.domain.identifiers import parse_resident_id, parse_uscc, uscc_has_valid_check
from ledger.domain.period import Period
from ledger.domain.region import (
    UnitIndexed,
    region_units_log_id,
    unit_id,
)
from ledger.domain.sizeclass import Industry, SizeClass, classify
from ledger.domain.terms import ClassSource, Trigger, UnitType
from ledger.domain.unit import Unit
from ledger.measures import automatic_deferral, commitment, triggers
from ledger.usecases.base import Actor, LedgerBase, Result, Saved, positive_base


class UnitCases(LedgerBase):
    # --------------------------------------------------------------- units

    def register_unit(
        self,
        *,
        uscc: str,
        name: str,
        unit_type: str,
        region: str,
        agency: str,
        unit_number: str,
        established_on: date,
        actor: Actor,
        allow_bad_check: bool = False,
        key: str | None = None,
    ) -> Result:
        code = parse_uscc(uscc, allow_bad_check=allow_bad_check)
        try:
            kind = UnitType(unit_type)
        except ValueError:
            allowed = ", ".join(t.value for t in UnitType)
            raise InvalidValue(
                f"unit type {unit_type!r} is not one of {allowed}", field="unit_type"
            ) from None
        if not name.strip():
            raise InvalidValue("unit name is empty", field="name")
        if not agency.strip():
            raise InvalidValue("agency code (医保经办机构代码) is empty", field="agency")

        def work() -> Saved:
            home = self.region(region)
            if unit_id(code) in self.repository:
                raise Conflict(f"unit {code} is already registered", field="uscc")
            unit = Unit.register(
                unit_id(code),
                uscc=code,
                uscc_check_overridden=not uscc_has_valid_check(code),
                name=name.strip(),
                unit_type=kind.value,
                region=home.code,
                agency=agency.strip(),
                unit_number=unit_number.strip(),
                established_on=established_on,
                **actor.meta(),
            )
            log = EventSourcedLog(self.events, region_units_log_id(home.code), UnitIndexed)
            ctx = self._ctx(actor, established_on, f"Registered {code}")
            automatic_deferral.consider(unit, self.policies(), home.fund_months, ctx)
            return [unit, log.trigger_event(unit_id=unit.id, uscc=code)]

        payload = {
            "uscc": code,
            "name": name,
            "unit_type": kind.value,
            "region": region,
            "agency": agency,
            "unit_number": unit_number,
            "established_on": established_on,
        }
        return self._run("register_unit", key, payload, actor, work)

    def classify_unit(
        self,
        uscc: str,
        *,
        industry: str,
        classified_on: date,
        actor: Actor,
        size_class: str | None = None,
        employees: int | None = None,
        revenue: Decimal | None = None,
        assets: Decimal | None = None,
        key: str | None = None,
    ) -> Result:
        """企业划型 from department data: a class given, or computed from the indicators."""
        try:
            trade = Industry(industry)
        except ValueError:
            raise InvalidValue(f"industry {industry!r} is unknown", field="industry") from None
        if size_class is not None:
            try:
                klass = SizeClass(size_class)
            except ValueError:
                raise InvalidValue(
                    f"size class {size_class!r} is not large, medium, small or micro",
                    field="size_class",
                ) from None
        else:
            klass = classify(
                default_size_table(), trade, employees=employees, revenue=revenue, assets=assets
            )

        def work() -> Saved:
            unit = self.unit(uscc)
            unit.check_active()
            if unit.class_source is not None:
                raise Conflict(
                    f"unit {uscc} is already classified ({unit.size_class}, from "
                    f"{unit.class_source.value}); 划型结果一经确认原则上不再变更",
                    field="size_class",
                )
            unit.trigger_event(
                Unit.Classified,
                size_class=klass.value,
                industry=trade.value,
                source=ClassSource.data.value,
                classified_on=classified_on,
                **actor.meta(),
            )
            ctx = self._ctx(actor, classified_on, f"Classified {klass.value}", unit)
            automatic_deferral.consider(unit, self.policies(), self._fund_months(unit.region), ctx)
            return [unit]

        payload = {
            "uscc": uscc,
            "industry": industry,
            "size_class": klass.value,
            "classified_on": classified_on,
        }
        return self._run("classify_unit", key, payload, actor, work)

    # -------------------------------------------------------- commitments

    def file_commitment(
        self,
        uscc: str,
        months: Sequence[Period],
        filed_on: date,
        actor: Actor,
        key: str | None = None,
    ) -> Result:
        """承诺书: the unit commits it is an SME (and, where the rule lets it, chooses its
        deferral months); the review is due some working days after filing."""
        chosen = sorted(set(months))

        def work() -> Saved:
            unit = self.unit(uscc)
            unit.check_active()
            policies = self.policies()
            cited = commitment.rule_for(unit, chosen, filed_on, policies)
            periods = commitment.check_filing(unit, chosen, cited)
            unit.trigger_event(
                Unit.CommitmentFiled,
                periods=str(periods) if periods is not None else "",
                filed_on=filed_on,
                review_by=commitment.review_by(unit, filed_on, cited, policies),
                document=cited.document.id,
                **actor.meta(),
            )
            return [unit]

        payload = {"uscc": uscc, "months": [str(p) for p in chosen], "filed_on": filed_on}
        return self._run("file_commitment", key, payload, actor, work)

    def review_commitment(
        self, uscc: str, accepted: bool, reviewed_on: date, actor: Actor, key: str | None = None
    ) -> Result:
        def work() -> Saved:
            unit = self.unit(uscc)
            commitment = unit.commitment
            if commitment is None or commitment.accepted is not None:
                raise Conflict(f"unit {uscc} has no commitment awaiting review", field="uscc")
            if reviewed_on < commitment.filed_on:
                raise InvalidValue(
                    f"review date {reviewed_on} is before the filing on {commitment.filed_on}",
                    field="reviewed_on",
                )
            unit.trigger_event(
                Unit.CommitmentReviewed,
                accepted=accepted,
                reviewed_on=reviewed_on,
                late=reviewed_on > commitment.review_by,
                **actor.meta(),
            )
            ctx = self._ctx(actor, reviewed_on, "CommitmentReviewed", unit)
            if accepted:
                unit.trigger_event(
                    Unit.Classified,
                    size_class=automatic_deferral.COMMITTED_SME,
                    industry="",
                    source=ClassSource.commitment.value,
                    classified_on=reviewed_on,
                    **actor.meta(),
                )
                automatic_deferral.consider(
                    unit, self.policies(), self._fund_months(unit.region), ctx
                )
            return [unit]

        payload = {"uscc": uscc, "accepted": accepted, "reviewed_on": reviewed_on}
        return self._run("review_commitment", key, payload, actor, work)

    def find_commitment_false(
        self, uscc: str, found_on: date, actor: Actor, key: str | None = None
    ) -> Result:
        """A false commitment: deferred principal due with late fees from the original dates."""

        def work() -> Saved:
            unit = self.unit(uscc)
            if unit.commitment is None or not unit.commitment.accepted:
                raise Conflict(f"unit {uscc} has no accepted commitment", field="uscc")
            if unit.commitment.found_false_on is not None:
                raise Conflict(f"unit {uscc}'s commitment was already found false", field="uscc")
            unit.trigger_event(Unit.CommitmentFoundFalse, found_on=found_on, **actor.meta())
            triggers.call_due_all(
                unit,
                Trigger.false_commitment,
                self._ctx(actor, found_on, "CommitmentFoundFalse", unit),
            )
            return [unit]

        return self._run(
            "find_commitment_false", key, {"uscc": uscc, "found_on": found_on}, actor, work
        )

    # ------------------------------------------------------------- persons

    def join_person(
        self,
        uscc: str,
        resident_id: str,
        base: str | Decimal,
        joined_on: date,
        actor: Actor,
        key: str | None = None,
    ) -> Result:
        # a new person: the ID must be plausible, born by today (China Standard Time)
        rid = parse_resident_id(resident_id, born_by=today())
        amount = positive_base(base)

        def work() -> Saved:
            unit = self.unit(uscc)
            unit.check_active()
            member = unit.members.get(rid)
            if member is not None and member.left_on is None:
                raise Conflict(
                    f"person {rid} is already a member of unit {uscc}", field="resident_id"
                )
            unit.trigger_event(
                Unit.PersonJoined, resident_id=rid, base=amount, joined_on=joined_on, **actor.meta()
            )
            return [unit]

        payload = {"uscc": uscc, "resident_id": rid, "base": amount, "joined_on": joined_on}
        return self._run("join_person", key, payload, actor, work)

    def change_base(
        self,
        uscc: str,
        resident_id: str,
        base: str | Decimal,
        since: Period,
        actor: Actor,
        key: str | None = None,
    ) -> Result:
        # a member already recorded: named by form and check character alone
        rid = parse_resident_id(resident_id, plausible=False)
        amount = positive_base(base)

        def work() -> Saved:
            unit = self.unit(uscc)
            unit.check_member(rid)
            unit.trigger_event(
                Unit.BaseChanged, resident_id=rid, base=amount, since=str(since), **actor.meta()
            )
            return [unit]

        payload = {"uscc": uscc, "resident_id": rid, "base": amount, "since": str(since)}
        return self._run("change_base", key, payload, actor, work)

    def person_left(
        self,
        uscc: str,
        resident_id: str,
        trigger: str,
        left_on: date,
        actor: Actor,
        destination: str = "",
        key: str | None = None,
    ) -> Result:
        """离职, 退休 or 关系转移: the person's deferred unit part is called due."""
        rid = parse_resident_id(resident_id, plausible=False)
        try:
            why = Trigger(trigger)
        except ValueError:
            why = None
        if why not in (Trigger.resignation, Trigger.retirement, Trigger.transfer):
            raise InvalidValue(
                f"{trigger!r} is not resignation, retirement or transfer", field="trigger"
            )
        assert why is not None

        def work() -> Saved:
            unit = self.unit(uscc)
            unit.check_member(rid)
            unit.trigger_event(
                Unit.PersonLeft,
                resident_id=rid,
                trigger=why.value,
                left_on=left_on,
                destination=destination,
                **actor.meta(),
            )
            triggers.call_due_for_person(
                unit, rid, why, self._ctx(actor, left_on, f"PersonLeft {why.value}", unit)
            )
            return [unit]

        payload = {
            "uscc": uscc,
            "resident_id": rid,
            "trigger": why.value,
            "left_on": left_on,
            "destination": destination,
        }
        return self._run("person_left", key, payload, actor, work)
