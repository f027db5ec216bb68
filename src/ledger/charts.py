"""Line charts over time as inline SVG, drawn on the server: no script, no external file.

The replay's HTML report and the desk's pages draw their charts here, so both read the
same way: dates on the x axis with the year always shown (months ``2022-07`` over a short
span, years over a long one), four to eight round y ticks with grid lines, a title on
each axis, and a legend whose samples are drawn with each line's own stroke, width and
dashes. Series are drawn in the order given, the first underneath: give the line that
may be hidden (the record, under the reform) a wider, lighter stroke so it shows round
the other where the two meet.

The values are money, so the coordinates are computed in ``Decimal`` (never a float),
rounded to a tenth of a pixel for the markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from html import escape

from ledger.domain.period import Period

__all__ = ["Series", "line_chart", "month_ticks", "nice_ticks"]

FONT = "'Noto Sans CJK SC','Noto Sans SC','Source Han Sans SC','Microsoft YaHei',sans-serif"
_TENTH = Decimal("0.1")
_STEPS = (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10))


@dataclass(frozen=True, slots=True)
class Series:
    """One line: its name in the legend, its points (in date order) and its stroke."""

    name: str
    points: Sequence[tuple[date, Decimal]]
    colour: str
    width: int = 2
    #: an SVG ``stroke-dasharray`` ("6 4"); empty for a solid line
    dash: str = ""
    opacity: str = "1"


@dataclass(frozen=True, slots=True)
class _Frame:
    """Where the plot sits in the picture, and the ranges it maps."""

    width: int
    height: int
    left: int = 84
    right: int = 20
    top: int = 44
    bottom: int = 56

    def x(self, day: date, first: date, last: date) -> Decimal:
        span = (last - first).days
        inner = Decimal(self.width - self.left - self.right)
        if span == 0:
            return Decimal(self.left) + inner / 2
        return Decimal(self.left) + inner * Decimal((day - first).days) / Decimal(span)

    def y(self, value: Decimal, low: Decimal, high: Decimal) -> Decimal:
        inner = Decimal(self.height - self.top - self.bottom)
        return Decimal(self.height - self.bottom) - (value - low) / (high - low) * inner


def _px(value: Decimal) -> str:
    return str(value.quantize(_TENTH))


def nice_ticks(low: Decimal, high: Decimal, wanted: int = 5) -> list[Decimal]:
    """Round tick values covering ``low``..``high`` (and zero): steps of 1, 2, 2.5 or 5
    times a power of ten, about ``wanted`` of them, never fewer than three.

    >>> [str(t) for t in nice_ticks(Decimal("0"), Decimal("21000"))]
    ['0', '5000', '10000', '15000', '20000', '25000']
    >>> [str(t) for t in nice_ticks(Decimal("-302.75"), Decimal("1900.50"))]
    ['-500', '0', '500', '1000', '1500', '2000']
    """
    low, high = min(low, Decimal(0)), max(high, Decimal(0))
    if high == low:
        high = low + 2
    raw = (high - low) / wanted
    magnitude = Decimal(1).scaleb(raw.adjusted())
    step = next(s * magnitude for s in _STEPS if s * magnitude >= raw)
    first = (low / step).to_integral_value(ROUND_FLOOR) * step
    last = (high / step).to_integral_value(ROUND_CEILING) * step
    count = int((last - first) / step)
    return [_plain(first + step * n) for n in range(max(count, 2) + 1)]


def _plain(value: Decimal) -> Decimal:
    """Without an exponent or trailing zeros: ``5000``, ``2.5``, ``0``."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def month_ticks(first: date, last: date, most: int = 13) -> list[tuple[date, str]]:
    """Ticks on the first day of months (``YYYY-MM``) over a short span, of years
    (``YYYY``) over a long one: the year is always on the axis.

    >>> month_ticks(date(2022, 7, 31), date(2022, 10, 31))
    [(datetime.date(2022, 8, 1), '2022-08'), (datetime.date(2022, 9, 1), '2022-09'), \
(datetime.date(2022, 10, 1), '2022-10')]
    >>> month_ticks(date(2018, 3, 1), date(2022, 1, 31))
    [(datetime.date(2019, 1, 1), '2019'), (datetime.date(2020, 1, 1), '2020'), \
(datetime.date(2021, 1, 1), '2021'), (datetime.date(2022, 1, 1), '2022')]
    """
    start, end = Period.of(first), Period.of(last)
    months = start.months_until(end) + 1
    if months <= 24:
        every = -(-months // most)  # ceiling: at most ``most`` ticks
        periods = [start + n for n in range(0, months + 1, every)]
        return [(p.first_day, str(p)) for p in periods if first <= p.first_day <= last]
    years = list(range(first.year, last.year + 2))
    every = -(-len(years) // most)
    return [(date(y, 1, 1), str(y)) for y in years[::every] if first <= date(y, 1, 1) <= last]


def line_chart(
    series: Sequence[Series],
    *,
    label: str,
    x_title: str,
    y_title: str,
    width: int = 760,
    height: int = 320,
) -> str:
    """An ``<svg>`` element: the series over time, with axes, titles and a legend."""
    frame = _Frame(width, height)
    days = [d for s in series for d, _ in s.points]
    if not days:
        return f'<p class="chart-empty">{escape(label)}: —</p>'
    first, last = min(days), max(days)
    ticks = nice_ticks(
        min(v for s in series for _, v in s.points), max(v for s in series for _, v in s.points)
    )
    low, high = ticks[0], ticks[-1]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}" font-family="{FONT}" font-size="12">',
        f"<title>{escape(label)}</title>",
    ]
    parts += _y_axis(frame, ticks, low, high, y_title)
    parts += _x_axis(frame, first, last, x_title)
    for s in series:
        points = " ".join(
            f"{_px(frame.x(d, first, last))},{_px(frame.y(v, low, high))}" for d, v in s.points
        )
        parts.append(
            f'<polyline class="series" fill="none" stroke="{s.colour}" '
            f'stroke-width="{s.width}" stroke-opacity="{s.opacity}"{_dash(s)} '
            f'stroke-linejoin="round" points="{points}"><title>{escape(s.name)}</title>'
            "</polyline>"
        )
    parts += _legend(frame, series)
    parts.append("</svg>")
    return "".join(parts)


def _dash(s: Series) -> str:
    return f' stroke-dasharray="{s.dash}"' if s.dash else ""


def _y_axis(
    frame: _Frame, ticks: list[Decimal], low: Decimal, high: Decimal, title: str
) -> list[str]:
    left, right = frame.left, frame.width - frame.right
    parts = []
    for t in ticks:
        y = _px(frame.y(t, low, high))
        colour = "#888" if t == 0 else "#e3e3e3"
        parts.append(f'<line x1="{left}" y1="{y}" x2="{right}" y2="{y}" stroke="{colour}"/>')
        parts.append(
            f'<text x="{left - 6}" y="{y}" text-anchor="end" dominant-baseline="middle">'
            f"{_amount(t)}</text>"
        )
    middle = (frame.top + frame.height - frame.bottom) // 2
    parts.append(
        f'<text class="axis-title" x="16" y="{middle}" text-anchor="middle" '
        f'transform="rotate(-90 16 {middle})">{escape(title)}</text>'
    )
    return parts


def _x_axis(frame: _Frame, first: date, last: date, title: str) -> list[str]:
    base = frame.height - frame.bottom
    parts = [
        f'<line x1="{frame.left}" y1="{base}" x2="{frame.width - frame.right}" y2="{base}" '
        'stroke="#555"/>'
    ]
    for day, text in month_ticks(first, last):
        x = _px(frame.x(day, first, last))
        parts.append(f'<line x1="{x}" y1="{base}" x2="{x}" y2="{base + 5}" stroke="#555"/>')
        parts.append(f'<text x="{x}" y="{base + 18}" text-anchor="middle">{text}</text>')
    centre = (frame.left + frame.width - frame.right) // 2
    parts.append(
        f'<text class="axis-title" x="{centre}" y="{frame.height - 8}" '
        f'text-anchor="middle">{escape(title)}</text>'
    )
    return parts


def _legend(frame: _Frame, series: Sequence[Series]) -> list[str]:
    parts = []
    x = frame.left
    for s in series:
        parts.append(
            f'<line class="legend-sample" x1="{x}" y1="16" x2="{x + 28}" y2="16" '
            f'stroke="{s.colour}" stroke-width="{s.width}" stroke-opacity="{s.opacity}"'
            f"{_dash(s)}/>"
        )
        parts.append(
            f'<text class="legend" x="{x + 34}" y="16" dominant-baseline="middle">'
            f"{escape(s.name)}</text>"
        )
        # Wide enough for the name: a CJK character is about one em, a Latin one half.
        x += 34 + sum(12 if ord(c) > 0x2E80 else 7 for c in s.name) + 22
    return parts


def _amount(value: Decimal) -> str:
    """``25000`` -> ``25,000``; a fraction keeps its decimals (``2.5``)."""
    if value == value.to_integral_value():
        return f"{value:,.0f}"
    return f"{value:,f}"
