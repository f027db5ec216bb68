"""Inspectors' what-if replays: started from a form, followed and read in the page.

Starting one is the API's ``POST /replays`` route function with the form as its body
(``ReplayRequest``: the same validation) and the form's idempotency key; the page of a
job refreshes itself while it runs and, once done, shows the report in Chinese with the
charts of the fund's months, and the report's files (JSON, CSV, HTML) for download.
Case workers may not replay (a replay reads every agency's units): 403, as in the API.
"""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from ledger.api.auth import require
from ledger.api.deps import get_idempotency_key
from ledger.api.desk.charts import replay_charts
from ledger.api.desk.forms import Field as FormField
from ledger.api.desk.forms import (
    FormState,
    body_of,
    received,
    refusal,
    validation_errors,
)
from ledger.api.desk.render import page
from ledger.api.desk.session import PostedForm, Signed
from ledger.api.problems import ApiProblem
from ledger.api.replays import ReplayJobs
from ledger.api.routers import replays as api
from ledger.api.schemas.replays import ReplayRequest
from ledger.domain.errors import LedgerError, Unavailable
from ledger.domain.token import Role
from ledger.replay import packaged_policy_sets, policy_set_names
from ledger.replay.figures import MEASURES

router = APIRouter(include_in_schema=False)
analyst = require(Role.inspector, Role.admin)
ReplayId = Annotated[UUID, Path()]
FORMATS: tuple[Literal["json", "csv", "html"], ...] = ("json", "csv", "html")


def _fields(request: Request) -> tuple[FormField, ...]:
    # Where POST /replays looks: the settings' directory, else the sets shipped.
    root: FilePath = request.app.state.settings.policy_sets_dir or packaged_policy_sets()
    sets = policy_set_names(root)
    return (
        FormField(
            "policy_set",
            "政策方案",
            "select",
            choices=tuple((s, s) for s in sets),
            hint=f"{root} 下的目录，每个目录一组政策文件",
        ),
        FormField(
            "region", "统筹地区代码", placeholder="150400", required=False, hint="空白为全部"
        ),
        FormField("as_of", "计算日期", placeholder="2023-08-31", hint="YYYY-MM-DD"),
        FormField("known_at", "记录时点（截至）", required=False, hint="空白为全部记录"),
    )


def _jobs(request: Request) -> ReplayJobs:
    jobs: ReplayJobs = request.app.state.replays
    return jobs


def _list(request: Request, state: FormState, status: int = 200) -> HTMLResponse:
    return page(
        request,
        "replays.html",
        status,
        fields=_fields(request),
        state=state,
        jobs=_jobs(request).listed(),
    )


@router.get("/desk/replays")
async def replays_page(request: Request, principal: Signed) -> HTMLResponse:
    await analyst(principal)
    return _list(request, FormState())


@router.post("/desk/replays")
async def start(request: Request, principal: Signed, form: PostedForm) -> Response:
    await analyst(principal)
    fields = _fields(request)
    names = [f.name for f in fields]
    state = received(form, fields)
    if state.errors:
        return _list(request, state, 400)
    try:
        body = ReplayRequest.model_validate(body_of(state.values, fields))
    except ValidationError as exc:
        validation_errors(exc, state, names)
        return _list(request, state, 422)
    scoped = await get_idempotency_key(principal, state.key)

    def begin() -> str:
        return api.start_replay(
            body,
            principal,
            principal,
            scoped,
            request.app.state.ledger,
            _jobs(request),
            request,
            Response(),
        ).id

    try:
        job_id = await run_in_threadpool(begin)
    except Unavailable:
        raise
    except (LedgerError, ApiProblem) as exc:
        refusal(exc, state, names)
        return _list(request, state, 422)
    return RedirectResponse(f"/desk/replays/{job_id}", status_code=303)


@router.get("/desk/replays/{replay_id}")
async def replay_page(request: Request, replay_id: ReplayId, principal: Signed) -> HTMLResponse:
    await analyst(principal)
    job = _jobs(request).get(replay_id)
    state, report = job.seen()
    return page(
        request,
        "replay.html",
        job=job,
        state=state,
        report=report,
        charts=replay_charts(report) if report is not None else [],
        measures=MEASURES,
    )


@router.get("/desk/replays/{replay_id}/report.{fmt}")
async def replay_file(
    request: Request, replay_id: ReplayId, fmt: str, principal: Signed
) -> Response:
    await analyst(principal)
    chosen = next((f for f in FORMATS if f == fmt), None)
    if chosen is None:
        raise ApiProblem(404, "not-found", f"no {fmt!r} report; json, csv or html")
    jobs = _jobs(request)
    answer = await run_in_threadpool(api.replay_result, replay_id, principal, jobs, chosen)
    answer.headers["Content-Disposition"] = f'attachment; filename="replay-{replay_id}.{fmt}"'
    return answer
