"""``ledger report deferral-list|statistics|reductions|reminders``: the exchange reports.

Table on the terminal, ``--format csv`` (the deferral list with the notice's Chinese
field names as header) or ``--format json`` (snake_case keys, amounts as strings with
two decimals). Both clocks as in :mod:`ledger.cli.reads`; a monthly report given
``--month`` and no ``--as-of`` is as of the 1st of the next month, when the notice
produces it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from ledger.cli import refusals_exit
from ledger.cli.app import app, day
from ledger.cli.reads import (
    AsOf,
    Format,
    KnownAt,
    clocks,
    emit_csv,
    emit_json,
    emit_table,
    fmt,
    plain,
    views,
)
from ledger.clocks import CST, instant, report_clock
from ledger.domain.errors import InvalidValue
from ledger.domain.money import format_money
from ledger.domain.period import Period

if TYPE_CHECKING:
    from ledger.projections.deferrals import DeferralListRow

report_app = typer.Typer(
    help="Reports: the deferral list (缓缴清单), statistics, reductions, reminders.",
    no_args_is_help=True,
)
app.add_typer(report_app, name="report")

Region = Annotated[
    str | None, typer.Option("--region", help="Region code; 150000 takes all of 15xxxx.")
]
Month = Annotated[str | None, typer.Option("--month", help="Contribution period YYYY-MM.")]
Province = Annotated[
    str | None,
    typer.Option(
        "--province",
        help="A province whose regions are linked in the reporting database "
        "(LEDGER_DATABASE_URL; ledger province link).",
    ),
]


@report_app.command("deferral-list")
@refusals_exit
def deferral_list_report(
    region: Region = None,
    agency: Annotated[str | None, typer.Option(help="Agency code (医保经办机构代码).")] = None,
    month: Month = None,
    as_of: AsOf = "",
    known_at: KnownAt = "",
    output: Format = "table",
    province: Province = None,
) -> None:
    """The 缓缴清单 (内医保办发〔2022〕19号 五) of a month: default the current one."""
    from ledger.projections.deferrals import DEFERRAL_LIST_FIELDS, exchange_record

    shape = fmt(output, ("table", "json", "csv"))
    on, period = report_clock(as_of, month, Period.of)
    rows = _deferral_rows(period, on, instant(known_at), region, agency, province)
    sent = datetime.now(CST)
    header = [h for h, _ in DEFERRAL_LIST_FIELDS]
    if shape == "json":
        emit_json(
            {
                "month": str(period),
                "as_of": on.isoformat(),
                "known_at": plain(instant(known_at)),
                "transmitted_at": sent.strftime("%Y%m%d%H%M%S"),
                "rows": [plain(r) for r in rows],
            }
        )
    elif shape == "csv":
        emit_csv(header, ([*exchange_record(r, sent).values()] for r in rows))
    else:
        # the terminal table leaves out the constant codes and the time, named in the title
        shown = ["uscc", "unit_name", "agency", "unit_number", "persons"]
        shown += ["period_from", "period_to", "amount", "deadline"]
        names = {name: header for header, name in DEFERRAL_LIST_FIELDS}
        emit_table(
            f"缓缴清单 {period}: 缓缴类型 66, 险种类型代码 310, 传输时间 "
            f"{sent.strftime('%Y%m%d%H%M%S')} ({clocks(on, instant(known_at))})",
            [names[n] for n in shown],
            ([exchange_record(r, sent)[names[n]] for n in shown] for r in rows),
            {"缓缴人数", "缓缴金额"},
        )


@report_app.command("statistics")
@refusals_exit
def statistics_report(
    region: Region = None,
    month: Month = None,
    as_of: AsOf = "",
    known_at: KnownAt = "",
    output: Format = "table",
    province: Province = None,
) -> None:
    """Deferring units, persons and amounts of a month per agency and region, summed
    upward (default: last month, as produced on the 1st). With --province, over the
    regions linked into the province's reporting database."""
    from ledger.projections.deferrals import STATISTICS_COLUMNS, statistics_of, statistics_row

    shape = fmt(output, ("table", "json", "csv"))
    on, period = report_clock(as_of, month, lambda d: Period.of(d).previous())
    listed = _deferral_rows(period, on, instant(known_at), region, None, province)
    stats = statistics_of(listed, month=period, as_of=on, known_at=instant(known_at))
    columns = list(STATISTICS_COLUMNS)
    rows = [statistics_row(s) for s in stats.lines]
    if shape == "json":
        emit_json(plain(stats))
    elif shape == "csv":
        emit_csv(columns, rows)
    else:
        title = f"deferral statistics {period} ({clocks(on, stats.known_at)})"
        emit_table(title, columns, rows, {"units", "persons", "amount"})


def _deferral_rows(
    month: Period,
    on: date,
    known_at: datetime | None,
    region: str | None,
    agency: str | None,
    province: str | None,
) -> list[DeferralListRow]:
    """The deferral list of this ledger's views, or of a province's linked regions."""
    from ledger.projections.deferrals import deferral_list

    if province:
        if region:
            raise InvalidValue("give --region or --province, not both", field="province")
        from ledger.cli.province import province_deferral_rows

        return province_deferral_rows(
            province, month=month, as_of=on, known_at=known_at, agency=agency
        )
    with views(known_at) as (store, policies):
        return deferral_list(
            store,
            month=month,
            as_of=on,
            known_at=known_at,
            policies=policies,
            region=region,
            agency=agency,
        )


AFTER = ("before", "reduction", "after")


@report_app.command("reductions")
@refusals_exit
def reductions_report(
    region: Region = None,
    month: Month = None,
    as_of: AsOf = "",
    known_at: KnownAt = "",
    output: Format = "table",
) -> None:
    """The reduction detail table (减征明细表): per unit and in total."""
    from ledger.projections.reductions import REDUCTION_COLUMNS, reduction_row, reduction_table

    shape = fmt(output, ("table", "json", "csv"))
    on = day(as_of, "as_of")
    with views() as (store, _):
        table = reduction_table(
            store,
            as_of=on,
            known_at=instant(known_at),
            region=region,
            month=Period.parse(month) if month else None,
        )
    columns = list(REDUCTION_COLUMNS)
    rows = [reduction_row(line) for line in table.lines]
    totals = {
        "units": table.units,
        "persons": table.persons,
        "before": format_money(table.before),
        "reduction": format_money(table.reduction),
        "after": format_money(table.after),
    }
    if shape == "json":
        data = plain(table)
        for line, row in zip(data["lines"], table.lines, strict=True):
            line["after"] = format_money(row.after)
        emit_json({**data, "totals": totals})
    elif shape == "csv":
        emit_csv(columns, rows)
    else:
        rows.append(
            ["total", "", "", "", str(table.persons), *(str(totals[k]) for k in AFTER), "", ""]
        )
        title = f"减征明细表, {table.units} units ({clocks(on, table.known_at)})"
        emit_table(title, columns, rows, {"persons", "before", "reduction", "after"})


@report_app.command("reminders")
@refusals_exit
def reminders_report(
    region: Region = None,
    within: Annotated[int, typer.Option(help="Days ahead of the as-of date.", min=0)] = 30,
    as_of: AsOf = "",
    known_at: KnownAt = "",
    output: Format = "table",
) -> None:
    """Units whose deferred or called-due amounts fall due within N days."""
    from ledger.projections.deferrals import REMINDER_COLUMNS, reminder_row, reminders

    shape = fmt(output, ("table", "json", "csv"))
    on = day(as_of, "as_of")
    with views(instant(known_at)) as (store, policies):
        found = reminders(
            store,
            within_days=within,
            as_of=on,
            known_at=instant(known_at),
            policies=policies,
            region=region,
        )
    columns = list(REMINDER_COLUMNS)
    rows = [reminder_row(r) for r in found]
    if shape == "json":
        emit_json([plain(r) for r in found])
    elif shape == "csv":
        emit_csv(columns, rows)
    else:
        last = on + timedelta(days=within)
        title = f"due {on}..{last} ({clocks(on, instant(known_at))})"
        emit_table(title, columns, rows, {"days_left", "amount"})
