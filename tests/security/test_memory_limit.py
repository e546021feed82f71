"""The in-memory limit behind the invite pages' miss counting."""

from __future__ import annotations

from guestlist.lib.memlimit import MemoryLimit

START = 1_800_000_000.0  # the start of a window of 60 s


def test_it_allows_the_count_then_names_the_wait() -> None:
    limit = MemoryLimit("test", 3, 60)
    for _ in range(3):
        assert limit.retry_after("a", now=START) == 0
        limit.add("a", now=START)
    assert limit.retry_after("a", now=START) > 0
    assert limit.retry_after("b", now=START) == 0


def test_the_previous_window_still_weighs_until_it_fades() -> None:
    limit = MemoryLimit("test", 3, 60)
    for _ in range(3):
        limit.add("a", now=START + 59)
    # 2 s later, the previous window still counts 3 × 58/60: room for one more only.
    assert limit.retry_after("a", now=START + 61) == 0
    limit.add("a", now=START + 61)
    # 1 + 3 × (1 - elapsed) drops below 3 a third into the window, at START + 80.
    assert limit.retry_after("a", now=START + 61) == 19
    assert limit.retry_after("a", now=START + 80.5) == 0


def test_it_forgets_subjects_rather_than_grow_without_bound() -> None:
    limit = MemoryLimit("test", 3, 60, max_subjects=10)
    for n in range(25):
        limit.add(f"address {n}", now=START)
    assert len(limit._subjects) <= 10
