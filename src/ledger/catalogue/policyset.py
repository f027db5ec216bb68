"""The rules in force: typed answers over one set of enacted documents.

Every question ("the rates of region 150302 in 2024-03", "the reduction of 2020-02", "the
calendar of 2023") goes through :func:`ledger.catalogue.claims.resolve`: among the
documents in force for that period or day, the most specific region wins, then the one
that supersedes the others. Several documents of one kind live side by side across the
years (a 2022 deferral and a 2023 one; rates from 2022-01 and from 2024-01).

A rule value written "local" is taken from the operator's locality parameters for the
region, and a decision that needs one that is missing is refused with the document and
field named.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Generic, TypeVar

from ledger.catalogue.claims import Claim, claims_of, conflicts, resolve
from ledger.catalogue.model import (
    LOCAL,
    ApplicationDeferralRule,
    AutomaticDeferralRule,
    BaseLimitRule,
    CatalogueFile,
    CommitmentRule,
    Document,
    DueDateRule,
    FixedAmountRule,
    LateFeeRule,
    PersonalAccountRule,
    RateRule,
    ReductionRule,
    Rule,
    WorkingCalendarData,
)
from ledger.domain.errors import CatalogueError, Conflict, RuleViolation
from ledger.domain.latefee import DailyRates
from ledger.domain.period import Period
from ledger.domain.terms import Part
from ledger.domain.workdays import WorkingCalendar

R = TypeVar("R", bound=Rule, covariant=True)
_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Cited(Generic[R]):
    """A rule together with the document (and version) it comes from."""

    document: Document
    rule: R

    @property
    def citation(self) -> str:
        """What a decision event records as its policy: number, version and paragraph."""
        return f"{self.document.number} v{self.document.version}: {self.rule.source}"


def check_compatible(
    files: list[CatalogueFile],
    new: set[str] | None = None,
    revoked: Mapping[str, date] | None = None,
) -> None:
    """Refuses a set of documents two of which rule on the same kind, region and days
    without one superseding the other (naming both); a revoked document only until its
    revocation. With ``new``, only the pairs that involve those document ids."""
    found = conflicts(claims_of(files, revoked), new)
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise Conflict(found[0] + more, field="document.supersedes")


class PolicySet:
    """One version of each enacted document, and the rules they put in force; a revoked
    document (``revoked``: id -> the day it ends) rules only on what came before."""

    def __init__(
        self, files: list[CatalogueFile], revoked: Mapping[str, date] | None = None
    ) -> None:
        self.files: dict[str, CatalogueFile] = {}
        for f in files:
            # Two versions (or contents) of one document in one set: which would rule?
            # Refused as enacting them would be, never the last silently kept.
            held = self.files.setdefault(f.document.id, f)
            if held != f:
                raise CatalogueError(
                    f"the policy set holds document {f.document.id!r} twice with different "
                    f"content (v{held.document.version} and v{f.document.version}); keep one",
                    field="document.id",
                )
        self.revoked = dict(revoked or {})
        self._claims = claims_of(self.files.values(), self.revoked)
        # Resolution is asked per person-month by the importer: memoised, a dict look-up.
        self._resolved: dict[tuple[str, str, date], Cited[Rule] | None] = {}
        self._measures: dict[tuple[str, str], list[Cited[Rule]]] = {}
        self._calendars: dict[str, WorkingCalendar] = {}
        self._rates: dict[str, DailyRates] = {}
        self._filled: dict[tuple[str, int, str], Cited[Rule]] = {}
        # Asked once per assessment (an import asks per unit): memoised like resolution.
        self._due: dict[tuple[str, Period], date] = {}
        self._fixed: dict[tuple[str, Period], dict[Part, Cited[FixedAmountRule]]] = {}

    def __contains__(self, document_id: str) -> bool:
        """Whether the document is enacted and not revoked."""
        return document_id in self.files and document_id not in self.revoked

    def documents(self) -> list[Document]:
        """The documents enacted and not revoked."""
        return [f.document for f in self.files.values() if f.document.id not in self.revoked]

    def with_file(self, file: CatalogueFile) -> PolicySet:
        """This set with ``file`` enacted (replacing its earlier version)."""
        others = [f for f in self.files.values() if f.document.id != file.document.id]
        return PolicySet([*others, file], self.revoked)

    # ---------------------------------------------------------- resolution

    def resolve(self, kind: str, region: str, day: date) -> Cited[Rule] | None:
        """The rule of ``kind`` in force for ``region`` on ``day`` (a period asks for its
        first day), with its document; None when no document rules on it."""
        key = (kind, region, day)
        if key not in self._resolved:
            claim = resolve(self._claims.get(kind, ()), region, day)
            self._resolved[key] = None if claim is None else Cited(claim.document, claim.rule)
        return self._resolved[key]

    def measures(self, kind: str, region: str) -> list[Cited[Rule]]:
        """Every document of a measure's kind in force somewhere in its own periods for the
        region (a 2022 deferral and a 2023 one), oldest first; a document another one
        overrides for all of its periods (the national notice where the province's rules)
        is left out."""
        key = (kind, region)
        if key not in self._measures:
            found: list[Cited[Rule]] = []
            for claim in sorted(self._claims.get(kind, ()), key=lambda c: c.start):
                if (
                    region.startswith(claim.region)
                    and all(c.document.id != claim.document.id for c in found)
                    and self._rules_somewhere(claim, region)
                ):
                    found.append(Cited(claim.document, claim.rule))
            self._measures[key] = found
        return self._measures[key]

    def _rules_somewhere(self, claim: Claim, region: str) -> bool:
        assert claim.end is not None  # a measure names its periods
        period = Period.of(claim.start)
        while period.first_day <= claim.end:
            won = self.resolve(claim.kind, region, period.first_day)
            if won is not None and won.document.id == claim.document.id:
                return True
            period = period + 1
        return False

    def _typed(self, kind: str, region: str, day: date, as_type: type[R]) -> Cited[R] | None:
        found = self.resolve(kind, region, day)
        return None if found is None else Cited(found.document, _as(found.rule, as_type))

    # --------------------------------------------------- series (per period)

    def rates(self, region: str, period: Period) -> Cited[RateRule]:
        """The contribution rates for a region and period."""
        found = self._typed("rates", region, period.first_day, RateRule)
        if found is None:
            raise RuleViolation(
                f"no contribution rates for region {region} in {period}: "
                "the operator supplies them in locality.toml",
                rule="rates",
            )
        return found

    def due_date(self, region: str, period: Period) -> date:
        """Due date of a normal assessment of the period (locality parameter)."""
        due = self._due.get((region, period))
        if due is None:
            found = self._typed("due_dates", region, period.first_day, DueDateRule)
            if found is None:
                raise RuleViolation(
                    f"no due day for region {region} in {period}: "
                    "the operator supplies it in locality.toml",
                    rule="due_dates",
                )
            month = period + found.rule.months_after
            due = self._due[(region, period)] = date(month.year, month.month, found.rule.day)
        return due

    def personal_account(self, region: str, period: Period) -> Cited[PersonalAccountRule] | None:
        """The personal-account allocation for a region and period; None when none is enacted
        (a view then shows no credit rather than guessing one)."""
        return self._typed("personal_account", region, period.first_day, PersonalAccountRule)

    def base_limits(self, region: str, period: Period) -> Cited[BaseLimitRule] | None:
        """The floor and ceiling of the base; None: the declared base is assessed as is."""
        return self._typed("base_limits", region, period.first_day, BaseLimitRule)

    def fixed_amounts(self, region: str, period: Period) -> dict[Part, Cited[FixedAmountRule]]:
        """The fixed amounts per person added to each part in the period (none: empty)."""
        found = self._fixed.get((region, period))
        if found is None:
            found = {}
            for part in Part:
                cited = self._typed(
                    f"fixed_amounts.{part}", region, period.first_day, FixedAmountRule
                )
                if cited is not None and cited.rule.amount:
                    found[part] = cited
            self._fixed[(region, period)] = found
        return dict(found)  # the caller's own: the memo stays as found

    # ------------------------------------------------------------ measures

    def reduction(self, region: str, period: Period) -> Cited[ReductionRule] | None:
        return self._typed("reduction", region, period.first_day, ReductionRule)

    def automatic_deferrals(self, region: str) -> list[Cited[AutomaticDeferralRule]]:
        """Every 2022-kind deferral ruling on the region, oldest first, as written (values
        left to the locality not yet filled in: :meth:`with_local_values`)."""
        return [
            Cited(c.document, _as(c.rule, AutomaticDeferralRule))
            for c in self.measures("automatic_deferral", region)
        ]

    def automatic_deferral(
        self, region: str, period: Period
    ) -> Cited[AutomaticDeferralRule] | None:
        """The 2022-kind deferral ruling on the region's ``period``, local values filled."""
        found = self._typed("automatic_deferral", region, period.first_day, AutomaticDeferralRule)
        return None if found is None else self.with_local_values(found, region)

    def application_deferral(
        self, region: str, period: Period
    ) -> Cited[ApplicationDeferralRule] | None:
        return self._typed(
            "application_deferral", region, period.first_day, ApplicationDeferralRule
        )

    def commitment(self, region: str, period: Period) -> Cited[CommitmentRule] | None:
        """The written-commitment path ruling on ``period``, its local values filled."""
        found = self._typed("commitment", region, period.first_day, CommitmentRule)
        return None if found is None else self.with_local_values(found, region)

    # ----------------------------------------------------------- by the day

    def late_fee(self, region: str, day: date) -> Cited[LateFeeRule]:
        """The late-fee rule in force on ``day``."""
        found = self._typed("late_fee", region, day, LateFeeRule)
        if found is None:
            raise RuleViolation(
                f"no late-fee rule in force for region {region} on {day} (社会保险法 第八十六条)",
                rule="late_fee",
            )
        return found

    def daily_rates(self, region: str) -> DailyRates:
        """The late-fee rate of the region day by day: the rule in force from each day a
        rule begins or ends on (a revoked rule's predecessor rules again after it)."""
        if region not in self._rates:
            claims = [c for c in self._claims.get("late_fee", ()) if region.startswith(c.region)]
            days = sorted({c.start for c in claims} | {c.end + _DAY for c in claims if c.end})
            entries = []
            for day in days:
                won = self.resolve("late_fee", region, day)
                rate = Decimal(0) if won is None else _as(won.rule, LateFeeRule).daily_rate
                entries.append((day, rate))
            if not any(rate for _, rate in entries):
                raise RuleViolation(
                    f"no late-fee rule enacted for region {region} (社会保险法 第八十六条)",
                    rule="late_fee",
                )
            self._rates[region] = DailyRates.of(entries)
        return self._rates[region]

    def calendar(self, region: str) -> WorkingCalendar:
        """The region's working days: each year's calendar as the State Council (or a more
        specific document) published it; a year without one is refused when asked."""
        if region not in self._calendars:
            years: dict[int, WorkingCalendarData] = {}
            for claim in self._claims.get("working_calendar", ()):
                won = self.resolve("working_calendar", region, claim.start)
                if region.startswith(claim.region) and won is not None:
                    years[claim.start.year] = _as(won.rule, WorkingCalendarData)
            self._calendars[region] = WorkingCalendar.of_years(years.values())
        return self._calendars[region]

    # ------------------------------------------------------- local values

    def with_local_values(self, cited: Cited[R], region: str) -> Cited[R]:
        """``cited`` with its values left to the locality taken from the operator's file;
        refused, naming the document and field, where the operator supplied none."""
        key = (cited.document.id, id(cited.rule), region)
        found = self._filled.get(key)
        if found is None:
            rule = cited.rule
            kind = _KIND_OF[type(rule)]
            updates: dict[str, Any] = {
                name: self._local_value(cited.document, kind, name, region)
                for name, value in rule
                if value == LOCAL
            }
            found = Cited(cited.document, rule.model_copy(update=updates)) if updates else cited
            # asked on every assessment by the importer: memoised (refusals are not)
            self._filled[key] = found
        return found  # type: ignore[return-value]

    def _local_value(self, document: Document, rule: str, name: str, region: str) -> object:
        best = -1
        value: object = None
        for f in self.files.values():
            for lv in f.local_values:
                if (lv.document, lv.rule, lv.field) != (document.id, rule, name):
                    continue
                if region.startswith(lv.region) and len(lv.region) > best:
                    best, value = len(lv.region), lv.value
        expected = _LOCAL_TYPES.get(name, date)
        if value is None or not isinstance(value, expected) or isinstance(value, bool):
            raise RuleViolation(
                f"{document.number} leaves {rule}.{name} to the locality and region {region} "
                f"has no {expected.__name__} for it: the operator supplies it in locality.toml",
                rule=f"{rule}.{name}",
            )
        return value


#: the kind under which local values name each measure's rule
_KIND_OF: dict[type[Rule], str] = {
    AutomaticDeferralRule: "automatic_deferral",
    CommitmentRule: "commitment",
    ApplicationDeferralRule: "application_deferral",
    ReductionRule: "reduction",
}
#: the type a local value must have, by field (dates otherwise)
_LOCAL_TYPES: dict[str, type] = {"review_working_days": int}


def _as(rule: Rule, kind: type[R]) -> R:
    assert isinstance(rule, kind)
    return rule
