"""The server-drawn line charts: years on the axis, round ticks, titles, legend samples."""

from __future__ import annotations

import doctest
import re
from datetime import date
from decimal import Decimal

import ledger.charts as charts_module
from ledger.charts import Series, line_chart, month_ticks, nice_ticks


def test_doctests_pass() -> None:
    result = doctest.testmod(charts_module)

    assert result.failed == 0


def _chart(first: date, last: date) -> str:
    record = Series("记录", [(first, Decimal("0.00")), (last, Decimal("21000.00"))], "#999", 7)
    reform = Series(
        "改革", [(first, Decimal("0.00")), (last, Decimal("21000.00"))], "#15b", 2, "6 3"
    )
    return line_chart([record, reform], label="测试", x_title="月份", y_title="金额（元）")


def test_a_short_span_labels_every_month_with_its_year() -> None:
    svg = _chart(date(2022, 6, 30), date(2022, 12, 31))

    labels = re.findall(r">(\d{4}-\d{2})</text>", svg)
    assert labels == ["2022-07", "2022-08", "2022-09", "2022-10", "2022-11", "2022-12"]


def test_a_long_span_labels_years() -> None:
    ticks = month_ticks(date(2020, 2, 1), date(2026, 11, 30))

    assert [label for _, label in ticks] == ["2021", "2022", "2023", "2024", "2025", "2026"]


def test_the_y_axis_has_more_than_two_round_ticks() -> None:
    svg = _chart(date(2022, 6, 30), date(2022, 12, 31))

    assert re.findall(r'text-anchor="end" dominant-baseline="middle">([\d,]+)</text>', svg) == [
        "0",
        "5,000",
        "10,000",
        "15,000",
        "20,000",
        "25,000",
    ]


def test_both_axes_carry_a_title() -> None:
    svg = _chart(date(2022, 6, 30), date(2022, 12, 31))

    assert re.findall(r'class="axis-title"[^>]*>([^<]+)</text>', svg) == ["金额（元）", "月份"]


def test_the_legend_draws_each_line_with_its_own_stroke() -> None:
    svg = _chart(date(2022, 6, 30), date(2022, 12, 31))

    samples = re.findall(r'<line class="legend-sample"[^>]*/>', svg)
    assert len(samples) == 2
    assert 'stroke-width="7"' in samples[0]
    assert 'stroke-dasharray="6 3"' in samples[1]


def test_the_first_series_is_drawn_first_so_that_it_lies_underneath() -> None:
    svg = _chart(date(2022, 6, 30), date(2022, 12, 31))

    lines = re.findall(r'<polyline class="series"[^>]*stroke-width="(\d+)"', svg)
    assert lines == ["7", "2"]


def test_negative_values_get_ticks_below_zero() -> None:
    assert nice_ticks(Decimal("-120.00"), Decimal("80.00"))[0] < 0


def test_an_empty_chart_says_so_instead_of_drawing_axes() -> None:
    assert "<svg" not in line_chart([], label="空", x_title="x", y_title="y")
