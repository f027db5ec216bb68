"""RFC 9457 problem details, as every failure of the API is answered."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class FieldError(BaseModel):
    """One invalid input: where it is, which rule it breaks, in words."""

    model_config = ConfigDict(populate_by_name=True)

    field: str = Field(description="dotted name of the input, e.g. `items[0].amount`")
    location: str = Field(description="`body`, `path`, `query` or `header`")
    rule: str = Field(description="the rule broken, e.g. `money_string`, `missing`")
    message: str


class Problem(BaseModel):
    """``application/problem+json``: ``type`` identifies the kind of failure
    (``https://ledger.invalid/problems/<code>``, an identifier, not a page)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str = Field(description="the request path")
    code: str = Field(description="a stable slug: `rule-violation`, `conflict`, `not-found`, …")
    request_id: str = Field(description="the X-Request-ID of the request, also in its events")
    field: str | None = Field(default=None, description="the input at fault, if one is")
    rule: str | None = Field(
        default=None, description="the rule applied: a policy field, a standard, a check"
    )
    errors: list[FieldError] | None = Field(
        default=None, description="every invalid input of a request that failed validation"
    )
