"""Server-rendered SVG charts for the dashboard: no JavaScript, no chart library.

Every chart is an `<svg role="img">` with a `<title>` and `<desc>` (its text alternative,
which says what the numbers are); the dashboard template prints the same numbers in a
table beside it. All text is escaped. The caller gives the (Swedish) title and
description; this module only draws.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 720
BAR_HEIGHT = 22
_ids = itertools.count(1)


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    css_class: str = "series-1"


def _number(value: float, percent: bool) -> str:
    if percent:
        return f"{value * 100:.0f} %"
    return f"{value:,.0f}".replace(",", "\u00a0")


def _nice_max(value: float, percent: bool) -> float:
    if percent:
        return max(0.1, min(1.0, (int(value * 10) + 1) / 10))
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _frame(title: str, desc: str, height: int, body: list[str]) -> Markup:
    n = next(_ids)
    head = (
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" '
        f'aria-labelledby="chart-{n}-title chart-{n}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="chart-{n}-title">{escape(title)}</title>'
        f'<desc id="chart-{n}-desc">{escape(desc)}</desc>'
    )
    return Markup(head + "".join(body) + "</svg>")


def bar_chart(
    title: str, desc: str, items: Sequence[tuple[str, float]], percent: bool = False
) -> Markup:
    """Horizontal bars, one per (label, value), in the order given."""
    label_width = 230
    top = 6
    height = top + max(1, len(items)) * (BAR_HEIGHT + 6) + 6
    biggest = max((value for _, value in items), default=0) or 1
    room = WIDTH - label_width - 70
    body: list[str] = []
    for n, (label, value) in enumerate(items):
        y = top + n * (BAR_HEIGHT + 6)
        width = max(1.0, room * value / biggest) if value else 0.0
        shown = label if len(label) <= 32 else label[:31] + "…"
        body.append(
            f'<text class="label" x="{label_width - 8}" y="{y + BAR_HEIGHT * 0.7:.1f}" '
            f'text-anchor="end">{escape(shown)}</text>'
            f'<rect class="bar series-1" x="{label_width}" y="{y}" width="{width:.1f}" '
            f'height="{BAR_HEIGHT}"/>'
            f'<text class="value" x="{label_width + width + 6:.1f}" '
            f'y="{y + BAR_HEIGHT * 0.7:.1f}">{_number(value, percent)}</text>'
        )
    return _frame(title, desc, height, body)


def line_chart(
    title: str, desc: str, labels: Sequence[str], series: Sequence[Series], percent: bool = False
) -> Markup:
    """One line per series over the x labels (days); None values leave a gap."""
    left, right, top, bottom = 56, 16, 14, 34
    height = 240
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    values = [v for s in series for v in s.values if v is not None]
    top_value = _nice_max(max(values, default=0), percent)
    count = max(1, len(labels) - 1)

    def x(i: int) -> float:
        return left + plot_w * i / count

    def y(v: float) -> float:
        return top + plot_h * (1 - v / top_value)

    body: list[str] = []
    for step in range(5):  # grid and y axis labels
        tick = top_value * step / 4
        body.append(
            f'<line class="grid" x1="{left}" x2="{WIDTH - right}" '
            f'y1="{y(tick):.1f}" y2="{y(tick):.1f}"/>'
            f'<text class="axis" x="{left - 6}" y="{y(tick) + 4:.1f}" '
            f'text-anchor="end">{_number(tick, percent)}</text>'
        )
    every = max(1, len(labels) // 8)
    for i, label in enumerate(labels):
        if i % every == 0 or i == len(labels) - 1:
            body.append(
                f'<text class="axis" x="{x(i):.1f}" y="{height - 12}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    for s in series:
        points: list[list[str]] = [[]]
        for i, v in enumerate(s.values):
            if v is None:
                points.append([])
            else:
                points[-1].append(f"{x(i):.1f},{y(v):.1f}")
        for run in points:
            if len(run) > 1:
                body.append(f'<polyline class="line {s.css_class}" points="{" ".join(run)}"/>')
            elif run:
                cx, cy = run[0].split(",")
                body.append(f'<circle class="dot {s.css_class}" cx="{cx}" cy="{cy}" r="3"/>')
    return _frame(title, desc, height, body)
