"""Use cases of the 2020 deferral on application and of deregistration."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from ledger.domain.errors import Conflict
from ledger.domain.period import PeriodRange
from ledger.domain.terms import Trigger
from ledger.domain.unit import Unit
from ledger.measures import application_deferral, triggers
from ledger.usecases.base import Actor, LedgerBase, Result, Saved


class DeferralCases(LedgerBase):
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
            policies = self.policies()
            cited = application_deferral.rule_for(unit, periods, policies)
            application_deferral.check_application(unit, periods, cited)
            unit.trigger_event(
                Unit.DeferralApplied,
                periods=str(periods),
                applied_on=applied_on,
                document=cited.document.id,
                attachments=list(attachments),
                **actor.meta(),
            )
            if cited.rule.approval == "filing":
                application_deferral.grant(
                    unit,
                    policies,
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
            application_deferral.grant(
                unit,
                self.policies(),
                self._ctx(actor, decided_on, "DeferralDecided"),
                approved=approved,
                approver=approver,
            )
            return [unit]

        payload = {
            "uscc": uscc,
            "approved": approved,
            "decided_on": decided_on,
            "approver": approver,
        }
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
            triggers.call_due_all(
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
            triggers.check_deregistration(unit)
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
