"""Field types of the API: money, periods and dates as the wire carries them.

Money is a JSON *string* with exactly two decimals ("1350.00"): a JSON number is
refused, because a client's float may already have lost the fen. Each type parses
with the domain's own function (``money``, ``Period.parse``) so the API and the
ledger can never disagree on what a valid value is, and a refusal names the rule.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from ledger.domain.errors import LedgerError
from ledger.domain.identifiers import RESIDENT_ID_RULE, parse_resident_id
from ledger.domain.money import MONEY_TEXT_RULE, format_money, money_text
from ledger.domain.period import Period, PeriodRange
from ledger.domain.years import RULE, check_day, check_founded, check_period, check_range

#: at most 11 integer digits: MAX_AMOUNT (99,999,999,999.99), the one bound for money,
#: so that a generated client cannot send an amount the server refuses
MONEY_PATTERN = r"^(0|[1-9][0-9]{0,10})\.[0-9]{2}$"
DECIMAL_PATTERN = r"^(0|[1-9][0-9]{0,14})(\.[0-9]{1,4})?$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
PERIOD_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"

RANGE_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])\.\.[0-9]{4}-(0[1-9]|1[0-2])$"
# What the OpenAPI document shows: the same forms within the ledger's years 1990..2099
# (ledger.domain.years), so a generated client cannot send a year the server refuses;
# the server checks the form first and the years after, naming each in its refusal.
_YEAR = "(199[0-9]|20[0-9]{2})"
DATE_SCHEMA = rf"^{_YEAR}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
FOUNDED_SCHEMA = r"^(1[89][0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
PERIOD_SCHEMA = rf"^{_YEAR}-(0[1-9]|1[0-2])$"
RANGE_SCHEMA = rf"^{_YEAR}-(0[1-9]|1[0-2])\.\.{_YEAR}-(0[1-9]|1[0-2])$"


class Command(BaseModel):
    """Base of request bodies: unknown fields refused. Fields use the strict types
    below (``"true"`` is not a boolean, ``1656633600`` is not a date): FastAPI
    validates the decoded JSON as Python data, where a model-wide ``strict`` would
    refuse every date and enum, so strictness is per type."""

    model_config = ConfigDict(extra="forbid")


def _text(value: Any, *, rule: str, pattern: str, example: str) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError(
            rule,
            "must be a JSON string such as {example}, not a {kind}",
            {"example": f'"{example}"', "kind": type(value).__name__},
        )
    if re.fullmatch(pattern, value) is None:
        raise PydanticCustomError(
            rule, "'{value}' is not of the form {example}", {"value": value, "example": example}
        )
    return value


def _domain(rule: str, parse: Any, text: str) -> Any:
    try:
        return parse(text)
    except LedgerError as exc:
        raise PydanticCustomError(rule, "{message}", {"message": exc.message}) from None


def _money(value: Any) -> Decimal:
    if not isinstance(value, str):
        _text(value, rule=MONEY_TEXT_RULE, pattern=MONEY_PATTERN, example="1234.50")
    # the CLI's rule and words (ledger.domain.money.money_text)
    amount: Decimal = _domain(MONEY_TEXT_RULE, money_text, value)
    return amount


def _decimal(value: Any) -> Decimal:
    text = _text(value, rule="decimal_string", pattern=DECIMAL_PATTERN, example="4500.5")
    return Decimal(text)


def _real_date(value: Any, example: str) -> date:
    text = _text(value, rule="date", pattern=DATE_PATTERN, example=example)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PydanticCustomError("date", "'{value}' is not a real date", {"value": text}) from None


def _day(value: Any) -> date:
    checked: date = _in_years(check_day, _real_date(value, "2022-07-01"))
    return checked


def _founded(value: Any) -> date:
    checked: date = _in_years(check_founded, _real_date(value, "1958-10-01"))
    return checked


def _in_years(check: Any, value: Any) -> Any:
    try:
        return check(value, "value")
    except LedgerError as exc:
        raise PydanticCustomError(
            RULE, "{message}", {"message": exc.message.removeprefix("value ")}
        ) from None


def _period(value: Any) -> Period:
    text = _text(value, rule="period", pattern=PERIOD_PATTERN, example="2022-07")
    period: Period = _domain("period", Period.parse, text)
    checked: Period = _in_years(check_period, period)
    return checked


def _period_range(value: Any) -> PeriodRange:
    text = _text(value, rule="period_range", pattern=RANGE_PATTERN, example="2020-05..2020-10")
    periods: PeriodRange = _domain("period_range", PeriodRange.parse, text)
    checked: PeriodRange = _in_years(check_range, periods)
    return checked


Money = Annotated[
    Decimal,
    PlainValidator(_money),
    PlainSerializer(format_money, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": MONEY_PATTERN,
            "description": (
                "yuan, a string with exactly two decimals; never a JSON number;"
                " at most 99999999999.99"
            ),
            "examples": ["1350.00"],
        }
    ),
]
"""An amount in yuan: ``"1350.00"`` in, ``"1350.00"`` out."""

DecimalText = Annotated[
    Decimal,
    PlainValidator(_decimal),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": DECIMAL_PATTERN,
            "description": "a decimal number as a string; never a JSON number",
            "examples": ["4500"],
        }
    ),
]

PeriodField = Annotated[
    Period,
    PlainValidator(_period),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": PERIOD_SCHEMA,
            "description": "a contribution period (费款所属期), YYYY-MM, 1990-01..2099-12",
            "examples": ["2022-07"],
        }
    ),
]

PeriodRangeField = Annotated[
    PeriodRange,
    PlainValidator(_period_range),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": RANGE_SCHEMA,
            "description": "consecutive contribution periods, YYYY-MM..YYYY-MM, within"
            " 1990-01..2099-12",
            "examples": ["2020-05..2020-10"],
        }
    ),
]

Day = Annotated[
    date,
    PlainValidator(_day),
    PlainSerializer(date.isoformat, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "pattern": DATE_SCHEMA,
            "description": "a business date, ISO 8601 (YYYY-MM-DD), 1990-01-01..2099-12-31",
            "examples": ["2022-07-01"],
        }
    ),
]
"""Only ``"YYYY-MM-DD"`` is a date: not a timestamp, not a date-time."""

Founded = Annotated[
    date,
    PlainValidator(_founded),
    PlainSerializer(date.isoformat, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "pattern": FOUNDED_SCHEMA,
            "description": "a unit's founding date, ISO 8601 (YYYY-MM-DD), 1800-01-01..2099-12-31",
            "examples": ["1958-10-01"],
        }
    ),
]
"""A unit's founding date: history older than the ledger's years is common."""

RESIDENT_ID_PATTERN = r"^[0-9]{17}[0-9Xx]$"


def _resident_id(value: Any) -> str:
    if isinstance(value, str) and re.fullmatch(RESIDENT_ID_PATTERN, value):
        return value  # the check character is the use case's (a 422 naming GB 11643)
    if isinstance(value, str):
        # the domain's own words for what is wrong (length, digits), else the form
        _domain(RESIDENT_ID_RULE, parse_resident_id, value)
    raise PydanticCustomError(
        RESIDENT_ID_RULE,
        "a resident ID is a JSON string of 17 digits and a check character (0-9 or X)",
    )


ResidentId = Annotated[
    str,
    PlainValidator(_resident_id),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": RESIDENT_ID_PATTERN,
            "minLength": 18,
            "maxLength": 18,
            "description": "居民身份号码 (GB 11643-1999): 17 digits and a check character, "
            "which is verified",
        }
    ),
]

EventKind = Annotated[
    str,
    Field(
        pattern=r"^[A-Z][A-Za-z0-9]{0,63}$",
        description="an event type, as the audit trail names it: PaymentCollected",
    ),
]
"""A filter of the audit trail: a name, never free text (it is echoed into the files)."""
