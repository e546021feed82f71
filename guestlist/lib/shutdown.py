"""A process-wide "please stop" flag, set by the job runner on SIGTERM.

Long jobs check it between items (one Plex operation, one member), so a stop never waits
for a whole batch; whatever is left is still queued for the next runner.
"""

from __future__ import annotations

import threading

_requested = threading.Event()


def request() -> None:
    _requested.set()


def requested() -> bool:
    return _requested.is_set()


def reset() -> None:
    _requested.clear()
