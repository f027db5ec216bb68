"""Typed rules of the policy catalogue.

One catalogue file describes one source document (or the national law on late
fees, or the operator's locality parameters). Every rule cites the paragraph of
its document (``source``) so a decision can say why it was made.

A value a document leaves to the locality is written ``"local"`` and supplied
per region by the operator in ``locality.toml``; :mod:`ledger.catalogue.policyset`
resolves it and refuses to decide without it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ledger.domain.money import money
from ledger.domain.period import Period, PeriodRange
from ledger.domain.sizeclass import SizeClass
from ledger.domain.terms import Part, Trigger, UnitType

LOCAL = "local"


def _no_float(value: Any) -> Any:
    # TOML floats are binary: a rate written 0.07 is not 0.07. Rates are strings.
    if isinstance(value, float):
        raise ValueError('write decimal numbers as strings, e.g. "0.07", never as TOML floats')
    return value


def _period(value: Any) -> Any:
    return Period.parse(value) if isinstance(value, str) else value


def _period_range(value: Any) -> Any:
    return PeriodRange.parse(value) if isinstance(value, str) else value


def _fen(value: Any) -> Any:
    # An amount in a catalogue is money: yuan to the fen, parsed by the one money helper
    # (a third decimal is refused, never rounded away).
    value = _no_float(value)
    return money(value, field="amount") if isinstance(value, str | int) else value


Dec = Annotated[Decimal, BeforeValidator(_no_float), PlainSerializer(str, return_type=str)]
#: an amount of money in a catalogue: yuan to the fen, never a float
Fen = Annotated[Decimal, BeforeValidator(_fen), PlainSerializer(str, return_type=str)]
PeriodField = Annotated[Period, BeforeValidator(_period), PlainSerializer(str, return_type=str)]
RangeField = Annotated[
    PeriodRange, BeforeValidator(_period_range), PlainSerializer(str, return_type=str)
]
LocalDate = date | Literal["local"]


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    #: the paragraph of the document the rule comes from
    source: str = Field(min_length=1)


class Document(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    number: str = Field(min_length=1)
    title: str = Field(min_length=1)
    issuer: str = Field(min_length=1)
    issued_on: date
    #: the day the rules took effect; may be later than periods they cover (retroactive)
    enacted_on: date
    version: int = Field(ge=1)
    #: administrative-division code prefixes; "" is national
    regions: tuple[str, ...] = Field(min_length=1)
    seed: str = ""
    forwards: tuple[str, ...] = ()
    forwarded_by: tuple[str, ...] = ()
    #: ids of documents this one replaces where both rule on the same kind, region and
    #: period (a new notice taking over from an old one); without it such an overlap is
    #: refused at enactment
    supersedes: tuple[str, ...] = ()


class SeriesRule(Rule):
    """A value of a region from a period on, until the next entry of the same kind and
    region (in any document): openfisca's date-keyed parameters."""

    region: str = Field(pattern=r"^[0-9]{0,6}$")
    since: PeriodField


class RateRule(SeriesRule):
    """Contribution rates of a region from a period on, until the next entry."""

    unit_medical: Dec = Field(ge=0, le=1)
    unit_maternity: Dec = Field(ge=0, le=1)
    individual: Dec = Field(ge=0, le=1)

    def of(self, part: Part) -> Decimal:
        return {
            Part.unit_medical: self.unit_medical,
            Part.unit_maternity: self.unit_maternity,
            Part.individual: self.individual,
        }[part]


class DueDateRule(SeriesRule):
    """Due date of a normal monthly assessment: day N of the month after the period."""

    day: int = Field(ge=1, le=28)
    months_after: int = Field(default=1, ge=0, le=3)


class PersonalAccountRule(SeriesRule):
    """What of a person's month is credited to the personal account (个人账户划入), from a
    period on, until the next entry: shares of the individual part and of the unit's
    medical part (the maternity share never goes to it). Since the 2021 reform
    (国办发〔2021〕14号) the individual part goes in full and the unit part to the pool."""

    individual_share: Dec = Field(ge=0, le=1)
    unit_share: Dec = Field(ge=0, le=1)


class BaseLimitRule(SeriesRule):
    """Floor and ceiling of the contribution base (缴费基数上下限): by law 60% and 300% of
    the prior year's local average wage, published each year. A declared base is held
    within them; the assessment keeps both."""

    floor: Fen = Field(ge=0)
    ceiling: Fen = Field(gt=0)

    @model_validator(mode="after")
    def _floor_under_ceiling(self) -> BaseLimitRule:
        if self.ceiling < self.floor:
            raise PydanticCustomError(
                "ceiling_under_floor",
                "ceiling {ceiling} is under the floor {floor}",
                {"ceiling": str(self.ceiling), "floor": str(self.floor)},
            )
        return self

    def hold(self, declared: Decimal) -> Decimal:
        """The assessed base: the declared one held within the limits."""
        return min(max(declared, self.floor), self.ceiling)


class FixedAmountRule(SeriesRule):
    """A fixed amount per insured person per month added to one part, e.g. a city's
    supplementary large-expense contribution (大额医疗费用补助) on the individual part."""

    part: Part
    amount: Fen = Field(ge=0)


class ReductionRule(Rule):
    """2020 half reduction (减征) of the unit part."""

    periods: RangeField
    eligible_unit_types: tuple[UnitType, ...] = Field(min_length=1)
    shares: tuple[Part, ...] = Field(min_length=1)
    fraction: Dec = Field(gt=0, le=1)
    #: what happens to a paid period once reduced: refunded, or held as credit
    #: (待转基金) and offset against the next month's contribution
    overpaid: Literal["refund", "carry_forward"]
    #: whether a fixed amount on a reduced part is reduced too (none of the seeds says so)
    reduce_fixed_amounts: bool = False

    @property
    def scope(self) -> PeriodRange:
        return self.periods


class AutomaticDeferralRule(Rule):
    """2022 phased deferral of the unit part (缓缴, 免申即享)."""

    fund_months_above: int = Field(ge=0)
    eligible_unit_types: tuple[UnitType, ...] = Field(min_length=1)
    eligible_size_classes: tuple[SizeClass, ...] = Field(min_length=1)
    periods: RangeField
    #: months the window moves when the unit already paid its first period
    shift_if_first_paid: int = Field(default=0, ge=0, le=3)
    #: a unit established inside the window defers from its first month to this one
    new_unit_until: PeriodField | None = None
    parts: tuple[Part, ...] = Field(min_length=1)
    repayment_deadline: LocalDate
    late_fee_from: LocalDate
    triggers: tuple[Trigger, ...] = ()

    @property
    def scope(self) -> PeriodRange:
        """The periods the rule rules on: its window and where the window may shift."""
        return PeriodRange(self.periods.start, self.periods.end + self.shift_if_first_paid)


class ApplicationDeferralRule(Rule):
    """2020 deferral on application (申请缓缴)."""

    #: the contribution periods an application may name
    periods: RangeField
    eligible_unit_types: tuple[UnitType, ...] = Field(min_length=1)
    max_months: int = Field(ge=1, le=24)
    latest_end: date | None = None
    #: "filing": granted when filed (备案); "approval": needs the approver's decision
    approval: Literal["filing", "approval"]
    approver: str = ""
    parts: tuple[Part, ...] = Field(min_length=1)
    #: whether personal accounts are credited while deferred (Lincang: not, then 补划)
    credit_personal_accounts_while_deferred: bool
    late_fee_if_repaid_in_time: bool = False

    @property
    def scope(self) -> PeriodRange:
        return self.periods


class CommitmentRule(Rule):
    """The written commitment (承诺书) path for units data cannot classify."""

    window: RangeField
    #: the unit chooses its deferral months within the window (济南); otherwise an accepted
    #: commitment classifies the unit and it defers as a classified SME would (内蒙古)
    months_chosen: bool = True
    consecutive: bool = True
    review_working_days: int | Literal["local"] = Field(union_mode="left_to_right")
    false_commitment_late_fee_from_original_due: bool = True

    @field_validator("review_working_days")
    @classmethod
    def _days(cls, value: int | str) -> int | str:
        if isinstance(value, int) and not 0 <= value <= 30:
            raise ValueError("review_working_days must be between 0 and 30")
        return value

    @property
    def scope(self) -> PeriodRange:
        return self.window


class LateFeeRule(Rule):
    """Social Insurance Law art. 86: daily rate on overdue principal, simple interest,
    from ``since`` until a later rule of the region takes over."""

    since: date
    daily_rate: Dec = Field(gt=0, lt=1)
    #: days counted from the day after the due date through the day of payment
    day_count: Literal["after_due_through_payment"]


class LocalValue(Rule):
    """A value a document leaves to the locality, supplied by the operator for a region."""

    document: str
    rule: Literal["automatic_deferral", "application_deferral", "commitment", "reduction"]
    region: str = Field(pattern=r"^[0-9]{0,6}$")
    field: str
    # left to right: the JSON round trip of an enacted policy turns dates into
    # strings, which must come back as dates, not stay strings
    value: date | int | str = Field(union_mode="left_to_right")


class WorkingCalendarData(Rule):
    """One year's days off and weekend days worked (调休), from the State Council's notice
    for that year (国务院办公厅关于YYYY年部分节假日安排的通知). Each holiday period is listed
    day by day, weekend days inside it included."""

    #: before the lists: their validators check each date against it
    year: int = Field(ge=1, le=9999)
    holidays: tuple[date, ...] = ()
    extra_workdays: tuple[date, ...] = ()

    @field_validator("holidays", "extra_workdays")
    @classmethod
    def _dates_of_the_year_once(
        cls, days: tuple[date, ...], info: ValidationInfo
    ) -> tuple[date, ...]:
        year = info.data.get("year")
        seen: set[date] = set()
        for d in days:
            if year is not None and d.year != year:
                raise PydanticCustomError(
                    "working_calendar",
                    "{day} is not in {year}, the year of this calendar",
                    {"day": d.isoformat(), "year": year},
                )
            if d in seen:
                raise PydanticCustomError(
                    "working_calendar", "{day} is listed twice", {"day": d.isoformat()}
                )
            seen.add(d)
        if info.field_name == "extra_workdays":
            for d in days:
                if d in info.data.get("holidays", ()):
                    raise PydanticCustomError(
                        "working_calendar",
                        "{day} is listed twice: in holidays and in extra_workdays",
                        {"day": d.isoformat()},
                    )
                if d.weekday() < 5:
                    raise PydanticCustomError(
                        "working_calendar",
                        "{day} is a {weekday}: an extra workday is a weekend day worked (调休)",
                        {"day": d.isoformat(), "weekday": d.strftime("%A")},
                    )
        return days


class CatalogueFile(BaseModel):
    """The whole content of one catalogue file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    document: Document
    rates: tuple[RateRule, ...] = ()
    due_dates: tuple[DueDateRule, ...] = ()
    personal_account: tuple[PersonalAccountRule, ...] = ()
    base_limits: tuple[BaseLimitRule, ...] = ()
    fixed_amounts: tuple[FixedAmountRule, ...] = ()
    reduction: ReductionRule | None = None
    automatic_deferral: AutomaticDeferralRule | None = None
    application_deferral: ApplicationDeferralRule | None = None
    commitment: CommitmentRule | None = None
    late_fee: LateFeeRule | None = None
    local_values: tuple[LocalValue, ...] = ()
    working_calendar: WorkingCalendarData | None = None

    def content(self) -> dict[str, Any]:
        """The JSON-able content recorded in a PolicyEnacted event."""
        return self.model_dump(mode="json", exclude_none=True)
