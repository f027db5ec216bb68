"""Bearer tokens: the request to issue one, and what is shown of them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from ledger.api import examples
from ledger.api.schemas.types import Command
from ledger.domain.token import Role


class TokenRequest(Command):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [examples.TOKEN],
            # as ``ledger.tokens.issue_token`` decides: a case worker's token names an
            # agency, every other role's names none
            "oneOf": [
                {
                    "required": ["role", "agency"],
                    "properties": {
                        "role": {"const": "case_worker"},
                        "agency": {"pattern": r"\S"},
                    },
                },
                {
                    "required": ["role"],
                    "properties": {
                        "role": {"enum": ["inspector", "admin"]},
                        "agency": {"pattern": r"^\s*$"},
                    },
                },
            ],
        }
    )

    role: Role
    agency: str = Field(
        default="", max_length=32, description="required for a case worker, refused otherwise"
    )
    name: str = Field(default="", max_length=100, description="who holds it; in every event")


class TokenIssued(BaseModel):
    token_id: str
    role: Role
    agency: str
    name: str
    token: str | None = Field(
        description="the bearer token, shown in the first response only: it is stored "
        "hashed, so a retry with the same Idempotency-Key answers null"
    )


class TokenOut(BaseModel):
    token_id: str
    role: Role
    agency: str
    name: str
    issued_at: datetime
    revoked_at: datetime | None
