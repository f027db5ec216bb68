"""Use cases of the month: assessment (with its decisions), revocation, payments."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from types import EllipsisType
from typing import Any

from ledger.catalogue.policyset import PolicySet
from ledger.clocks import today
from ledger.domain import itemrows
from ledger.domain.errors import Conflict, InvalidValue, NotFound
from ledger.domain.identifiers import parse_resident_id
from ledger.domain.money import ZERO, check_bound, format_money, money
from ledger.domain.period import Period
from ledger.domain.terms import Part
from ledger.domain.unit import Unit
from ledger.measures import allocation, automatic_deferral, reduction
from ledger.measures.deferral import split_on_assessment
from ledger.usecases import personparts
from ledger.usecases.base import Actor, LedgerBase, Result, Saved, part_of, positive_base
from ledger.usecases.ports import Work
from ledger.usecases.stored import Decided, StoredSaver


class AssessmentCases(LedgerBase):
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
        on = today()
        given = [(parse_resident_id(rid, born_by=on), positive_base(b)) for rid, b in lines or ()]

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
        fund_months: int | EllipsisType | None = ...,
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
        if len({rid for rid, _ in lines}) != len(lines):
            seen: set[str] = set()
            for rid, _ in lines:
                if rid in seen:
                    raise InvalidValue(
                        f"person {rid} appears twice in {period}", field="resident_id"
                    )
                seen.add(rid)
        policies = policies or self.policies()
        cited = policies.rates(unit.region, period)
        rates = cited.rule
        limits = policies.base_limits(unit.region, period)
        fixed = policies.fixed_amounts(unit.region, period)
        extra = {part: f.rule.amount for part, f in fixed.items()}
        fixed_um = extra.get(Part.unit_medical, ZERO)
        fixed_mat = extra.get(Part.unit_maternity, ZERO)
        fixed_ind = extra.get(Part.individual, ZERO)
        # Each line's base assessed and parts (personparts: computed once per base as
        # written under these rules); the totals are the sums of the lines' parts.
        table = personparts.table_for(
            rates, None if limits is None else limits.rule, (fixed_um, fixed_mat, fixed_ind)
        )
        known, compute = table.known, table.compute
        rows: list[list[str]] = []
        um_total: Decimal = ZERO
        mat_total: Decimal = ZERO
        ind_total: Decimal = ZERO
        for rid, declared in lines:
            text = str(declared)
            parts = known.get(text) or compute(declared, text)
            texts, um, mat, ind = parts
            um_total += um
            mat_total += mat
            ind_total += ind
            rows.append([rid, *texts])
        totals: dict[Part, Decimal] = dict.fromkeys(Part, ZERO)
        totals[Part.unit_medical] = um_total
        totals[Part.unit_maternity] = mat_total
        totals[Part.individual] = ind_total
        period_text = str(period)
        for part, amount in totals.items():
            # Each part is at most the base plus a fixed amount, and the unit's total at
            # least each part: bounding the totals bounds every amount the views store.
            check_bound(amount, "base", f"the bases give {period_text} a {part} total of")
        unit.trigger_event(
            Unit.PeriodAssessed,
            period=period_text,
            lines=rows,
            totals=itemrows.encode((period, part, amount) for part, amount in totals.items()),
            due_date=policies.due_date(unit.region, period),
            assessed_on=assessed_on,
            rates=cited.citation,
            limits=[] if limits is None else [str(limits.rule.floor), str(limits.rule.ceiling)],
            limits_policy="" if limits is None else limits.citation,
            fixed=[[part.value, str(amount)] for part, amount in extra.items()],
            fixed_policy="; ".join(f.citation for f in fixed.values()),
            **actor.meta(),
        )
        ctx = self._ctx(actor, assessed_on, f"PeriodAssessed {period_text}", unit)
        # ``...`` means not looked up yet; None is a region without declared months.
        months = self._fund_months(unit.region) if fund_months is ... else fund_months
        automatic_deferral.consider(unit, policies, months, ctx)
        reduction.apply_reduction(unit, period, policies, ctx)
        split_on_assessment(unit, period, ctx)
        allocation.apply_credit(unit, ctx)

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
        payload, work = self._payment(uscc, paid_on, amount, actor, items)
        return self._run("collect_payment", key, payload, actor, work)

    def decide_payment(
        self,
        uscc: str,
        paid_on: date,
        amount: str | Decimal,
        actor: Actor,
        items: Sequence[tuple[Period, str, str | Decimal]] | None = None,
        key: str | None = None,
    ) -> Result | Decided:
        """``collect_payment`` up to its save (``StoredSaver.decide``): for payments
        saved together (``ledger.usecases.together``)."""
        payload, work = self._payment(uscc, paid_on, amount, actor, items)
        saver = self.ports.saver
        assert isinstance(saver, StoredSaver), "payments are saved together on a store only"
        return saver.decide("collect_payment", key, payload, actor, work)

    def _payment(
        self,
        uscc: str,
        paid_on: date,
        amount: str | Decimal,
        actor: Actor,
        items: Sequence[tuple[Period, str, str | Decimal]] | None,
    ) -> tuple[dict[str, Any], Work]:
        total = money(amount)
        if total <= ZERO:
            raise InvalidValue(f"payment amount {total} must be positive", field="amount")
        requested: list[tuple[Period, Part, Decimal]] = [
            (p, part_of(part), money(a, field="items.amount")) for p, part, a in items or ()
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
        return payload, work

    def record_payment(
        self,
        unit: Unit,
        paid_on: date,
        total: Decimal,
        requested: list[tuple[Period, Part, Decimal]] | None,
        actor: Actor,
    ) -> None:
        allocations, unallocated = allocation.allocate_payment(unit, total, requested)
        unit.trigger_event(
            Unit.PaymentCollected,
            paid_on=paid_on,
            amount=total,
            allocations=allocations,
            unallocated=unallocated,
            **actor.meta(),
        )
        if unallocated:
            allocation.apply_credit(unit, self._ctx(actor, paid_on, "PaymentCollected", unit))
