"""The application: one method per use case.

Each use case validates its input, loads what it needs, records the fact, lets
the decider record the decisions, and saves everything (with the idempotency
record) in one atomic save(): a refused command writes nothing, a retried one
returns its first result.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, EventSourcedLog
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Transcoding

from ledger import decisions as decide
from ledger.catalogue.model import CatalogueFile
from ledger.catalogue.policyset import PolicySet
from ledger.catalogue.size_table import default_size_table
from ledger.domain.command import CommandRecord
from ledger.domain.errors import Conflict, InvalidValue, NotFound, RuleViolation
from ledger.domain.identifiers import parse_resident_id, parse_uscc, uscc_has_valid_check
from ledger.domain.money import ZERO, apply_rate, format_money, money
from ledger.domain.period import Period, PeriodRange
from ledger.domain.policy import Policy
from ledger.domain.region import (
    POLICIES_LOG_ID,
    REGIONS_LOG_ID,
    PolicyIndexed,
    Region,
    RegionIndexed,
    UnitIndexed,
    command_id,
    policy_id,
    region_id,
    region_units_log_id,
    unit_id,
)
from ledger.domain.sizeclass import Industry, SizeClass, classify
from ledger.domain.terms import ClassSource, DeferralKind, Part, Trigger, UnitType
from ledger.domain.unit import Unit
from ledger.logs import get_logger


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asks, why, and under which request: recorded in every event."""

    name: str
    reason: str = ""
    request_id: str = ""

    def meta(self) -> dict[str, str]:
        return {"actor": self.name, "reason": self.reason, "request_id": self.request_id}


Result = dict[str, Any]
Saved = list[Any]  # aggregates and log events, as save() takes them


class Ledger(Application[UUID]):
    """The write side of one pooling region's (or one store's) ledger."""

    name = "ledger"

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env)
        self._policy_cache: tuple[int, PolicySet] | None = None
        self.logger = get_logger()

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    # ---------------------------------------------------------- machinery

    def _run(
        self,
        command: str,
        key: str | None,
        payload: dict[str, Any],
        actor: Actor,
        work: Callable[[], Saved],
    ) -> Result:
        """Runs a use case once: refused commands save nothing; retries replay."""
        fingerprint = hashlib.sha256(
            json.dumps(payload, sort_keys=True, default=str).encode()
        ).hexdigest()
        if key:
            previous = self._command(key)
            if previous is not None:
                return previous.replay(command, fingerprint)
        saved = work()
        result = self._summary(command, saved)
        if key:
            record = CommandRecord._create(
                CommandRecord.Recorded,
                id=command_id(key),
                key=key,
                command=command,
                fingerprint=fingerprint,
                result=result,
            )
            saved.append(record)
        try:
            self.save(*saved)
        except IntegrityError:
            # Someone else saved first: the same key replays, anything else is a conflict.
            if key and (previous := self._command(key)) is not None:
                return previous.replay(command, fingerprint)
            raise Conflict(
                f"{command}: the ledger changed while this command ran; try again"
            ) from None
        self.logger.info(
            command,
            actor=actor.name,
            request_id=actor.request_id,
            events=len(result["events"]),
            **{k: v for k, v in payload.items() if k in ("uscc", "period", "region", "document")},
        )
        return result

    @staticmethod
    def _summary(command: str, saved: Saved) -> Result:
        events: list[dict[str, Any]] = []
        for obj in saved:
            pending = obj.pending_events if isinstance(obj, Aggregate) else [obj]
            for event in pending:
                events.append({"type": type(event).__name__, "version": event.originator_version})
        return {"command": command, "events": events}

    def _command(self, key: str) -> CommandRecord | None:
        try:
            return cast(CommandRecord, self.repository.get(command_id(key)))
        except AggregateNotFoundError:
            return None

    def unit(self, uscc: str) -> Unit:
        try:
            return cast(Unit, self.repository.get(unit_id(uscc)))
        except AggregateNotFoundError:
            raise NotFound(f"no unit registered with USCC {uscc}", field="uscc") from None

    def region(self, code: str) -> Region:
        try:
            return cast(Region, self.repository.get(region_id(code)))
        except AggregateNotFoundError:
            raise NotFound(
                f"no pooling region registered with code {code}", field="region"
            ) from None

    def regions(self) -> list[Region]:
        log = EventSourcedLog(self.events, REGIONS_LOG_ID, RegionIndexed)
        return [self.region(e.code) for e in log.get()]

    def unit_ids_in(self, region: str) -> Iterator[UUID]:
        log = EventSourcedLog(self.events, region_units_log_id(region), UnitIndexed)
        for entry in log.get():
            yield entry.unit_id

    def policies(self) -> PolicySet:
        """The enacted policy set (cached until another enactment is logged)."""
        log = EventSourcedLog(self.events, POLICIES_LOG_ID, PolicyIndexed)
        last = log.get_last()
        version = last.originator_version if last else 0
        if self._policy_cache is None or self._policy_cache[0] != version:
            files = []
            for document_id in dict.fromkeys(e.document_id for e in log.get()):
                policy = cast(Policy, self.repository.get(policy_id(document_id)))
                if policy.revoked_on is None:
                    files.append(CatalogueFile.model_validate(policy.content))
            self._policy_cache = (version, PolicySet(files))
        return self._policy_cache[1]

    def _ctx(
        self, actor: Actor, on: date, caused_by: str, unit: Unit | None = None
    ) -> decide.Context:
        """The decision context; with ``unit``, the cause names the fact's version."""
        if unit is not None:
            caused_by = f"{caused_by} (v{unit.version})"
        return decide.Context(actor.name, actor.reason, actor.request_id, on, caused_by)

    def _fund_months(self, code: str) -> int | None:
        return self.region(code).fund_months

    # ------------------------------------------------------------ regions

    def register_region(
        self, code: str, name: str, parent: str, actor: Actor, key: str | None = None
    ) -> Result:
        code, parent = code.strip(), parent.strip()
        if not (code.isdigit() and len(code) == 6):
            raise InvalidValue(
                f"region code {code!r} must be a 6-digit administrative division code",
                field="code",
            )
        if parent and not (parent.isdigit() and len(parent) == 6):
            raise InvalidValue(f"parent region code {parent!r} must have 6 digits", field="parent")

        def work() -> Saved:
            try:
                self.repository.get(region_id(code))
            except AggregateNotFoundError:
                pass
            else:
                raise Conflict(f"region {code} is already registered", field="code")
            region = Region._create(
                Region.Registered,
                id=region_id(code),
                code=code,
                name=name,
                parent=parent,
                **actor.meta(),
            )
            log = EventSourcedLog(self.events, REGIONS_LOG_ID, RegionIndexed)
            return [region, log.trigger_event(code=code)]

        return self._run("register_region", key, {"region": code, "name": name}, actor, work)

    def declare_fund_months(
        self, code: str, months: int, as_of: date, actor: Actor, key: str | None = None
    ) -> Result:
        """Records the fund's payable months and decides the 2022 deferral for its units."""
        if months < 0:
            raise InvalidValue(f"fund months {months} cannot be negative", field="months")

        def work() -> Saved:
            region = self.region(code)
            region.trigger_event(
                Region.FundMonthsDeclared, months=months, as_of=as_of, **actor.meta()
            )
            saved: Saved = [region]
            ctx = self._ctx(actor, as_of, f"FundMonthsDeclared {code} {months}")
            policies = self.policies()
            for uid in self.unit_ids_in(code):
                unit = cast(Unit, self.repository.get(uid))
                decide.consider_automatic_deferral(unit, policies, months, ctx)
                if unit.pending_events:
                    saved.append(unit)
            return saved

        payload = {"region": code, "months": months, "as_of": as_of}
        return self._run("declare_fund_months", key, payload, actor, work)

    # ----------------------------------------------------------- policies

    def enact_policy(self, file: CatalogueFile, actor: Actor, key: str | None = None) -> Result:
        """Records a policy document's content; decides retroactively on affected units."""
        content = file.content()
        doc = file.document

        def work() -> Saved:
            try:
                policy = cast(Policy, self.repository.get(policy_id(doc.id)))
            except AggregateNotFoundError:
                policy = Policy._create(
                    Policy.Enacted,
                    id=policy_id(doc.id),
                    document_id=doc.id,
                    number=doc.number,
                    version=doc.version,
                    enacted_on=doc.enacted_on,
                    content=content,
                    **actor.meta(),
                )
            else:
                if policy.is_same(doc.version, content):
                    return []
                policy.trigger_event(
                    Policy.Amended,
                    version=doc.version,
                    enacted_on=doc.enacted_on,
                    content=content,
                    **actor.meta(),
                )
            log = EventSourcedLog(self.events, POLICIES_LOG_ID, PolicyIndexed)
            saved: Saved = [policy, log.trigger_event(document_id=doc.id)]
            saved.extend(self._decide_on_enactment(file, actor))
            return saved

        return self._run("enact_policy", key, {"document": doc.id, "content": content}, actor, work)

    def _decide_on_enactment(self, file: CatalogueFile, actor: Actor) -> list[Unit]:
        """Retroactivity: periods assessed before the enactment are decided now."""
        current = self.policies()
        policies = PolicySet(
            [*(f for f in current.files.values() if f.document.id != file.document.id), file]
        )
        touched: list[Unit] = []
        ctx = self._ctx(
            actor,
            file.document.enacted_on,
            f"PolicyEnacted {file.document.number} v{file.document.version}",
        )
        for region in self.regions():
            if not any(region.code.startswith(p) for p in file.document.regions):
                continue
            for uid in self.unit_ids_in(region.code):
                unit = cast(Unit, self.repository.get(uid))
                if unit.deregistered_on is not None:
                    continue
                if file.reduction is not None:
                    for period in sorted(unit.assessments):
                        decide.apply_reduction(unit, period, policies, ctx)
                    decide.apply_credit(unit, ctx)
                if file.automatic_deferral is not None:
                    decide.consider_automatic_deferral(unit, policies, region.fund_months, ctx)
                if unit.pending_events:
                    touched.append(unit)
        self._policy_cache = None
        return touched

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
            decide.consider_automatic_deferral(unit, self.policies(), home.fund_months, ctx)
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
            decide.consider_automatic_deferral(
                unit, self.policies(), self._fund_months(unit.region), ctx
            )
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
        """承诺书: the unit commits it is an SME and chooses its deferral months."""
        chosen = sorted(set(months))
        if not chosen:
            raise InvalidValue("a commitment names at least one month", field="months")

        def work() -> Saved:
            unit = self.unit(uscc)
            unit.check_active()
            cited = self.policies().commitment(unit.region)
            if cited is None:
                raise RuleViolation(
                    f"no commitment path is enacted for region {unit.region}",
                    rule="commitment",
                )
            rule = cited.rule
            if rule.consecutive and chosen[0].months_until(chosen[-1]) != len(chosen) - 1:
                raise RuleViolation(
                    f"months {', '.join(map(str, chosen))} are not consecutive ({cited.citation})",
                    rule="commitment.consecutive",
                )
            outside = [p for p in chosen if p not in rule.window]
            if outside:
                raise RuleViolation(
                    f"months {', '.join(map(str, outside))} are outside the window "
                    f"{rule.window} ({cited.citation})",
                    rule="commitment.window",
                )
            if unit.class_source is ClassSource.data:
                raise Conflict(
                    f"unit {uscc} is classified from data ({unit.size_class}); a written "
                    "commitment is only for units data cannot classify",
                    field="uscc",
                )
            if unit.commitment is not None and unit.commitment.accepted is not False:
                raise Conflict(f"unit {uscc} already filed a commitment", field="uscc")
            unit.check_not_leaving()
            review_by = self.policies().calendar.add_working_days(
                filed_on, rule.review_working_days
            )
            unit.trigger_event(
                Unit.CommitmentFiled,
                periods=str(PeriodRange(chosen[0], chosen[-1])),
                filed_on=filed_on,
                review_by=review_by,
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
                    size_class=decide.COMMITTED_SME,
                    industry="",
                    source=ClassSource.commitment.value,
                    classified_on=reviewed_on,
                    **actor.meta(),
                )
                decide.consider_automatic_deferral(
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
            decide.call_due_all(
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
        rid = parse_resident_id(resident_id)
        amount = _positive_base(base)

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
        rid = parse_resident_id(resident_id)
        amount = _positive_base(base)

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
        rid = parse_resident_id(resident_id)
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
            decide.call_due_for_person(
                unit, rid, why, self._ctx(actor, left_on, f"PersonLeft {why.value}", unit)
            )
            return [unit]

        payload = {"uscc": uscc, "resident_id": rid, "trigger": why.value, "left_on": left_on}
        return self._run("person_left", key, payload, actor, work)

    # ---------------------------------------------------------- assessment

    def assess(
        self,
        uscc: str,
        period: Period,
        assessed_on: date,
        actor: Actor,
        lines: Sequence[tuple[str, str | Decimal]] | None = None,
        key: str | None = None,
    ) -> Result:
        """核定 a period: per person the base (given, or the members' current bases)."""
        given = [(parse_resident_id(rid), _positive_base(b)) for rid, b in lines or ()]

        def work() -> Saved:
            unit = self.unit(uscc)
            self.record_assessment(unit, period, given or None, assessed_on, actor)
            return [unit]

        payload = {"uscc": uscc, "period": str(period), "lines": given, "on": assessed_on}
        return self._run("assess", key, payload, actor, work)

    def record_assessment(
        self,
        unit: Unit,
        period: Period,
        lines: list[tuple[str, Decimal]] | None,
        assessed_on: date,
        actor: Actor,
        policies: PolicySet | None = None,
        fund_months: int | None = None,
    ) -> None:
        """The assessment fact and its decisions on a loaded unit (shared with bulk import)."""
        unit.check_active()
        unit.check_period_not_assessed(period)
        if lines is None:
            lines = unit.insured_lines(period)
        if not lines:
            raise InvalidValue(
                f"unit {unit.uscc} has no persons to assess for {period}", field="lines"
            )
        seen: set[str] = set()
        for rid, _ in lines:
            if rid in seen:
                raise InvalidValue(f"person {rid} appears twice in {period}", field="resident_id")
            seen.add(rid)
        policies = policies or self.policies()
        cited = policies.rates(unit.region, period)
        rates = cited.rule
        rows: list[list[str]] = []
        totals: dict[Part, Decimal] = dict.fromkeys(Part, ZERO)
        for rid, base in lines:
            um = apply_rate(base, rates.unit_medical)
            mat = apply_rate(base, rates.unit_maternity)
            ind = apply_rate(base, rates.individual)
            totals[Part.unit_medical] += um
            totals[Part.unit_maternity] += mat
            totals[Part.individual] += ind
            rows.append([rid, str(base), str(um), str(mat), str(ind)])
        unit.trigger_event(
            Unit.PeriodAssessed,
            period=str(period),
            lines=rows,
            totals=[
                [str(period), part.value, str(amount)] for part, amount in totals.items() if amount
            ],
            due_date=policies.due_date(unit.region, period),
            assessed_on=assessed_on,
            rates=cited.citation,
            **actor.meta(),
        )
        ctx = self._ctx(actor, assessed_on, f"PeriodAssessed {period}", unit)
        months = fund_months if fund_months is not None else self._fund_months(unit.region)
        decide.consider_automatic_deferral(unit, policies, months, ctx)
        decide.apply_reduction(unit, period, policies, ctx)
        deferral = unit.deferral_for(period)
        if deferral is not None and unit.deregistration_requested_on is None:
            decide.split_period(unit, period, deferral, ctx)
        decide.apply_credit(unit, ctx)

    def revoke_assessment(
        self, uscc: str, period: Period, revoked_on: date, actor: Actor, key: str | None = None
    ) -> Result:
        def work() -> Saved:
            unit = self.unit(uscc)
            if period not in unit.assessments:
                raise NotFound(f"unit {uscc} has no assessment for {period}", field="period")
            settled = sum((i.settled for i in unit.items_of(period)), ZERO)
            if settled:
                raise Conflict(
                    f"the assessment of {period} has {format_money(settled)} paid or credited; "
                    "it cannot be revoked",
                    field="period",
                )
            unit.trigger_event(
                Unit.AssessmentRevoked, period=str(period), revoked_on=revoked_on, **actor.meta()
            )
            return [unit]

        payload = {"uscc": uscc, "period": str(period), "revoked_on": revoked_on}
        return self._run("revoke_assessment", key, payload, actor, work)

    # ------------------------------------------------------------- payments

    def collect_payment(
        self,
        uscc: str,
        paid_on: date,
        amount: str | Decimal,
        actor: Actor,
        items: Sequence[tuple[Period, str, str | Decimal]] | None = None,
        key: str | None = None,
    ) -> Result:
        """回传: money the tax bureau collected, per item if it says so."""
        total = money(amount)
        if total <= ZERO:
            raise InvalidValue(f"payment amount {total} must be positive", field="amount")
        requested: list[tuple[Period, Part, Decimal]] = [
            (p, _part(part), money(a, field="items.amount")) for p, part, a in items or ()
        ]

        def work() -> Saved:
            unit = self.unit(uscc)
            self.record_payment(unit, paid_on, total, requested or None, actor)
            return [unit]

        payload = {
            "uscc": uscc,
            "paid_on": paid_on,
            "amount": total,
            "items": [(str(p), part.value, a) for p, part, a in requested],
        }
        return self._run("collect_payment", key, payload, actor, work)

    def record_payment(
        self,
        unit: Unit,
        paid_on: date,
        total: Decimal,
        requested: list[tuple[Period, Part, Decimal]] | None,
        actor: Actor,
    ) -> None:
        allocations, unallocated = decide.allocate_payment(unit, total, requested)
        unit.trigger_event(
            Unit.PaymentCollected,
            paid_on=paid_on,
            amount=total,
            allocations=allocations,
            unallocated=unallocated,
            **actor.meta(),
        )
        if unallocated:
            decide.apply_credit(unit, self._ctx(actor, paid_on, "PaymentCollected", unit))

    # ------------------------------------------------------ 2020 deferrals

    def apply_for_deferral(
        self,
        uscc: str,
        periods: PeriodRange,
        applied_on: date,
        attachments: Sequence[str],
        actor: Actor,
        key: str | None = None,
    ) -> Result:
        """申请缓缴 (2020): written application and balance sheet; limits by region."""

        def work() -> Saved:
            unit = self.unit(uscc)
            unit.check_active()
            cited = self.policies().application_deferral(unit.region)
            if cited is None:
                raise RuleViolation(
                    f"no deferral on application is enacted for region {unit.region}",
                    rule="application_deferral",
                )
            rule = cited.rule
            unit.check_not_leaving()
            if unit.unit_type not in rule.eligible_unit_types:
                raise RuleViolation(
                    f"unit type {unit.unit_type.value} may not apply ({cited.citation})",
                    rule="application_deferral.eligible_unit_types",
                )
            if len(periods) > rule.max_months:
                raise RuleViolation(
                    f"a deferral of {len(periods)} months exceeds the {rule.max_months} allowed "
                    f"by {cited.document.number}",
                    rule="application_deferral.max_months",
                )
            # The limit is the unit's deferral: applications together, never overlapping.
            granted = [d for d in unit.deferrals if d.kind is DeferralKind.application]
            for earlier in granted:
                if earlier.periods.overlaps(periods):
                    raise Conflict(
                        f"unit {uscc} already defers {earlier.periods} on application",
                        field="periods",
                    )
            already = sum(len(d.periods) for d in granted)
            if already and already + len(periods) > rule.max_months:
                raise RuleViolation(
                    f"a deferral of {len(periods)} more months on top of the {already} granted "
                    f"exceeds the {rule.max_months} allowed by {cited.document.number}",
                    rule="application_deferral.max_months",
                )
            deadline = decide.application_deadline(periods)
            if rule.latest_end is not None and deadline > rule.latest_end:
                raise RuleViolation(
                    f"a deferral of {periods} would run to {deadline}, past {rule.latest_end} "
                    f"({cited.document.number})",
                    rule="application_deferral.latest_end",
                )
            if unit.application is not None and not unit.application.decided:
                raise Conflict(f"unit {uscc} has an application awaiting decision", field="uscc")
            unit.trigger_event(
                Unit.DeferralApplied,
                periods=str(periods),
                applied_on=applied_on,
                document=cited.document.id,
                attachments=list(attachments),
                **actor.meta(),
            )
            if rule.approval == "filing":
                decide.grant_application_deferral(
                    unit,
                    self.policies(),
                    self._ctx(actor, applied_on, "DeferralApplied", unit),
                    approved=True,
                    approver="",
                )
            return [unit]

        payload = {
            "uscc": uscc,
            "periods": str(periods),
            "applied_on": applied_on,
            "attachments": list(attachments),
        }
        return self._run("apply_for_deferral", key, payload, actor, work)

    def decide_deferral_application(
        self,
        uscc: str,
        approved: bool,
        decided_on: date,
        approver: str,
        actor: Actor,
        key: str | None = None,
    ) -> Result:
        """The approver's decision where the policy needs one (赤峰: 市医疗保障局核准)."""

        def work() -> Saved:
            unit = self.unit(uscc)
            if unit.application is None or unit.application.decided:
                raise Conflict(f"unit {uscc} has no application awaiting decision", field="uscc")
            decide.grant_application_deferral(
                unit,
                self.policies(),
                self._ctx(actor, decided_on, "DeferralDecided"),
                approved=approved,
                approver=approver,
            )
            return [unit]

        payload = {"uscc": uscc, "approved": approved, "decided_on": decided_on}
        return self._run("decide_deferral_application", key, payload, actor, work)

    # ------------------------------------------------------- deregistration

    def request_deregistration(
        self, uscc: str, requested_on: date, actor: Actor, key: str | None = None
    ) -> Result:
        """注销 requested: every deferred amount is called due at once."""

        def work() -> Saved:
            unit = self.unit(uscc)
            unit.check_active()
            if unit.deregistration_requested_on is not None:
                raise Conflict(f"unit {uscc} already requested deregistration", field="uscc")
            unit.trigger_event(
                Unit.DeregistrationRequested, requested_on=requested_on, **actor.meta()
            )
            decide.call_due_all(
                unit,
                Trigger.deregistration,
                self._ctx(actor, requested_on, "DeregistrationRequested", unit),
            )
            return [unit]

        payload = {"uscc": uscc, "requested_on": requested_on}
        return self._run("request_deregistration", key, payload, actor, work)

    def complete_deregistration(
        self, uscc: str, completed_on: date, actor: Actor, key: str | None = None
    ) -> Result:
        """Refused while deferred amounts are unpaid (医保发〔2022〕21号 四: 注销前缴纳)."""

        def work() -> Saved:
            unit = self.unit(uscc)
            unit.check_active()
            if unit.deregistration_requested_on is None:
                raise Conflict(f"unit {uscc} has not requested deregistration", field="uscc")
            unpaid = unit.deferred_open()
            if unpaid > ZERO:
                raise RuleViolation(
                    f"unit {uscc} cannot deregister: {format_money(unpaid)} of deferred "
                    "contributions are unpaid (医保发〔2022〕21号 四: 应在注销前缴纳缓缴的缴费)",
                    rule="deregistration",
                )
            policy = unit.deferrals[-1] if unit.deferrals else None
            unit.trigger_event(
                Unit.DeregistrationCompleted,
                completed_on=completed_on,
                document=policy.document if policy else "",
                policy=policy.policy if policy else "",
                caused_by="DeregistrationRequested",
                decided_on=completed_on,
                **actor.meta(),
            )
            return [unit]

        payload = {"uscc": uscc, "completed_on": completed_on}
        return self._run("complete_deregistration", key, payload, actor, work)

    # --------------------------------------------------------------- reads

    def unit_history(self, uscc: str) -> list[Any]:
        """Every event of a unit, in order (the audit trail's raw material)."""
        return list(self.events.get(unit_id(uscc)))

    def load_units(self, ids: Iterable[UUID]) -> dict[UUID, Unit]:
        """Many units at once; missing ones are absent from the result."""
        found: dict[UUID, Unit] = {}
        for uid in ids:
            try:
                found[uid] = cast(Unit, self.repository.get(uid))
            except AggregateNotFoundError:
                continue
        return found


def _positive_base(base: str | Decimal) -> Decimal:
    amount = money(base, field="base")
    if amount <= ZERO:
        raise InvalidValue(f"contribution base {amount} must be positive", field="base")
    return amount


def _part(value: str) -> Part:
    try:
        return Part(value)
    except ValueError:
        raise InvalidValue(
            f"part {value!r} is not unit_medical, unit_maternity or individual", field="part"
        ) from None
