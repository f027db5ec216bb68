"""``ledger report deferral-list|statistics|reductions|reminders``: the exchange reports.

Each is described once in :mod:`ledger.reports` (columns in the seeds' field order,
headers in Chinese and English); the CLI parses the options into a query and writes
the table: on the terminal, or ``--format json|csv|xlsx`` through the renderers the
API uses. Both clocks as in :mod:`ledger.cli.reads`; a monthly report given
``--month`` and no ``--as-of`` is as of the 1st of the next month, when the notice
produces it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from ledger.cli import refusals_exit
from ledger.cli.app import app
from ledger.cli.reads import (
    AsOf,
    Format,
    Headers,
    KnownAt,
    Output,
    output_shape,
    run_report,
    write_table,
)
from ledger.domain.errors import InvalidValue
from ledger.reports import (
    DEFERRAL_LIST,
    FILTERS,
    REDUCTIONS,
    REMINDERS,
    STATISTICS,
    Query,
    Report,
    Table,
)
from ledger.reports.exchange import Gather, deferral_list_over, statistics_over
from ledger.reports.model import with_withheld

report_app = typer.Typer(
    help="Reports: the deferral list (缓缴清单), statistics, reductions (减征明细表), reminders.",
    no_args_is_help=True,
)
app.add_typer(report_app, name="report")

Region = Annotated[str | None, typer.Option("--region", help=FILTERS["region"].en)]
Agency = Annotated[str | None, typer.Option("--agency", help=FILTERS["agency"].en)]
Month = Annotated[str | None, typer.Option("--month", help=FILTERS["month"].en)]
Province = Annotated[
    str | None,
    typer.Option(
        "--province",
        help="A province whose regions are linked in the reporting database "
        "(LEDGER_DATABASE_URL; ledger province link).",
    ),
]


def _monthly(report: Report, over: Callable[[Gather, Query], Table], help_text: str) -> None:
    """``ledger report NAME``: a report of the deferral list of a month, of this ledger's
    views or, with ``--province``, of the regions linked into a reporting database."""

    @refusals_exit
    def command(
        region: Region = None,
        agency: Agency = None,
        month: Month = None,
        as_of: AsOf = "",
        known_at: KnownAt = "",
        output: Format = "table",
        to: Output = None,
        headers: Headers = "zh",
        province: Province = None,
    ) -> None:
        query = Query.parse(
            as_of=as_of, known_at=known_at, month=month, region=region, agency=agency
        )
        if not province:
            run_report(report, query, output, headers, to)
            return
        if region:
            raise InvalidValue("give --region or --province, not both", field="province")
        from ledger.cli.province import province_deferral_rows

        shape = output_shape(output, headers, to)
        left_out: list[str] = []
        table = over(
            lambda period, at: province_deferral_rows(
                province, month=period, clocks=at, agency=agency, withheld_out=left_out
            ),
            query,
        )
        if left_out:  # as Report.run says it for one ledger's views
            table = with_withheld(table, sorted(set(left_out)))
        write_table(table, shape, headers, to)

    report_app.command(report.name, help=help_text)(command)


_monthly(
    DEFERRAL_LIST,
    deferral_list_over,
    "The 缓缴清单 (内医保办发〔2022〕19号 五) of a month: default the current one. With "
    "--province, over the regions linked into the province's reporting database.",
)
_monthly(
    STATISTICS,
    statistics_over,
    "Deferring units, persons and amounts of a month per agency and region, summed upward "
    "(default: last month, as produced on the 1st). With --province, over the regions "
    "linked into the province's reporting database.",
)


@report_app.command("reductions")
@refusals_exit
def reductions_report(
    region: Region = None,
    agency: Agency = None,
    month: Month = None,
    as_of: AsOf = "",
    known_at: KnownAt = "",
    output: Format = "table",
    to: Output = None,
    headers: Headers = "zh",
) -> None:
    """The reduction detail table (阶段性减征职工基本医疗保险费明细表): per unit and in
    total."""
    query = Query.parse(as_of=as_of, known_at=known_at, month=month, region=region, agency=agency)
    run_report(REDUCTIONS, query, output, headers, to)


@report_app.command("reminders")
@refusals_exit
def reminders_report(
    region: Region = None,
    agency: Agency = None,
    within: Annotated[int, typer.Option(help=FILTERS["within"].en, min=0)] = 30,
    as_of: AsOf = "",
    known_at: KnownAt = "",
    output: Format = "table",
    to: Output = None,
    headers: Headers = "zh",
) -> None:
    """Units whose deferred or called-due amounts fall due within N days."""
    query = Query.parse(as_of=as_of, known_at=known_at, region=region, agency=agency, within=within)
    run_report(REMINDERS, query, output, headers, to)
