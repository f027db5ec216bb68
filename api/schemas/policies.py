"""What ``POST /policies/check`` answers: a dry run of enacting a catalogue file."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class DecisionPreview(BaseModel):
    type: str = Field(description="the decision event it would record, e.g. `DeferralGranted`")
    policy: str = Field(description="the document, version and paragraph it would cite")
    detail: dict[str, Any] = Field(
        description="the event's fields as the audit trail shows them (person lines counted)"
    )


class UnitPreview(BaseModel):
    uscc: str
    name: str
    region: str
    decisions: list[DecisionPreview]


class PolicyCheck(BaseModel):
    document: str = Field(description="the document id")
    number: str
    version: int
    status: Literal["new", "amendment", "unchanged"]
    units_examined: int = Field(description="units of the document's regions looked at")
    rules_on: list[str] = Field(description="each rule's kind, region and periods or days")
    assessed_before: dict[str, int] = Field(
        description=(
            "per period, units already assessed in a period whose rates, due dates, base "
            "limits or fixed amounts the document rules on: they keep the values they were "
            "assessed with"
        )
    )
    units: list[UnitPreview] = Field(description="the units it would record decisions on")
