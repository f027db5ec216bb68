"""The desk's charts, in Chinese, drawn by :mod:`ledger.charts`."""

from __future__ import annotations

from collections.abc import Sequence

from ledger.charts import Series, line_chart
from ledger.projections.history import HistoryPoint
from ledger.replay.render import flow_chart
from ledger.replay.report import ReplayReport

#: colours told apart by the colour-blind too (Okabe-Ito), and each line its own dashes
UNIT_SERIES = (
    ("owed", "欠费（未缓缴）", "#D55E00", ""),
    ("deferred", "缓缴", "#E69F00", "8 4"),
    ("paid", "已缴（累计）", "#009E73", ""),
    ("late_fee", "滞纳金（累计）", "#CC79A7", "3 3"),
)


def unit_chart(history: Sequence[HistoryPoint]) -> str:
    """Owed, deferred, paid and late fee at the end of each month."""
    series = [
        Series(name, [(p.on, getattr(p, attr)) for p in history], colour, width=2, dash=dash)
        for attr, name, colour, dash in UNIT_SERIES
    ]
    return line_chart(
        series if history else [],
        label="单位欠费、缓缴、已缴与滞纳金",
        x_title="日期（每月末）",
        y_title="金额（元）",
    )


def replay_charts(report: ReplayReport) -> list[tuple[str, str]]:
    """The fund's monthly cash flow and the contributions falling due, record against
    reform: (heading, svg) pairs."""
    charts = []
    for measure, heading in (("net", "基金月度净收入（征收减退费）"), ("due", "每月到期应缴")):
        svg = flow_chart(
            report,
            measure,
            label=heading,
            x_title="月份（按月初绘制）",
            y_title="金额（元）",
            record="现行记录",
            reform="回放方案",
        )
        charts.append((heading, svg))
    return charts
