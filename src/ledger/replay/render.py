"""The report as bytes: JSON (canonical: sorted keys), CSV (one row per figure) or a
self-contained HTML page with an inline SVG chart of the fund's months.

Nothing here reads a clock: the same report gives the same bytes.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from datetime import date
from decimal import Decimal
from html import escape

from ledger.charts import Series, line_chart
from ledger.domain.errors import InvalidValue
from ledger.domain.money import format_money
from ledger.replay.figures import MEASURES, Flow
from ledger.replay.report import Comparison, ReplayReport
from ledger.reports.formats import defused

FORMATS = ("json", "csv", "html")


def render(report: ReplayReport, fmt: str) -> bytes:
    """``json``, ``csv`` or ``html``; anything else is refused."""
    if fmt == "json":
        text = json.dumps(report.as_dict(), sort_keys=True, ensure_ascii=False, indent=2)
        return (text + "\n").encode("utf-8")
    if fmt == "csv":
        return _csv(report).encode("utf-8")
    if fmt == "html":
        return _html(report).encode("utf-8")
    raise InvalidValue(f"format {fmt!r} is not one of {', '.join(FORMATS)}", field="format")


# ---------------------------------------------------------------------- csv

CSV_HEADER = ("section", "key", "name", "measure", "baseline", "reform", "difference")


def _csv(report: ReplayReport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(_csv_rows(report))
    return buffer.getvalue()


def _compared(section: str, key: str, name: str, c: Comparison) -> Iterator[list[str]]:
    difference = c.difference
    for measure, b, r, d in zip(
        MEASURES, c.baseline.values(), c.reform.values(), difference.values(), strict=True
    ):
        yield [section, key, name, measure, format_money(b), format_money(r), format_money(d)]


def _csv_rows(report: ReplayReport) -> Iterator[list[str]]:
    yield from _compared("total", report.region or "all", "", report.total)
    for line in report.regions:
        yield from _compared("region", line.region, f"{line.units} units", line.comparison)
    for u in report.units:
        # a unit's name is free text: never a formula in a spreadsheet (CSV injection)
        yield from _compared("unit", u.uscc, defused(u.name), u.comparison)
        for f in u.refusals:
            yield [
                "refused",
                u.uscc,
                f"{f.fact} v{f.version}",
                "message",
                "",
                defused(f.message),
                "",
            ]
    for m in report.months:
        for measure in ("collected", "refunded", "net", "due"):
            b: Decimal = getattr(m.baseline, measure)
            r: Decimal = getattr(m.reform, measure)
            yield [
                "month",
                str(m.month),
                "",
                measure,
                format_money(b),
                format_money(r),
                format_money(r - b),
            ]


# --------------------------------------------------------------------- html

_STYLE = """
body{font-family:sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}
th,td{border:1px solid #ccc;padding:.2em .5em;text-align:right}
th:first-child,td:first-child{text-align:left}
.neg{color:#b00}.pos{color:#060}
"""


def _html(report: ReplayReport) -> str:
    known = report.known_at.isoformat() if report.known_at else "everything recorded"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>Policy replay</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>Policy replay: the record against the reform</h1>",
        f"<p>As of {report.as_of.isoformat()}; facts known at {escape(known)}; "
        f"region {escape(report.region or 'all')}; {report.units_compared} units compared, "
        f"{len(report.units)} differ.</p>",
        "<h2>Policy set</h2>",
        _table(
            ("document", "number", "version", "in force"),
            [[d.id, d.number, str(d.version), d.enacted] for d in report.documents],
        ),
        "<h2>The fund's cash flow by month (collected less refunded)</h2>",
        _chart(report, "net"),
        "<h2>Contributions falling due by month</h2>",
        _chart(report, "due"),
        "<h2>Total</h2>",
        _comparison_table(report.total),
        "<h2>By region</h2>",
    ]
    for r in report.regions:
        parts.append(f"<h3>{escape(r.region)} ({r.units} units)</h3>")
        parts.append(_comparison_table(r.comparison))
    parts.append("<h2>Units that differ</h2>")
    header = ("unit", "name", "region", *MEASURES)
    rows = [
        [u.uscc, u.name, u.region, *(format_money(v) for v in u.comparison.difference.values())]
        for u in report.units
    ]
    parts.append(_table(header, rows))
    refused = [
        [u.uscc, f"{f.fact} v{f.version}", f.message] for u in report.units for f in u.refusals
    ]
    if refused:
        parts.append("<h2>Facts the reform refuses</h2>")
        parts.append(_table(("unit", "fact", "why"), refused))
    parts.append("<h2>Months</h2>")
    parts.append(
        _table(
            (
                "month",
                *(
                    f"{w} {m}"
                    for m in ("collected", "refunded", "due")
                    for w in ("record", "reform")
                ),
            ),
            [
                [
                    str(m.month),
                    *(
                        format_money(getattr(flow, measure))
                        for measure in ("collected", "refunded", "due")
                        for flow in (m.baseline, m.reform)
                    ),
                ]
                for m in report.months
            ],
        )
    )
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _comparison_table(c: Comparison) -> str:
    rows = []
    for measure, b, r, d in zip(
        MEASURES, c.baseline.values(), c.reform.values(), c.difference.values(), strict=True
    ):
        rows.append([measure, format_money(b), format_money(r), format_money(d)])
    return _table(("measure", "record", "reform", "difference"), rows)


# -------------------------------------------------------------------- chart

_TITLES = {
    "net": "the fund's cash flow by month (collected less refunded)",
    "due": "contributions falling due by month",
}


def _chart(report: ReplayReport, measure: str) -> str:
    if not report.months:
        return "<p>No movements.</p>"
    return flow_chart(
        report,
        measure,
        label=_TITLES[measure],
        x_title="month (flows drawn on the first day of each month)",
        y_title=f"{measure}, yuan",
    )


def flow_chart(
    report: ReplayReport,
    measure: str,
    *,
    label: str,
    x_title: str,
    y_title: str,
    record: str = "record",
    reform: str = "reform",
) -> str:
    """One of the fund's monthly measures (``net``, ``due``, ``collected``, ``refunded``),
    record against reform, every month from the first to the last (so the x axis is
    time), each drawn on its first day. The record is drawn wide and light underneath,
    the reform dashed on top: where the two lines meet, the record shows round the
    reform's dashes."""
    by_month = {m.month: m for m in report.months}
    months = []
    if report.months:
        first, last = report.months[0].month, report.months[-1].month
        months = [first + n for n in range(first.months_until(last) + 1)]
    empty = Flow()

    def points(side: str) -> list[tuple[date, Decimal]]:
        flows = [getattr(by_month[m], side) if m in by_month else empty for m in months]
        return [(m.first_day, _of(f, measure)) for m, f in zip(months, flows, strict=True)]

    lines = [
        Series(record, points("baseline"), "#9a9a9a", width=7, opacity="0.55"),
        Series(reform, points("reform"), "#1f5fbf", width=2, dash="7 4"),
    ]
    return line_chart(lines, label=label, x_title=x_title, y_title=y_title)


def _of(flow: Flow, measure: str) -> Decimal:
    value: Decimal = getattr(flow, measure)
    return value
