"""Written commitments (承诺书, 2022): filing, review, a commitment found false."""

from __future__ import annotations

from pydantic import ConfigDict, Field, StrictBool

from ledger.api import examples
from ledger.api.schemas.types import Command, Day, PeriodField


class CommitmentFiling(Command):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.COMMITMENT]})

    months: list[PeriodField] = Field(
        default_factory=list,
        max_length=12,
        description=(
            "the deferral months the unit chooses where the rule lets it (济南: consecutive, "
            "within 2022-08..10); none where it does not (内蒙古: the unit then defers as a "
            "classified SME would)"
        ),
    )
    filed_on: Day


class CommitmentReview(Command):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.COMMITMENT_REVIEW]})

    accepted: StrictBool
    reviewed_on: Day


class CommitmentFoundFalse(Command):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.COMMITMENT_FALSE]})

    found_on: Day
