"""The reports with their filters, and their files for download.

Each is the API's own report route (``GET /reports/…``) called with the filters typed:
the same rows, the same scope (a case worker's reports are of their own agency; asking
for another is refused beside the agency filter), the same CSV.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from ledger.api.auth import Principal
from ledger.api.deps import fresh_views
from ledger.api.desk.forms import FormState, refusal, validation_errors
from ledger.api.desk.render import page
from ledger.api.desk.reports import FILTER_LABELS, PAGES, Filters, Format, ReportPage
from ledger.api.desk.session import Signed
from ledger.api.problems import ApiProblem
from ledger.domain.errors import InvalidValue, NotFound

router = APIRouter(include_in_schema=False)

Slug = Annotated[str, Path(max_length=40)]


def _report(slug: str) -> ReportPage:
    if slug not in PAGES:
        raise NotFound(f"no report {slug!r}", field="report")
    return PAGES[slug]


def _typed(request: Request, report: ReportPage) -> dict[str, str]:
    return {n: request.query_params.get(n, "").strip() for n in report.filters}


async def _run(
    request: Request, report: ReportPage, principal: Principal, values: dict[str, str], fmt: Format
) -> Any:
    filters = Filters.model_validate({n: v for n, v in values.items() if v})
    return await run_in_threadpool(
        lambda: report.run(principal, fresh_views(request), filters, fmt)
    )


@router.get("/desk/reports/{slug}")
async def report_page(request: Request, slug: Slug, principal: Signed) -> HTMLResponse:
    report = _report(slug)
    state = FormState(values=_typed(request, report))
    answer = None
    try:
        answer = await _run(request, report, principal, state.values, "json")
    except ValidationError as exc:
        validation_errors(exc, state, report.filters)
    except (ApiProblem, InvalidValue) as exc:
        refusal(exc, state, report.filters)
    status = 200 if answer is not None else 422
    if isinstance(answer, Response):  # pragma: no cover - json was asked
        raise AssertionError("a report route answered a file to a JSON request")
    return page(
        request,
        "report.html",
        status,
        report=report,
        reports=PAGES.values(),
        labels=FILTER_LABELS,
        state=state,
        answer=answer,
        rows=getattr(answer, report.rows) if answer is not None else [],
        query=request.url.query,
    )


@router.get("/desk/reports/{slug}/file.{fmt}")
async def report_file(request: Request, slug: Slug, fmt: str, principal: Signed) -> Response:
    report = _report(slug)
    if fmt != "csv":
        raise NotFound(f"no {fmt!r} file of a report; csv", field="format")
    answer = await _run(request, report, principal, _typed(request, report), "csv")
    assert isinstance(answer, Response)
    answer.headers["Content-Disposition"] = f'attachment; filename="{slug}.csv"'
    return answer
