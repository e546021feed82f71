"""Small clean-ups that keep tables and caches from growing without bound."""

from __future__ import annotations

from guestlist.core import ratelimit


def run() -> str:
    pruned = ratelimit.prune()
    return f"pruned {pruned} rate-limit counters"
