"""The reports with their filters, and their files for download (CSV, xlsx).

Each page runs the report's one description (``ledger.reports``) with the API's scope
and renders its table; a download is that table through the API's own renderer
(``ledger.api.reporting.respond``: CSV with a byte-order mark, or a workbook, as an
attachment).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from ledger.api.auth import Principal
from ledger.api.deps import fresh_views
from ledger.api.desk.forms import FormState, refusal, validation_errors
from ledger.api.desk.render import page
from ledger.api.desk.reports import FILES, PAGES, cell, label_of, run
from ledger.api.desk.session import Signed
from ledger.api.problems import ApiProblem
from ledger.api.reporting import respond
from ledger.domain.errors import InvalidValue, NotFound
from ledger.reports import Report, Table

router = APIRouter(include_in_schema=False)

Name = Annotated[str, Path(max_length=40)]


def _report(name: str) -> Report:
    if name not in PAGES:
        raise NotFound(f"no report {name!r}", field="report")
    return PAGES[name]


def _typed(request: Request, report: Report) -> dict[str, str]:
    return {n: request.query_params.get(n, "").strip() for n in report.filters}


async def _table(
    request: Request, report: Report, principal: Principal, typed: dict[str, str]
) -> Table:
    return await run_in_threadpool(lambda: run(report, principal, fresh_views(request), typed))


@router.get("/desk/reports/{name}")
async def report_page(request: Request, name: Name, principal: Signed) -> HTMLResponse:
    report = _report(name)
    state = FormState(values=_typed(request, report))
    table = None
    try:
        table = await _table(request, report, principal, state.values)
    except ValidationError as exc:
        validation_errors(exc, state, report.filters)
    except (ApiProblem, InvalidValue) as exc:
        refusal(exc, state, report.filters)
    return page(
        request,
        "report.html",
        200 if table is not None else 422,
        report=report,
        reports=PAGES.values(),
        label_of=label_of,
        cell=cell,
        files=FILES,
        state=state,
        table=table,
        query=request.url.query,
    )


@router.get("/desk/reports/{name}/file.{fmt}")
async def report_file(request: Request, name: Name, fmt: str, principal: Signed) -> Response:
    report = _report(name)
    if fmt not in FILES:
        raise NotFound(f"no {fmt!r} file of a report: {', '.join(FILES)}", field="format")
    table = await _table(request, report, principal, _typed(request, report))
    return respond(table, "csv" if fmt == "csv" else "xlsx")
