"""2020 deferral on application (申请缓缴) and the approver's decision."""

from __future__ import annotations

from pydantic import ConfigDict, Field, StrictBool

from ledger.api import examples
from ledger.api.schemas.types import Command, Day, PeriodRangeField


class DeferralApplication(Command):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.DEFERRAL_APPLICATION]})

    periods: PeriodRangeField
    applied_on: Day
    attachments: list[str] = Field(
        default_factory=lambda: ["书面申请", "资产负债表"],
        max_length=20,
        description="documents filed: the written application and the balance sheet",
    )


class DeferralDecision(Command):
    """Where the policy needs approval (赤峰: 市医疗保障局核准)."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.DEFERRAL_DECISION]})

    approved: StrictBool
    decided_on: Day
    approver: str = Field(default="", max_length=200)
