"""The reports the desk shows: which filters each takes, its columns, and the API route
that computes it (``ledger.api.routers.reports``: the same rows, scope and files)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ledger.api.auth import Principal
from ledger.api.deps import ReadClocks
from ledger.api.readside import ReadSide
from ledger.api.routers import reports
from ledger.api.schemas.types import DATE_PATTERN, PERIOD_PATTERN
from ledger.clocks import business_date, instant


class Filters(BaseModel):
    """The report routes' query parameters, validated with the routes' patterns."""

    model_config = ConfigDict(extra="ignore")

    region: str | None = Field(default=None, pattern=r"^[0-9]{6}$")
    agency: str | None = Field(default=None, pattern=r"^[0-9A-Za-z]{1,20}$")
    month: str | None = Field(default=None, pattern=PERIOD_PATTERN)
    as_of: str | None = Field(default=None, pattern=DATE_PATTERN)
    known_at: str | None = Field(default=None, max_length=40)
    within: int = Field(default=30, ge=0, le=366)

    def clocks(self) -> ReadClocks:
        return ReadClocks(business_date(self.as_of, "as_of"), instant(self.known_at))


Format = Literal["json", "csv"]
Run = Callable[[Principal, ReadSide, Filters, Format], Any]


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    attr: str
    #: text | amount | label | date | periods
    kind: str = "text"


@dataclass(frozen=True, slots=True)
class ReportPage:
    slug: str
    title: str
    filters: tuple[str, ...]
    columns: tuple[Column, ...]
    #: the attribute of the route's answer holding the rows
    rows: str
    run: Run
    hint: str = ""


def _deferral_list(p: Principal, v: ReadSide, f: Filters, fmt: Format) -> Any:
    return reports.deferral_list_report(p, v, f.region, f.agency, f.month, f.as_of, f.known_at, fmt)


def _statistics(p: Principal, v: ReadSide, f: Filters, fmt: Format) -> Any:
    return reports.statistics_report(p, v, f.region, f.agency, f.month, f.as_of, f.known_at, fmt)


def _reductions(p: Principal, v: ReadSide, f: Filters, fmt: Format) -> Any:
    return reports.reductions_report(p, v, f.clocks(), f.region, f.agency, f.month, fmt)


def _reminders(p: Principal, v: ReadSide, f: Filters, fmt: Format) -> Any:
    return reports.reminders_report(p, v, f.clocks(), f.region, f.agency, f.within, fmt)


MONTHLY = ("region", "agency", "month", "as_of", "known_at")
UNIT = (Column("统一社会信用代码", "uscc"), Column("单位名称", "unit_name"))

PAGES = {
    p.slug: p
    for p in (
        ReportPage(
            "deferral-list",
            "缓缴清单",
            MONTHLY,
            (
                *UNIT,
                Column("缓缴类型", "deferral_type"),
                Column("医保经办机构代码", "agency"),
                Column("医保单位编号", "unit_number"),
                Column("险种类型代码", "insurance_type"),
                Column("缓缴人数", "persons"),
                Column("缓缴所属期起", "period_from"),
                Column("缓缴所属期止", "period_to"),
                Column("缓缴金额", "amount", "amount"),
                Column("缓缴期限", "deadline", "date"),
            ),
            "rows",
            _deferral_list,
            "内医保办发〔2022〕19号 五：当月缓缴的单位；未填所属期时为当月，"
            "填了所属期未填日期时按次月 1 日生成。",
        ),
        ReportPage(
            "statistics",
            "缓缴统计",
            MONTHLY,
            (
                Column("层级", "level", "label"),
                Column("代码", "code"),
                Column("统筹地区", "region"),
                Column("缓缴单位数", "units"),
                Column("缓缴人数", "persons"),
                Column("缓缴金额", "amount", "amount"),
            ),
            "lines",
            _statistics,
            "每月 1 日统计上月：按经办机构、县（区）、市、省逐级汇总。",
        ),
        ReportPage(
            "reductions",
            "减征明细表",
            ("region", "agency", "month", "as_of", "known_at"),
            (
                *UNIT,
                Column("经办机构", "agency"),
                Column("减征人数", "persons"),
                Column("减征前应征金额", "before", "amount"),
                Column("减征金额", "reduction", "amount"),
                Column("减征后应缴金额", "after", "amount"),
                Column("所属期起", "period_from"),
                Column("所属期止", "period_to"),
                Column("政策文件", "document"),
            ),
            "lines",
            _reductions,
            "阶段性减征职工基本医疗保险费明细表（单位缴费部分）。",
        ),
        ReportPage(
            "reminders",
            "到期提醒",
            ("region", "agency", "within", "as_of", "known_at"),
            (
                *UNIT,
                Column("经办机构", "agency"),
                Column("类别", "kind", "label"),
                Column("到期日", "due_on", "date"),
                Column("剩余天数", "days_left"),
                Column("金额", "amount", "amount"),
                Column("所属期", "periods", "periods"),
            ),
            "reminders",
            _reminders,
            "缓缴期满或提前到期的本金在若干天内到期的单位：提醒备足资金"
            "（内医保办发〔2022〕19号 六(二)）。",
        ),
    )
}

FILTER_LABELS = {
    "region": ("统筹地区代码", "如 150000 含全区"),
    "agency": ("经办机构代码", ""),
    "month": ("所属期", "YYYY-MM"),
    "as_of": ("业务日期（截至）", "YYYY-MM-DD"),
    "known_at": ("记录时点（截至）", "YYYY-MM-DD 或 YYYY-MM-DDThh:mm"),
    "within": ("天数", "提醒多少天内到期"),
}
