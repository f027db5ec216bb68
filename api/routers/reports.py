"""The exchange reports: the deferral list (缓缴清单), statistics, reductions, reminders.

Each is described once (``ledger.reports``): the route parses the filters, runs it
on the views and answers in the format asked for: JSON by default, or the file the
bureau exchanges (``format=csv`` or ``xlsx``, with the seeds' Chinese headers). A case
worker's reports are of their own agency's units (asking for another agency is 403);
inspectors and administrators report on any region or agency. A monthly report given
``month`` and no ``as_of`` is as of the 1st of the next month, when the notice
produces it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel

from ledger.api.deps import Reader, Views, agency_scope
from ledger.api.jsonbody import JSONRoute
from ledger.api.reporting import FILES, FormatQuery, HeadersQuery, respond
from ledger.api.routers import READ_PROBLEMS
from ledger.api.schemas.types import DATE_PATTERN, PERIOD_PATTERN
from ledger.api.schemas.views import DeferralList, Reductions, Reminders, Statistics
from ledger.reports import DEFERRAL_LIST, FILTERS, REDUCTIONS, REMINDERS, STATISTICS, Report
from ledger.reports import Query as ReportQuery

router = APIRouter(
    route_class=JSONRoute, prefix="/reports", tags=["reports"], responses={**READ_PROBLEMS, **FILES}
)

RegionQuery = Annotated[str | None, Query(pattern=r"^[0-9]{6}$", description=FILTERS["region"].en)]
AgencyQuery = Annotated[
    str | None,
    Query(
        pattern=r"^[0-9A-Za-z]{1,20}$",
        description=f"{FILTERS['agency'].en}; a case worker's own by default",
    ),
]
MonthQuery = Annotated[str | None, Query(pattern=PERIOD_PATTERN, description=FILTERS["month"].en)]
AsOfQuery = Annotated[str | None, Query(pattern=DATE_PATTERN, description=FILTERS["as_of"].en)]
KnownAtQuery = Annotated[str | None, Query(max_length=40, description=FILTERS["known_at"].en)]


async def monthly_query(
    principal: Reader,
    region: RegionQuery = None,
    agency: AgencyQuery = None,
    month: MonthQuery = None,
    as_of: AsOfQuery = None,
    known_at: KnownAtQuery = None,
) -> ReportQuery:
    """The filters of a monthly report, limited to a case worker's own agency."""
    return ReportQuery.parse(
        as_of=as_of,
        known_at=known_at,
        month=month,
        region=region,
        agency=agency_scope(principal, agency),
    )


MonthlyQuery = Annotated[ReportQuery, Depends(monthly_query)]


def _monthly_route(report: Report, model: type[BaseModel], summary: str, description: str) -> None:
    """``GET /reports/{name}``: the report's JSON document, or its file."""

    def route(
        query: MonthlyQuery,
        views: Views,
        format: FormatQuery = "json",
        headers: HeadersQuery = "zh",
    ) -> Response:
        return respond(report.run(views, query), format, headers)

    router.add_api_route(
        f"/{report.name}",
        route,
        methods=["GET"],
        response_model=model,
        summary=summary,
        description=description,
        operation_id=f"report_{report.name.replace('-', '_')}",
    )


_monthly_route(
    DEFERRAL_LIST,
    DeferralList,
    "缓缴清单 of a month",
    "The units deferring in a month (内医保办发〔2022〕19号 五): default the current one.",
)
_monthly_route(
    STATISTICS,
    Statistics,
    "Deferral statistics of a month",
    "Deferring units, persons and amounts per agency and region, summed upward to the "
    "province (default: last month, as produced on the 1st).",
)
_monthly_route(
    REDUCTIONS,
    Reductions,
    "减征明细表",
    "Per unit: persons reduced, the unit part before the reduction, the reduction, after "
    "it, and the periods reduced (赤医保发〔2020〕3号 四; 临医保联发〔2020〕14号 四(三)).",
)


@router.get(
    "/reminders",
    response_model=Reminders,
    summary="Amounts falling due soon",
    operation_id="report_reminders",
)
def reminders_report(
    principal: Reader,
    views: Views,
    region: RegionQuery = None,
    agency: AgencyQuery = None,
    within: Annotated[int, Query(ge=0, le=366, description=FILTERS["within"].en)] = 30,
    as_of: AsOfQuery = None,
    known_at: KnownAtQuery = None,
    format: FormatQuery = "json",
    headers: HeadersQuery = "zh",
) -> Response:
    """Units whose deferred or called-due principal falls due within ``within`` days
    (内医保办发〔2022〕19号 六(二): 提醒缴费企业备足资金)."""
    query = ReportQuery.parse(
        as_of=as_of,
        known_at=known_at,
        region=region,
        agency=agency_scope(principal, agency),
        within=within,
    )
    return respond(REMINDERS.run(views, query), format, headers)
