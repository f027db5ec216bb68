"""The bureau's reports, each described once: the deferral list (缓缴清单), the monthly
statistics, the reduction detail table (减征明细表) and the reminders.

Columns follow the document that asks for each report, in its field order:
内医保办发〔2022〕19号 五 for the deferral list (whose codes and compact dates are the
exchange format's: months YYYYMM, the deadline YYYYMMDD, 传输时间 YYYYMMDDhh24miss);
临医保联发〔2020〕14号 四(三) (减征前应征金额、减征金额、减征后应缴金额、减征起止日期) and
赤医保发〔2020〕3号 四/五 (减征人数、减征金额) for the reduction table. The views compute
the rows (``ledger.projections.deferrals``, ``ledger.projections.reductions``); this
module only says how they are laid out.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from ledger.clocks import ReadClocks, report_clock
from ledger.domain.money import format_money
from ledger.domain.period import Period
from ledger.projections.deferrals import (
    DeferralListRow,
    Reminder,
    StatisticsLine,
    deferral_list,
    reminders,
    statistics_of,
)
from ledger.projections.reductions import ReductionLine, reduction_table
from ledger.reports.model import (
    Cell,
    Column,
    Kind,
    Query,
    Reads,
    Report,
    Table,
    context,
)

MONTHLY = ("region", "agency", "month", "as_of", "known_at")

# --------------------------------------------------------------- 缓缴清单

DEFERRAL_LIST_COLUMNS = (
    Column("uscc", "统一社会信用代码", "USCC"),
    Column("unit_name", "单位名称", "unit name", Kind.TEXT),
    Column("deferral_type", "缓缴类型", "deferral type"),
    Column("agency", "医保经办机构代码", "agency code"),
    Column("unit_number", "医保单位编号", "unit number"),
    Column("insurance_type", "险种类型代码", "insurance type code"),
    Column("persons", "缓缴人数", "persons deferred", Kind.COUNT),
    Column("period_from", "缓缴所属期起", "period from"),
    Column("period_to", "缓缴所属期止", "period to"),
    Column("amount", "缓缴金额", "amount deferred", Kind.MONEY),
    Column("deadline", "缓缴期限", "deadline"),
    Column("transmitted_at", "传输时间", "transmitted at"),
)


def yyyymm(period: Period) -> str:
    return f"{period.year:04d}{period.month:02d}"


def deferral_list_cells(row: DeferralListRow, transmitted_at: datetime) -> tuple[Cell, ...]:
    """A row as the exchange file lays it out: the notice's codes, amounts to the fen
    (元, 精确到小数点后2位), months YYYYMM, the deadline YYYYMMDD and the time the list is
    generated (传输时间, given by the caller: a view reads no clock) YYYYMMDDhh24miss."""
    return (
        row.uscc,
        row.unit_name,
        row.deferral_type,
        row.agency,
        row.unit_number,
        row.insurance_type,
        row.persons,
        yyyymm(row.period_from),
        yyyymm(row.period_to),
        row.amount,
        row.deadline.strftime("%Y%m%d"),
        transmitted_at.strftime("%Y%m%d%H%M%S"),
    )


def _monthly(q: Query, default: Callable[[date], Period]) -> dict[str, Any]:
    """A monthly report's filters as its view takes them: a month given without a date
    is as of the 1st of the next month (report_clock)."""
    on, period = report_clock(q.as_of, q.month, default)
    return {
        "month": period,
        "clocks": q.clocks(on),
        "as_of": on,
        "known_at": q.known_at,
        "region": q.region,
        "agency": q.agency,
    }


Gather = Callable[[Period, ReadClocks], list[DeferralListRow]]
"""Deferral-list rows of a month at the read's clocks, gathered elsewhere than this ledger's
views: the regions of a province, each read on its own (``--province``)."""


def _deferral_list(reads: Reads, q: Query) -> Table:
    return deferral_list_over(lambda month, at: _listed(reads, q, month, at), q)


def _listed(reads: Reads, q: Query, month: Period, at: ReadClocks) -> list[DeferralListRow]:
    return deferral_list(
        reads.store,
        month=month,
        clocks=at,
        policies=reads.policies(at.known_at),
        region=q.region,
        agency=q.agency,
    )


def deferral_list_over(gather: Gather, q: Query) -> Table:
    """The 缓缴清单 of the rows ``gather`` gives for the query's month and date."""
    args = _monthly(q, Period.of)
    at: ReadClocks = args.pop("clocks")
    on, period = at.as_of, args["month"]
    rows = gather(period, at)
    sent = q.now.strftime("%Y%m%d%H%M%S")
    return Table(
        DEFERRAL_LIST,
        f"缓缴清单 {period}: 缓缴类型 66, 险种类型代码 310, 传输时间 {sent} ({at.caption()})",
        [deferral_list_cells(r, q.now) for r in rows],
        {
            "month": period,
            "as_of": on,
            "known_at": q.known_at,
            "transmitted_at": sent,
            "rows": rows,
        },
        f"deferral-list-{period}",
        context=context(**args),
    )


DEFERRAL_LIST = Report(
    "deferral-list",
    "缓缴清单",
    "deferral list",
    "内医保办发〔2022〕19号 五",
    DEFERRAL_LIST_COLUMNS,
    MONTHLY,
    _deferral_list,
    # the constant codes and the time are in the title
    terminal=(
        "uscc",
        "unit_name",
        "agency",
        "unit_number",
        "persons",
        "period_from",
        "period_to",
        "amount",
        "deadline",
    ),
)

# ------------------------------------------------------------- statistics

STATISTICS_COLUMNS = (
    Column("level", "层级", "level"),
    Column("code", "代码", "code"),
    Column("region", "统筹区", "region"),
    Column("units", "缓缴单位数", "units deferring", Kind.COUNT),
    Column("persons", "缓缴人数", "persons deferred", Kind.COUNT),
    Column("amount", "缓缴金额", "amount deferred", Kind.MONEY),
)


def _statistics_cells(s: StatisticsLine) -> tuple[Cell, ...]:
    return (s.level, s.code, s.region, s.units, s.persons, s.amount)


def _last_month(on: date) -> Period:
    return Period.of(on).previous()


def _statistics(reads: Reads, q: Query) -> Table:
    return statistics_over(lambda month, on: _listed(reads, q, month, on), q)


def statistics_over(gather: Gather, q: Query) -> Table:
    """The statistics of the deferral-list rows ``gather`` gives (as monthly_statistics
    sums this ledger's list)."""
    args = _monthly(q, _last_month)
    at: ReadClocks = args.pop("clocks")
    rows = gather(args["month"], at)
    stats = statistics_of(rows, month=args["month"], clocks=at)
    return Table(
        STATISTICS,
        f"缓缴统计 deferral statistics {stats.month} ({at.caption()})",
        [_statistics_cells(s) for s in stats.lines],
        stats,
        f"statistics-{stats.month}",
        context=context(**args),
    )


STATISTICS = Report(
    "statistics",
    "缓缴统计表",
    "deferral statistics",
    "内医保办发〔2022〕19号 五 2 (按月共享); 医保发〔2022〕21号 五 (按月汇总并向上集中报送)",
    STATISTICS_COLUMNS,
    MONTHLY,
    _statistics,
)

# ------------------------------------------------------------- 减征明细表

REDUCTION_COLUMNS = (
    Column("uscc", "统一社会信用代码", "USCC"),
    Column("unit_name", "单位名称", "unit name", Kind.TEXT),
    Column("agency", "医保经办机构代码", "agency code"),
    Column("region", "统筹区", "region"),
    Column("persons", "减征人数", "persons reduced", Kind.COUNT),
    Column("before", "减征前应征金额", "due before reduction", Kind.MONEY),
    Column("reduction", "减征金额", "reduction", Kind.MONEY),
    Column("after", "减征后应缴金额", "due after reduction", Kind.MONEY),
    Column("period_from", "减征起始所属期", "reduced from"),
    Column("period_to", "减征终止所属期", "reduced to"),
    Column("document", "政策文件", "policy document", Kind.TEXT),
)


def _reduction_cells(line: ReductionLine) -> tuple[Cell, ...]:
    return (
        line.uscc,
        line.unit_name,
        line.agency,
        line.region,
        line.persons,
        line.before,
        line.reduction,
        line.after,
        str(line.period_from),
        str(line.period_to),
        line.document,
    )


def _reductions(reads: Reads, q: Query) -> Table:
    at = q.clocks()
    on = at.as_of
    table = reduction_table(
        reads.store,
        clocks=at,
        region=q.region,
        month=q.month,
        agency=q.agency,
    )
    document = {
        "as_of": on,
        "known_at": q.known_at,
        "month": q.month,
        "lines": [{**_line_fields(line), "after": line.after} for line in table.lines],
        "totals": {
            "units": table.units,
            "persons": table.persons,
            "before": format_money(table.before),
            "reduction": format_money(table.reduction),
            "after": format_money(table.after),
        },
    }
    total = ("合计", "", "", "", table.persons, table.before, table.reduction, table.after)
    return Table(
        REDUCTIONS,
        f"减征明细表, {table.units} units ({at.caption()})",
        [_reduction_cells(line) for line in table.lines],
        document,
        f"reductions-{q.month}" if q.month else "reductions",
        total=(*total, None, None, None),
        context=context(
            as_of=on, known_at=q.known_at, month=q.month, region=q.region, agency=q.agency
        ),
    )


def _line_fields(line: ReductionLine) -> dict[str, object]:
    return {name: getattr(line, name) for name in ReductionLine.__dataclass_fields__}


REDUCTIONS = Report(
    "reductions",
    "阶段性减征职工基本医疗保险费明细表",
    "reduction detail table",
    "赤医保发〔2020〕3号 四、五(一); 临医保联发〔2020〕14号 四(三)",
    REDUCTION_COLUMNS,
    ("region", "agency", "month", "as_of", "known_at"),
    _reductions,
    terminal=tuple(c.key for c in REDUCTION_COLUMNS if c.key != "document"),
)

# -------------------------------------------------------------- reminders

REMINDER_COLUMNS = (
    Column("due_on", "应缴日期", "due on", Kind.DATE),
    Column("days_left", "剩余天数", "days left", Kind.COUNT),
    Column("uscc", "统一社会信用代码", "USCC"),
    Column("unit_name", "单位名称", "unit name", Kind.TEXT),
    Column("agency", "医保经办机构代码", "agency code"),
    Column("kind", "类别", "kind"),
    Column("amount", "应缴金额", "amount due", Kind.MONEY),
    Column("periods", "所属期", "periods"),
)


def _reminder_cells(r: Reminder) -> tuple[Cell, ...]:
    periods = " ".join(map(str, r.periods))
    return (r.due_on, r.days_left, r.uscc, r.unit_name, r.agency, r.kind, r.amount, periods)


def _reminders(reads: Reads, q: Query) -> Table:
    at = q.clocks()
    on = at.as_of
    found = reminders(
        reads.store,
        within_days=q.within,
        clocks=at,
        policies=reads.policies(at.known_at),
        region=q.region,
        agency=q.agency,
    )
    last = on + timedelta(days=q.within)
    return Table(
        REMINDERS,
        f"缴费提醒 due {on}..{last} ({at.caption()})",
        [_reminder_cells(r) for r in found],
        {"as_of": on, "known_at": q.known_at, "within_days": q.within, "reminders": found},
        f"reminders-{on}",
        context=context(
            as_of=on, known_at=q.known_at, within=q.within, region=q.region, agency=q.agency
        ),
    )


REMINDERS = Report(
    "reminders",
    "缴费提醒",
    "reminders",
    "内医保办发〔2022〕19号 六(二)",
    REMINDER_COLUMNS,
    ("region", "agency", "within", "as_of", "known_at"),
    _reminders,
)
