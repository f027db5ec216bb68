"""The exchange reports: the deferral list (缓缴清单), statistics, reductions, reminders.

JSON by default; ``format=csv`` for the file the bureau exchanges (the deferral list
with the notice's Chinese field names as header, UTF-8). A case worker's reports are
of their own agency's units (asking for another agency is 403); inspectors and
administrators report on any region or agency. A monthly report given ``month`` and
no ``as_of`` is as of the 1st of the next month, when the notice produces it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from ledger.api.deps import (
    AS_OF_HELP,
    KNOWN_AT_HELP,
    Clocks,
    Reader,
    Views,
    agency_scope,
)
from ledger.api.routers import READ_PROBLEMS
from ledger.api.schemas.types import DATE_PATTERN, PERIOD_PATTERN
from ledger.api.schemas.views import (
    DeferralList,
    DeferralListRowOut,
    ReductionLineOut,
    Reductions,
    ReductionTotals,
    ReminderOut,
    Reminders,
    Statistics,
)
from ledger.clocks import CST, instant, report_clock
from ledger.domain.period import Period
from ledger.projections.deferrals import (
    DEFERRAL_LIST_FIELDS,
    REMINDER_COLUMNS,
    STATISTICS_COLUMNS,
    deferral_list,
    exchange_record,
    monthly_statistics,
    reminder_row,
    reminders,
    statistics_row,
)
from ledger.projections.reductions import REDUCTION_COLUMNS, reduction_row, reduction_table

CSV = "text/csv; charset=utf-8"
router = APIRouter(
    prefix="/reports",
    tags=["reports"],
    responses={
        **READ_PROBLEMS,
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
    },
)

RegionQuery = Annotated[
    str | None,
    Query(pattern=r"^[0-9]{6}$", description="region code; 150000 takes all of 15xxxx"),
]
AgencyQuery = Annotated[
    str | None,
    Query(
        pattern=r"^[0-9A-Za-z]{1,20}$",
        description="agency code (医保经办机构代码); a case worker's own by default",
    ),
]
MonthQuery = Annotated[
    str | None, Query(pattern=PERIOD_PATTERN, description="contribution period YYYY-MM")
]
AsOfQuery = Annotated[str | None, Query(pattern=DATE_PATTERN, description=AS_OF_HELP)]
KnownAtQuery = Annotated[str | None, Query(max_length=40, description=KNOWN_AT_HELP)]
FormatQuery = Annotated[Literal["json", "csv"], Query(description="json, or csv for the file")]


def _csv(header: Sequence[str], rows: Iterable[Sequence[str]]) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180
    writer.writerow(header)
    writer.writerows(rows)
    return Response(buffer.getvalue(), media_type=CSV)


@router.get("/deferral-list", response_model=DeferralList, summary="缓缴清单 of a month")
def deferral_list_report(
    principal: Reader,
    views: Views,
    region: RegionQuery = None,
    agency: AgencyQuery = None,
    month: MonthQuery = None,
    as_of: AsOfQuery = None,
    known_at: KnownAtQuery = None,
    format: FormatQuery = "json",
) -> DeferralList | Response:
    """The units deferring in a month (内医保办发〔2022〕19号 五): default the current one."""
    on, period = report_clock(as_of, month, Period.of)
    known = instant(known_at)
    rows = deferral_list(
        views.store,
        month=period,
        as_of=on,
        known_at=known,
        policies=views.policies(known),
        region=region,
        agency=agency_scope(principal, agency),
    )
    if format == "csv":
        sent = datetime.now(CST)
        return _csv(
            [h for h, _ in DEFERRAL_LIST_FIELDS],
            (list(exchange_record(r, sent).values()) for r in rows),
        )
    return DeferralList(
        month=period,
        as_of=on,
        known_at=known,
        rows=[DeferralListRowOut.model_validate(r) for r in rows],
    )


@router.get("/statistics", response_model=Statistics, summary="Deferral statistics of a month")
def statistics_report(
    principal: Reader,
    views: Views,
    region: RegionQuery = None,
    agency: AgencyQuery = None,
    month: MonthQuery = None,
    as_of: AsOfQuery = None,
    known_at: KnownAtQuery = None,
    format: FormatQuery = "json",
) -> Statistics | Response:
    """Deferring units, persons and amounts per agency and region, summed upward to the
    province (default: last month, as produced on the 1st)."""
    on, period = report_clock(as_of, month, lambda d: Period.of(d).previous())
    stats = monthly_statistics(
        views.store,
        month=period,
        as_of=on,
        known_at=instant(known_at),
        policies=views.policies(instant(known_at)),
        region=region,
        agency=agency_scope(principal, agency),
    )
    if format == "csv":
        return _csv(STATISTICS_COLUMNS, (statistics_row(s) for s in stats.lines))
    return Statistics.model_validate(stats)


@router.get("/reductions", response_model=Reductions, summary="减征明细表")
def reductions_report(
    principal: Reader,
    views: Views,
    clocks: Clocks,
    region: RegionQuery = None,
    agency: AgencyQuery = None,
    month: MonthQuery = None,
    format: FormatQuery = "json",
) -> Reductions | Response:
    """Per unit: persons reduced, the unit part before the reduction, the reduction, after
    it, and the periods reduced (赤医保发〔2020〕3号 四; 临医保联发〔2020〕14号 四(三))."""
    table = reduction_table(
        views.store,
        as_of=clocks.as_of,
        known_at=clocks.known_at,
        region=region,
        month=Period.parse(month) if month else None,
        agency=agency_scope(principal, agency),
    )
    if format == "csv":
        return _csv(REDUCTION_COLUMNS, (reduction_row(line) for line in table.lines))
    return Reductions(
        as_of=table.as_of,
        known_at=table.known_at,
        month=table.month,
        lines=[ReductionLineOut.model_validate(line) for line in table.lines],
        totals=ReductionTotals.model_validate(table),
    )


@router.get("/reminders", response_model=Reminders, summary="Amounts falling due soon")
def reminders_report(
    principal: Reader,
    views: Views,
    clocks: Clocks,
    region: RegionQuery = None,
    agency: AgencyQuery = None,
    within: Annotated[int, Query(ge=0, le=366, description="days ahead of as_of")] = 30,
    format: FormatQuery = "json",
) -> Reminders | Response:
    """Units whose deferred or called-due principal falls due within ``within`` days
    (内医保办发〔2022〕19号 六(二): 提醒缴费企业备足资金)."""
    found = reminders(
        views.store,
        within_days=within,
        as_of=clocks.as_of,
        known_at=clocks.known_at,
        policies=views.policies(clocks.known_at),
        region=region,
        agency=agency_scope(principal, agency),
    )
    if format == "csv":
        return _csv(REMINDER_COLUMNS, (reminder_row(r) for r in found))
    return Reminders(
        as_of=clocks.as_of,
        known_at=clocks.known_at,
        within_days=within,
        reminders=[ReminderOut.model_validate(r) for r in found],
    )
