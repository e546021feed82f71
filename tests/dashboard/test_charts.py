"""The redemptions chart's layout."""

from __future__ import annotations

from datetime import date, timedelta

from guestlist.dashboard.charts import HEIGHT, WIDTH, bar_chart


def series(counts: list[int]) -> list[dict[str, object]]:
    first = date(2026, 1, 1)
    return [{"date": (first + timedelta(days=i)).isoformat(), "count": c} for i, c in enumerate(counts)]


def test_bars_grow_with_their_counts_and_stay_inside_the_drawing() -> None:
    chart = bar_chart(series([0, 1, 4, 2]))

    heights = [bar.height for bar in chart.bars]
    assert heights[0] == 0 and heights[1] < heights[3] < heights[2]
    for bar in chart.bars:
        assert bar.x >= 0 and bar.x + bar.width <= chart.right <= WIDTH
        assert 0 <= bar.y <= chart.baseline and bar.y + bar.height <= HEIGHT
    assert (chart.total, chart.peak) == (7, 4)


def test_the_scale_ends_on_a_round_number() -> None:
    assert [tick.value for tick in bar_chart(series([0, 3])).ticks] == [0, 2, 4]
    assert [tick.value for tick in bar_chart(series([7])).ticks] == [0, 5, 10]
    assert [tick.value for tick in bar_chart(series([23])).ticks] == [0, 20, 40]
    assert [tick.value for tick in bar_chart(series([150])).ticks] == [0, 100, 200]


def test_the_newest_day_is_always_labelled() -> None:
    chart = bar_chart(series([0] * 30), label_every=7)

    assert [label.day.isoformat() for label in chart.labels] == [
        "2026-01-02",
        "2026-01-09",
        "2026-01-16",
        "2026-01-23",
        "2026-01-30",
    ]


def test_an_empty_series_draws_nothing() -> None:
    chart = bar_chart([])

    assert chart.bars == [] and chart.total == 0
