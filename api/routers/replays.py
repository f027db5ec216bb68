"""What-if replays for inspectors: start one, follow its progress, fetch its report.

Reads only: the facts are recorded again in memory under the policy set given, never in
the store (see ``ledger.replay``). Inspectors and administrators start replays; case
workers may not (a replay reads every unit of a region, any agency's).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path as FilePath
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from ledger.api.auth import require
from ledger.api.deps import CurrentPrincipal, IdempotencyKey, LedgerDep
from ledger.api.jsonbody import JSONRoute
from ledger.api.problems import ApiProblem
from ledger.api.replays import ReplayJob, ReplayJobs, new_job
from ledger.api.routers import COMMAND_PROBLEMS, READ_PROBLEMS, problems
from ledger.api.schemas.replays import ReplayRequest, ReplayStatus
from ledger.catalogue.loader import check_policy_set, parse_catalogue_file
from ledger.catalogue.policyset import PolicySet
from ledger.clocks import instant
from ledger.domain.token import Role
from ledger.replay import find_policy_set, load_policy_set

router = APIRouter(route_class=JSONRoute, prefix="/replays", tags=["replays"])

Analyst = Annotated[object, Depends(require(Role.inspector, Role.admin))]
ReplayId = Annotated[UUID, Path(description="the id POST /replays answered")]
MEDIA = {"json": "application/json", "csv": "text/csv; charset=utf-8", "html": "text/html"}


def jobs(request: Request) -> ReplayJobs:
    found: ReplayJobs = request.app.state.replays
    return found


Jobs = Annotated[ReplayJobs, Depends(jobs)]


@router.post(
    "",
    status_code=202,
    response_model=ReplayStatus,
    responses=COMMAND_PROBLEMS,
    summary="Start a what-if replay",
    operation_id="start_replay",
)
def start_replay(
    body: ReplayRequest,
    _: Analyst,
    principal: CurrentPrincipal,
    key: IdempotencyKey,
    ledger: LedgerDep,
    replays: Jobs,
    request: Request,
    response: Response,
) -> ReplayStatus:
    """Runs in the background: the answer (202) names the job; follow it with
    ``GET /replays/{id}``. The same Idempotency-Key again answers the same job."""
    policy_set, name = _policy_set(body, request)
    if body.region is not None:
        ledger.region(body.region)  # 404 now rather than a failed job later
    fingerprint = hashlib.sha256(
        json.dumps(body.model_dump(mode="json"), sort_keys=True).encode()
    ).hexdigest()
    job, new = replays.start(
        new_job(
            owner=principal.token_id,
            key=key,
            fingerprint=fingerprint,
            region=body.region,
            as_of=body.as_of,
            known_at=instant(body.known_at),
            policy_set=name,
            full=body.full,
        ),
        policy_set,
    )
    if not new and job.fingerprint != fingerprint:
        raise ApiProblem(
            409,
            "conflict",
            "this Idempotency-Key started another replay; use a new key",
            field="Idempotency-Key",
            rule="idempotency-key.reused",
        )
    response.headers["Location"] = f"/replays/{job.id}"
    return _status(job)


@router.get(
    "/{replay_id}",
    response_model=ReplayStatus,
    responses=READ_PROBLEMS,
    summary="A replay",
    operation_id="read_replay",
)
def replay_status(replay_id: ReplayId, _: Analyst, replays: Jobs) -> ReplayStatus:
    return _status(replays.get(replay_id))


@router.get(
    "/{replay_id}/result",
    responses={
        **READ_PROBLEMS,
        **problems(409),
        200: {
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "text/csv": {"schema": {"type": "string"}},
                "text/html": {"schema": {"type": "string"}},
            },
            "description": "the report: per unit, per region and the fund's monthly cash flow",
        },
    },
    summary="A replay's report",
    operation_id="read_replay_result",
)
def replay_result(
    replay_id: ReplayId,
    _: Analyst,
    replays: Jobs,
    format: Annotated[Literal["json", "csv", "html"], Query()] = "json",
) -> Response:
    """The same facts and policy set give byte-identical reports."""
    job = replays.get(replay_id)
    state, report = job.seen()
    if report is None:
        detail = (
            f"the replay failed: {job.error}"
            if state == "failed"
            else f"the replay is {state} ({job.units_done} of {job.units_total} units)"
        )
        raise ApiProblem(409, "conflict", detail, field="replay_id", rule="replay.done")
    return Response(job.rendered(format), media_type=MEDIA[format])


def _policy_set(body: ReplayRequest, request: Request) -> tuple[PolicySet, str]:
    if body.files is not None:
        names = [f"files[{n}]" for n in range(len(body.files))]
        files = [
            parse_catalogue_file(text, name) for text, name in zip(body.files, names, strict=True)
        ]
        check_policy_set(files, "files", names)
        return PolicySet(files), f"inline ({len(files)} files)"
    assert body.policy_set is not None
    root: FilePath | None = request.app.state.settings.policy_sets_dir
    return load_policy_set(find_policy_set(body.policy_set, root)), body.policy_set


def _status(job: ReplayJob) -> ReplayStatus:
    state, report = job.seen()
    done = report is not None
    return ReplayStatus(
        id=str(job.id),
        state=state,
        policy_set=job.policy_set,
        region=job.region,
        as_of=job.as_of,
        known_at=job.known_at,
        full=job.full,
        units_done=job.units_done,
        units_total=job.units_total,
        units_replayed=job.units_replayed,
        error=job.error,
        result={f: f"/replays/{job.id}/result?format={f}" for f in MEDIA} if done else {},
    )
