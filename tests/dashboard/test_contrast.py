"""The stylesheet's colour pairs meet WCAG AA contrast (4.5:1 for text) in light and dark."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

STYLESHEET = Path(__file__).resolve().parents[2] / "guestlist/static/guestlist/guestlist.css"

# (text, background) pairs the dashboard puts on screen.
PAIRS = [
    ("text", "bg"),
    ("text", "surface"),
    ("text", "surface-2"),
    ("muted", "bg"),
    ("muted", "surface"),
    ("muted", "surface-2"),
    ("accent-contrast", "accent"),  # primary buttons
    ("accent-strong", "surface"),  # links
    ("accent-strong", "bg"),
    ("bad-contrast", "bad"),  # danger buttons
    ("ok", "ok-bg"),
    ("warn", "warn-bg"),
    ("bad", "bad-bg"),
    ("idle", "idle-bg"),
    ("info", "info-bg"),
]


def palette(scheme: str) -> dict[str, str]:
    css = STYLESHEET.read_text()
    light = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", css.split("@media (prefers-color-scheme: dark)")[0]))
    if scheme == "light":
        return light
    dark_block = css.split("@media (prefers-color-scheme: dark)")[1].split("}\n}")[0]
    return {**light, **dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", dark_block))}


def luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_colours_have_enough_contrast(scheme: str) -> None:
    colours = palette(scheme)

    weak = [
        f"{fg} on {bg}: {contrast(colours[fg], colours[bg]):.2f}"
        for fg, bg in PAIRS
        if contrast(colours[fg], colours[bg]) < 4.5
    ]

    assert weak == []


def test_dark_mode_really_changes_the_palette() -> None:
    assert palette("dark")["bg"] != palette("light")["bg"]
    assert luminance(palette("dark")["bg"]) < 0.05 < luminance(palette("light")["bg"])
