"""What a command answers: the events it recorded (a retry gets the same body)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class EventRecorded(BaseModel):
    type: str = Field(description="the event's class, e.g. `PeriodAssessed`, `ReductionApplied`")
    version: int = Field(description="its version in its aggregate or log")


class CommandResult(BaseModel):
    """The ledger's result of one use case, exactly as recorded for idempotent retries."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "command": "assess",
                    "events": [
                        {"type": "PeriodAssessed", "version": 5},
                        {"type": "ReductionApplied", "version": 6},
                    ],
                }
            ]
        }
    )

    command: str = Field(description="the use case run, e.g. `assess`")
    events: list[EventRecorded] = Field(description="facts and decisions, in order")
