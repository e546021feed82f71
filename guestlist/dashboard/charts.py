"""A bar chart of a daily series, laid out here and drawn as inline SVG by the template.

Server-side SVG needs no script and no style attribute, so it passes the strict CSP and
works without JavaScript.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

# Small units: the drawing scales to its box, so labels stay readable on a phone.
WIDTH = 480
HEIGHT = 190
LEFT = 30  # room for the y-axis labels
RIGHT = 22  # room for the last date label
BOTTOM = 26  # room for the date labels
TOP = 10


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    day: date
    count: int


@dataclass(frozen=True)
class Tick:
    y: float
    value: int


@dataclass(frozen=True)
class Label:
    x: float
    day: date


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    ticks: list[Tick]
    labels: list[Label]
    total: int
    peak: int
    left: int = LEFT
    right: int = WIDTH - RIGHT
    baseline: float = HEIGHT - BOTTOM


def _nice_ceiling(value: int) -> int:
    """The smallest of 4, 10, 20, 40, 100, 200, 400… not below ``value``: even, so the middle
    grid line falls on a whole number."""
    step = 1
    while True:
        for factor in (1, 2, 4):
            if step * factor >= max(value, 4):
                return step * factor
        step *= 10


def bar_chart(series: list[dict[str, Any]], *, label_every: int = 7) -> BarChart:
    """``series`` is ``[{"date": "YYYY-MM-DD", "count": n}, …]``, oldest first."""
    days = [(date.fromisoformat(point["date"]), int(point["count"])) for point in series]
    peak = max((count for _day, count in days), default=0)
    top = _nice_ceiling(peak)
    plot_height = HEIGHT - BOTTOM - TOP
    slot = (WIDTH - LEFT - RIGHT) / max(len(days), 1)
    gap = min(2.0, slot * 0.2)
    bars = []
    for index, (day, count) in enumerate(days):
        height = plot_height * count / top
        bars.append(
            Bar(
                x=round(LEFT + index * slot + gap / 2, 2),
                y=round(HEIGHT - BOTTOM - height, 2),
                width=round(slot - gap, 2),
                height=round(height, 2),
                day=day,
                count=count,
            )
        )
    ticks = [Tick(y=round(HEIGHT - BOTTOM - plot_height * value / top, 2), value=value) for value in (0, top // 2, top)]
    # Label the most recent day and every ``label_every``-th before it.
    labels = [
        Label(x=round(LEFT + index * slot + slot / 2, 2), day=day)
        for index, (day, _count) in enumerate(days)
        if (len(days) - 1 - index) % label_every == 0
    ]
    return BarChart(
        width=WIDTH,
        height=HEIGHT,
        bars=bars,
        ticks=ticks,
        labels=labels,
        total=sum(count for _day, count in days),
        peak=peak,
    )
