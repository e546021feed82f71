"""A per-subject rate limit kept in this process's memory, for paths that must not write.

``core.ratelimit`` keeps its counts in the database so they hold across processes, at the
price of a write per request. The public invite page must stay write-free and fast (link
previews, crowds), so what it limits is counted here instead: per process, which with the
one web process of ``guestlist serve`` is per install (several instances behind one
PostgreSQL each count their own).

The window slides the same way as ``core.ratelimit``: the previous window's count,
weighted by how much of it still lies inside the last ``seconds``.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field


@dataclass
class _Counts:
    window_start: int
    count: int = 0
    previous: int = 0


@dataclass
class MemoryLimit:
    """At most ``count`` events per subject in any ``seconds``; ``max_subjects`` bounds memory."""

    name: str
    count: int
    seconds: int
    max_subjects: int = 20000
    _subjects: dict[str, _Counts] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _current(self, subject: str, moment: float) -> _Counts | None:
        window_start = int(moment // self.seconds) * self.seconds
        counts = self._subjects.get(subject)
        if counts is None:
            return None
        if counts.window_start != window_start:
            # Roll forward: the last window becomes "previous" only if it is the one just before.
            previous = counts.count if counts.window_start == window_start - self.seconds else 0
            counts = _Counts(window_start, 0, previous)
            self._subjects[subject] = counts
        return counts

    def retry_after(self, subject: str, *, now: float | None = None) -> int:
        """0 while ``subject`` may go on; otherwise the seconds until it may (counts nothing)."""
        moment = time.time() if now is None else now
        with self._lock:
            counts = self._current(subject, moment)
            if counts is None:
                return 0
            elapsed = (moment - counts.window_start) / self.seconds
            if counts.count + counts.previous * (1 - elapsed) < self.count:
                return 0
            window_end = counts.window_start + self.seconds
            if counts.count >= self.count:
                # Only the next window helps, once this one's weight has faded below the limit.
                wait_until = window_end + self.seconds * max(0.0, 1 - self.count / (counts.count + 1))
            else:
                wait_until = counts.window_start + self.seconds * (1 - (self.count - counts.count) / counts.previous)
            return max(1, math.ceil(wait_until - moment))

    def add(self, subject: str, *, now: float | None = None) -> None:
        moment = time.time() if now is None else now
        with self._lock:
            counts = self._current(subject, moment)
            if counts is None:
                if len(self._subjects) >= self.max_subjects:
                    self._forget_old(moment)
                counts = _Counts(int(moment // self.seconds) * self.seconds)
                self._subjects[subject] = counts
            counts.count += 1

    def _forget_old(self, moment: float) -> None:
        oldest_useful = int(moment // self.seconds) * self.seconds - self.seconds
        for subject in [s for s, c in self._subjects.items() if c.window_start < oldest_useful]:
            del self._subjects[subject]
        if len(self._subjects) >= self.max_subjects:
            # A flood of distinct addresses: forgetting them all costs a few extra guesses,
            # growing without bound would cost the process.
            self._subjects.clear()

    def clear(self) -> None:
        with self._lock:
            self._subjects.clear()
