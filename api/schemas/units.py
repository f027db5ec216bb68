"""Units (参保单位): registration, classification, assessment, deregistration."""

from __future__ import annotations

from pydantic import ConfigDict, Field, StrictBool, StrictInt

from ledger.api import examples
from ledger.api.schemas.types import (
    Command,
    Day,
    DecimalText,
    Founded,
    Money,
    PeriodField,
    ResidentId,
)
from ledger.domain.sizeclass import Industry, SizeClass
from ledger.domain.terms import UnitType


class UnitRegistration(Command):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.UNIT]})

    uscc: str = Field(
        min_length=1, max_length=32, description="统一社会信用代码 (GB 32100), 18 characters"
    )
    name: str = Field(min_length=1, max_length=200)
    unit_type: UnitType = UnitType.enterprise
    region: str = Field(pattern=r"^[0-9]{6}$", description="the pooling region's code")
    agency: str = Field(
        min_length=1, max_length=32, description="医保经办机构代码: the case worker's own"
    )
    unit_number: str = Field(default="", max_length=32, description="医保单位编号")
    established_on: Founded
    allow_bad_check: StrictBool = Field(
        default=False,
        description="accept a USCC whose check character fails (recorded as overridden)",
    )


class Classification(Command):
    """企业划型 from department data: a size class, or the figures to compute it."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.CLASSIFICATION]})

    industry: Industry
    classified_on: Day
    size_class: SizeClass | None = None
    employees: StrictInt | None = Field(default=None, ge=0, le=10_000_000)
    revenue: DecimalText | None = Field(default=None, description="营业收入, 10,000 yuan")
    assets: DecimalText | None = Field(default=None, description="资产总额, 10,000 yuan")


class AssessmentLine(Command):
    resident_id: ResidentId
    base: Money


class AssessmentRequest(Command):
    """核定 a period; without lines, the members at the end of the month at their bases."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.ASSESSMENT]})

    period: PeriodField
    assessed_on: Day
    lines: list[AssessmentLine] | None = Field(default=None, min_length=1, max_length=100_000)


class AssessmentRevocation(Command):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.REVOCATION]})

    revoked_on: Day


class DeregistrationRequest(Command):
    """注销: every deferred amount is called due at once."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.DEREGISTRATION]})

    requested_on: Day


class DeregistrationCompletion(Command):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.DEREGISTRATION_DONE]})

    completed_on: Day
