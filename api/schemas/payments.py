"""Payments collected by the tax bureau (回传)."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from ledger.api import examples
from ledger.api.schemas.types import Command, Day, Money, PeriodField
from ledger.domain.terms import Part


class PaymentItem(Command):
    period: PeriodField
    part: Part
    amount: Money


class PaymentCollection(Command):
    """Without items the payment is allocated by the ledger's convention (README)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [examples.PAYMENT, examples.PAYMENT_BY_ITEM]}
    )

    amount: Money
    paid_on: Day
    items: list[PaymentItem] | None = Field(default=None, min_length=1, max_length=1000)
