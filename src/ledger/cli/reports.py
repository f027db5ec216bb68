"""``ledger report deferral-list|statistics|reductions|reminders``: the exchange reports.

Each is described once in :mod:`ledger.reports` (columns in the seeds' field order,
headers in Chinese and English); the CLI parses the options into a query and writes
the table: on the terminal, or ``--format json|csv|xlsx`` through the renderers the
API uses. Both clocks as in :mod:`ledger.cli.reads`; a monthly report given
``--month`` and no ``--as-of`` is as of the 1st of the next month, when the notice
produces it.
"""

from __future__ import annotations

from typing import Annotated

import typer

from ledger.cli import refusals_exit
from ledger.cli.app import app
from ledger.cli.reads import AsOf, Format, Headers, KnownAt, Output, run_report
from ledger.reports import DEFERRAL_LIST, FILTERS, REDUCTIONS, REMINDERS, STATISTICS, Query, Report

report_app = typer.Typer(
    help="Reports: the deferral list (缓缴清单), statistics, reductions (减征明细表), reminders.",
    no_args_is_help=True,
)
app.add_typer(report_app, name="report")

Region = Annotated[str | None, typer.Option("--region", help=FILTERS["region"].en)]
Agency = Annotated[str | None, typer.Option("--agency", help=FILTERS["agency"].en)]
Month = Annotated[str | None, typer.Option("--month", help=FILTERS["month"].en)]


def _monthly(report: Report, help_text: str) -> None:
    """``ledger report NAME``: a report of a month, with the same options for each."""

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
    ) -> None:
        query = Query.parse(
            as_of=as_of, known_at=known_at, month=month, region=region, agency=agency
        )
        run_report(report, query, output, headers, to)

    report_app.command(report.name, help=help_text)(command)


_monthly(
    DEFERRAL_LIST, "The 缓缴清单 (内医保办发〔2022〕19号 五) of a month: default the current one."
)
_monthly(
    STATISTICS,
    "Deferring units, persons and amounts of a month per agency and region, summed "
    "upward (default: last month, as produced on the 1st).",
)
_monthly(
    REDUCTIONS,
    "The reduction detail table (阶段性减征职工基本医疗保险费明细表): per unit and in total.",
)


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
