"""Which rule applies to a region: resolution over a set of enacted documents.

A document applies to a region when one of its region prefixes starts the
region's code ("" is national, "15" Inner Mongolia, "1504" Chifeng). Where two
documents rule on the same thing the more specific one wins (Inner Mongolia's
deadline over the national notice that leaves it to the locality); between equally
specific ones the later enacted wins. A rule value written "local" is taken from
the operator's locality parameters for the region, and a decision that needs one
that is missing is refused with the document and field named.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

from ledger.catalogue.model import (
    LOCAL,
    ApplicationDeferralRule,
    AutomaticDeferralRule,
    CatalogueFile,
    CommitmentRule,
    Document,
    DueDateRule,
    LateFeeRule,
    PersonalAccountRule,
    RateRule,
    ReductionRule,
    Rule,
)
from ledger.domain.errors import RuleViolation
from ledger.domain.period import Period
from ledger.domain.workdays import WorkingCalendar

R = TypeVar("R", bound=Rule, covariant=True)


@dataclass(frozen=True, slots=True)
class Cited(Generic[R]):
    """A rule together with the document (and version) it comes from."""

    document: Document
    rule: R

    @property
    def citation(self) -> str:
        """What a decision event records as its policy: number, version and paragraph."""
        return f"{self.document.number} v{self.document.version}: {self.rule.source}"


def _specificity(prefixes: tuple[str, ...], region: str) -> int:
    matching = [len(p) for p in prefixes if region.startswith(p)]
    return max(matching) if matching else -1


class PolicySet:
    """The rules in force: one version of each enacted document."""

    def __init__(self, files: list[CatalogueFile]) -> None:
        self.files = {f.document.id: f for f in files}
        self._rates: dict[tuple[str, Period], Cited[RateRule]] = {}
        self._due: dict[tuple[str, Period], date] = {}
        # Resolution per region is asked once per assessment: memoised, it costs a dict look-up.
        self._by_region: dict[tuple[str, str], Cited[Rule] | None] = {}
        self._deferral: dict[str, Cited[AutomaticDeferralRule]] = {}
        self.calendar = self._calendar()

    def __contains__(self, document_id: str) -> bool:
        return document_id in self.files

    def documents(self) -> list[Document]:
        return [f.document for f in self.files.values()]

    def _most_specific(self, region: str, kind: str) -> Cited[Rule] | None:
        key = (region, kind)
        if key not in self._by_region:
            self._by_region[key] = self._resolve(region, kind)
        return self._by_region[key]

    def _resolve(self, region: str, kind: str) -> Cited[Rule] | None:
        best: tuple[int, date, int] | None = None
        found: Cited[Rule] | None = None
        for f in self.files.values():
            rule = getattr(f, kind)
            if rule is None:
                continue
            spec = _specificity(f.document.regions, region)
            if spec < 0:
                continue
            key = (spec, f.document.enacted_on, f.document.version)
            if best is None or key > best:
                best, found = key, Cited(f.document, rule)
        return found

    def rates(self, region: str, period: Period) -> Cited[RateRule]:
        """The contribution rates for a region and period (memoised: imports ask often)."""
        key = (region, period)
        cached = self._rates.get(key)
        if cached is not None:
            return cached
        best: tuple[int, Period] | None = None
        found: Cited[RateRule] | None = None
        for f in self.files.values():
            for rule in f.rates:
                if not region.startswith(rule.region) or rule.since > period:
                    continue
                candidate = (len(rule.region), rule.since)
                if best is None or candidate > best:
                    best, found = candidate, Cited(f.document, rule)
        if found is None:
            raise RuleViolation(
                f"no contribution rates for region {region} in {period}: "
                "the operator supplies them in locality.toml",
                rule="rates",
            )
        self._rates[key] = found
        return found

    def due_date(self, region: str, period: Period) -> date:
        """Due date of a normal assessment of the period (locality parameter)."""
        key = (region, period)
        cached = self._due.get(key)
        if cached is not None:
            return cached
        best: tuple[int, Period] | None = None
        found: DueDateRule | None = None
        for f in self.files.values():
            for rule in f.due_dates:
                if region.startswith(rule.region) and rule.since <= period:
                    candidate = (len(rule.region), rule.since)
                    if best is None or candidate > best:
                        best, found = candidate, rule
        if found is None:
            raise RuleViolation(
                f"no due day for region {region} in {period}: "
                "the operator supplies it in locality.toml",
                rule="due_dates",
            )
        month = period + found.months_after
        due = date(month.year, month.month, found.day)
        self._due[key] = due
        return due

    def personal_account(self, region: str, period: Period) -> Cited[PersonalAccountRule] | None:
        """The personal-account allocation for a region and period; None when none is enacted
        (a view then shows no credit rather than guessing one)."""
        best: tuple[int, Period] | None = None
        found: Cited[PersonalAccountRule] | None = None
        for f in self.files.values():
            for rule in f.personal_account:
                if not region.startswith(rule.region) or rule.since > period:
                    continue
                candidate = (len(rule.region), rule.since)
                if best is None or candidate > best:
                    best, found = candidate, Cited(f.document, rule)
        return found

    def reduction(self, region: str) -> Cited[ReductionRule] | None:
        found = self._most_specific(region, "reduction")
        return None if found is None else Cited(found.document, _as(found.rule, ReductionRule))

    def automatic_deferral(self, region: str) -> Cited[AutomaticDeferralRule] | None:
        """The 2022 deferral rule for the region, its local values filled in."""
        if region in self._deferral:
            return self._deferral[region]
        found = self._most_specific(region, "automatic_deferral")
        if found is None:
            return None
        rule = _as(found.rule, AutomaticDeferralRule)
        updates = {
            name: self._local_value(found.document, "automatic_deferral", name, region)
            for name in ("repayment_deadline", "late_fee_from")
            if getattr(rule, name) == LOCAL
        }
        resolved = Cited(found.document, rule.model_copy(update=updates))
        self._deferral[region] = resolved
        return resolved

    def application_deferral(self, region: str) -> Cited[ApplicationDeferralRule] | None:
        found = self._most_specific(region, "application_deferral")
        if found is None:
            return None
        return Cited(found.document, _as(found.rule, ApplicationDeferralRule))

    def commitment(self, region: str) -> Cited[CommitmentRule] | None:
        found = self._most_specific(region, "commitment")
        return None if found is None else Cited(found.document, _as(found.rule, CommitmentRule))

    def late_fee(self, region: str) -> Cited[LateFeeRule]:
        found = self._most_specific(region, "late_fee")
        if found is None:
            raise RuleViolation(
                f"no late-fee rule enacted for region {region} (社会保险法 第八十六条)",
                rule="late_fee",
            )
        return Cited(found.document, _as(found.rule, LateFeeRule))

    def _local_value(self, document: Document, rule: str, name: str, region: str) -> date:
        best = -1
        value: object = None
        for f in self.files.values():
            for lv in f.local_values:
                if (lv.document, lv.rule, lv.field) != (document.id, rule, name):
                    continue
                if region.startswith(lv.region) and len(lv.region) > best:
                    best, value = len(lv.region), lv.value
        if not isinstance(value, date):
            raise RuleViolation(
                f"{document.number} leaves {rule}.{name} to the locality and region {region} "
                "has no date for it: the operator supplies it in locality.toml",
                rule=f"{rule}.{name}",
            )
        return value

    def _calendar(self) -> WorkingCalendar:
        """Every year's working days, one notice a year; other years are refused."""
        return WorkingCalendar.of_years(
            f.working_calendar for f in self.files.values() if f.working_calendar is not None
        )


def _as(rule: Rule, kind: type[R]) -> R:
    assert isinstance(rule, kind)
    return rule
