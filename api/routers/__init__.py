"""One router per resource. Routes parse, make one ledger call, shape the response.

Command routes are sync ``def``: the ledger blocks on its store, so FastAPI runs
them in the thread pool, each with a copy of the request's logging context. Read
routes are sync too; they read the views (``ledger.projections``), caught up first.
"""

from __future__ import annotations

from typing import Any

from ledger.api.schemas.problem import Problem


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem details a route may answer with."""
    return {status: {"model": Problem, "description": _WHY[status]} for status in statuses}


_WHY = {
    400: "Idempotency-Key missing",
    401: "no bearer token, or an unknown or revoked one",
    403: "the token's role, or its agency, does not allow this",
    404: "the unit, region or token named does not exist",
    409: "contradicts what is recorded, or the Idempotency-Key was used for another request",
    413: "the body is too large",
    415: "the body is not of the media type the route takes",
    422: "invalid input (each field and rule named) or refused by a rule of a policy or of law",
    503: "the store cannot be reached, the views are catching up, or the command lost the "
    "race to save on every attempt (code contention): nothing was written; retry after "
    "Retry-After",
}

#: what every command (POST) route may answer besides its success
COMMAND_PROBLEMS = problems(400, 401, 403, 404, 409, 413, 422, 503)
#: what every read may answer besides its success (503 also while the views catch up)
READ_PROBLEMS = problems(401, 403, 404, 422, 503)
