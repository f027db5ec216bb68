"""Pooling regions (统筹地区): registration and the fund's payable months."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field, StrictInt

from ledger.api import examples
from ledger.api.schemas.types import Command, Day

RegionCode = Annotated[
    str, Field(pattern=r"^[0-9]{6}$", description="6-digit administrative division code")
]


class RegionRegistration(Command):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.REGION]})

    code: RegionCode
    name: str = Field(min_length=1, max_length=100)
    parent: str = Field(default="", pattern=r"^([0-9]{6})?$", description="the province's code")


class FundMonthsDeclaration(Command):
    """累计结存可支付月数: more than 6 opens the 2022 deferral (医保发〔2022〕21号)."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.FUND_MONTHS]})

    months: StrictInt = Field(ge=0, le=1200)
    as_of: Day
