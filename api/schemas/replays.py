"""Replays over HTTP: the request naming a policy set, and the job's status."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ledger.api.schemas.types import Command, Day

#: a policy set's directory name: no separators, so a reference cannot leave the directory
POLICY_SET_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"


class ReplayRequest(Command):
    """A what-if replay: the recorded facts under another policy set."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "policy_set": "chifeng-whole-7-percent",
                    "region": "150400",
                    "as_of": "2020-12-31",
                }
            ],
            # exactly one source (``one_policy_set``): a generated client cannot send both
            # or neither
            "oneOf": [
                {"required": ["policy_set"], "properties": {"policy_set": {"type": "string"}}},
                {"required": ["files"], "properties": {"files": {"type": "array"}}},
            ],
        }
    )

    policy_set: str | None = Field(
        default=None,
        pattern=POLICY_SET_PATTERN,
        description="a policy set by reference: a directory of LEDGER_POLICY_SETS_DIR, by "
        "default the example sets shipped with the ledger (chifeng-whole-7-percent, "
        "deadline-2022-12-31, fund-months-above-3)",
    )
    files: list[str] | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="a policy set inline: the text of each catalogue file (TOML)",
    )
    region: str | None = Field(
        default=None, pattern=r"^[0-9]{6}$", description="only this region's units"
    )
    as_of: Day = Field(description="the business date both sides are computed for")
    known_at: str | None = Field(
        default=None, max_length=40, description="only the facts recorded by this instant"
    )
    full: bool = Field(
        default=False,
        description="replay every unit whole, not only what the documents the set changes, "
        "adds or removes reach (the same report, slower)",
    )

    @model_validator(mode="after")
    def one_policy_set(self) -> Self:
        if (self.policy_set is None) == (self.files is None):
            raise ValueError("name a policy_set or send its files inline (one of them)")
        return self


class ReplayStatus(BaseModel):
    id: str
    state: Literal["queued", "running", "done", "failed"]
    policy_set: str = Field(description="the reference, or 'inline (N files)'")
    region: str | None
    as_of: date
    known_at: datetime | None
    full: bool = Field(description="every unit replayed whole")
    units_done: int
    units_total: int = Field(description="0 until the replay has counted the units")
    units_replayed: int = Field(
        description="units the changes reach, replayed (the others carried over as "
        "recorded); 0 until the replay is done"
    )
    error: str = Field(description="why a failed replay failed")
    result: dict[str, str] = Field(
        description="where the report is, per format, once the replay is done"
    )
