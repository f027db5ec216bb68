"""Response bodies of the read routes: the views, as the wire carries them.

Output-only types: amounts are strings with two decimals, periods ``YYYY-MM``, dates
ISO 8601, instants ISO 8601 with their offset. The models read the views' dataclasses
by attribute (``from_attributes``), so a view and its body cannot drift apart silently.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, PlainValidator, WithJsonSchema

from ledger.api.schemas.types import PERIOD_PATTERN
from ledger.domain.money import format_money
from ledger.domain.period import Period
from ledger.domain.terms import Part


def _as_period(value: Any) -> Period:
    return value if isinstance(value, Period) else Period.parse(str(value))


#: Figures out are sums (a unit's credit held over many payments, a report's totals): they
#: may pass MAX_AMOUNT, the bound of one amount in, so their pattern is wider.
AMOUNT_OUT_PATTERN = r"^(0|[1-9][0-9]{0,14})\.[0-9]{2}$"

Amount = Annotated[
    Decimal,
    PlainSerializer(format_money, return_type=str),
    WithJsonSchema({"type": "string", "pattern": AMOUNT_OUT_PATTERN, "examples": ["450.00"]}),
]
"""Yuan out: ``"450.00"``."""

Rate = Annotated[
    Decimal,
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "examples": ["0.0005"]}),
]

PeriodOut = Annotated[
    Period,
    PlainValidator(_as_period),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "pattern": PERIOD_PATTERN, "examples": ["2020-02"]}),
]


class View(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Clocks(View):
    as_of: date = Field(description="the business date the figures are computed for")
    known_at: datetime | None = Field(
        description="only events recorded by this instant; null: everything recorded"
    )


# ----------------------------------------------------------------- units


class UnitSummary(View):
    uscc: str
    name: str
    unit_type: str
    region: str
    agency: str
    unit_number: str
    established_on: date
    recorded_at: datetime = Field(description="when the registration was recorded")


class UnitPage(View):
    units: list[UnitSummary]
    total: int = Field(description="units matching the filters")
    offset: int
    limit: int


# --------------------------------------------------------------- balance


class BalanceItem(View):
    period: PeriodOut
    part: Part
    due_date: date = Field(description="the assessment's due date")
    due_now: date = Field(
        description="the day the rest must be paid by: called due, else the deferral's "
        "deadline, else the due date"
    )
    assessed: Amount
    reduced: Amount
    paid: Amount
    credit_applied: Amount
    refunded: Amount
    carried_forward: Amount
    deferred: Amount
    deadline: date | None
    called_due: Amount
    called_due_on: date | None
    outstanding: Amount
    overdue: Amount
    late_fee: Amount


class Balance(Clocks):
    uscc: str
    name: str
    region: str
    agency: str
    daily_rate: Rate = Field(description="the late-fee rate a day, e.g. 0.0005 (0.05%)")
    late_fee_rule: str = Field(description="the law or policy the rate is taken from")
    items: list[BalanceItem]
    credit_held: Amount = Field(description="overpayments held for later periods (待转基金)")
    totals: dict[str, Amount] = Field(
        default_factory=dict, description="each amount summed over the items"
    )


# ---------------------------------------------------------------- rights


class RightsMonthOut(View):
    period: PeriodOut
    uscc: str
    unit_name: str
    base: Amount = Field(description="the base assessed: the declared one held within the limits")
    declared_base: Amount = Field(description="the base the unit declared")
    individual: Amount
    individual_state: str
    unit_part: Amount
    unit_reduction: Amount
    unit_state: str
    credit: Amount = Field(description="credited to the personal account")
    credit_state: str
    credited_on: date | None
    in_arrears: bool
    continuous_months: int


class RightsRecordOut(Clocks):
    resident_id: str
    months: list[RightsMonthOut]
    continuous_months: int = Field(description="insured months in a row up to the latest")
    withheld_months: int = Field(
        0, description="months in units of other agencies, not shown to a case worker"
    )


# ----------------------------------------------------------------- audit


class AuditLineOut(BaseModel):
    recorded_at: datetime
    on: date | None = Field(description="the event's business date, if it has one")
    originator_id: str
    version: int
    type: str = Field(description="the event's class, e.g. PaymentCollected")
    actor: str
    reason: str
    request_id: str
    document: str = Field(description="for a decision: the policy document applied")
    policy: str = Field(description="for a decision: document, version and paragraph")
    caused_by: str = Field(description="for a decision: the fact (and its version) it followed")
    detail: dict[str, Any] = Field(description="what the event recorded")


class AuditTrail(BaseModel):
    subject: str = Field(description="the unit's USCC or the person's resident ID")
    lines: list[AuditLineOut]


# --------------------------------------------------------------- reports


class DeferralListRowOut(View):
    uscc: str
    unit_name: str
    deferral_type: str = Field(description="缓缴类型 (66: 中小微企业)")
    agency: str
    unit_number: str
    insurance_type: str = Field(description="险种类型代码 (310: 职工基本医疗保险)")
    region: str
    persons: int
    period_from: PeriodOut
    period_to: PeriodOut
    amount: Amount
    deadline: date


class DeferralList(Clocks):
    month: PeriodOut
    transmitted_at: str = Field(
        description="传输时间: when the list was generated, YYYYMMDDhh24miss (CST)",
        pattern=r"^[0-9]{14}$",
    )
    rows: list[DeferralListRowOut]


class StatisticsLineOut(View):
    level: str = Field(description="agency, county, prefecture, province or total")
    code: str
    region: str
    units: int
    persons: int
    amount: Amount


class Statistics(Clocks):
    month: PeriodOut
    lines: list[StatisticsLineOut]


class ReductionLineOut(View):
    uscc: str
    unit_name: str
    agency: str
    region: str
    persons: int
    before: Amount = Field(description="减征前应征金额 (unit part)")
    reduction: Amount = Field(description="减征金额")
    after: Amount = Field(description="减征后应缴金额")
    period_from: PeriodOut
    period_to: PeriodOut
    document: str


class ReductionTotals(View):
    units: int
    persons: int
    before: Amount
    reduction: Amount
    after: Amount


class Reductions(Clocks):
    month: PeriodOut | None
    lines: list[ReductionLineOut]
    totals: ReductionTotals


class ReminderOut(View):
    uscc: str
    unit_name: str
    agency: str
    region: str
    kind: str = Field(description="deferred (the repayment deadline) or called_due")
    due_on: date
    days_left: int
    amount: Amount
    periods: list[PeriodOut]


class Reminders(Clocks):
    within_days: int
    reminders: list[ReminderOut]


# ------------------------------------------------------- regions, policies


class RegionOut(View):
    code: str
    name: str
    parent: str
    fund_months: int | None = Field(description="累计结存可支付月数 last declared, if any")
    fund_months_as_of: date | None


class PolicyOut(BaseModel):
    document_id: str
    number: str = Field(description="文号, e.g. 赤医保发〔2020〕3号")
    title: str
    version: int
    issued_on: date
    enacted_on: date
    regions: list[str] = Field(description="region code prefixes; empty string: national")
