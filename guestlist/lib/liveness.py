"""Naming a process, and telling for certain when that process is gone.

The job lease and the locks on queued Plex work name the process that holds them. When a
process is killed (SIGKILL, OOM, power cut), what it held would otherwise stay blocked
until it times out. A process on this same machine, in the same PID namespace, can see
that the holder no longer exists and take over at once.

"Certainly gone" is deliberately narrow: a name from another host, another container or
a system without /proc is never declared gone, so instances that share one PostgreSQL
database fall back to the timeouts. The process start time is part of the name, so a
recycled PID is not mistaken for the original process.
"""

from __future__ import annotations

import functools
import os
import socket
from pathlib import Path

PROC = Path("/proc")


def _start_ticks(pid: int) -> str | None:
    """When the process started (clock ticks since boot); None if it is not running."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may contain spaces.
    fields = stat.rpartition(")")[2].split()
    if len(fields) < 20 or fields[0] in ("Z", "X"):
        # A zombie has stopped for good; only its exit status waits to be collected.
        return None
    return fields[19]


def _host() -> str:
    # Short enough that a whole name fits the 100-character columns that store it.
    return socket.gethostname()[:40]


@functools.cache
def _namespace() -> str:
    try:
        return str(os.stat(PROC / "self" / "ns" / "pid").st_ino)
    except OSError:
        return "-"


def identity() -> str:
    """``host:namespace:pid:start`` of the calling process (stable for its lifetime)."""
    pid = os.getpid()
    return f"{_host()}:{_namespace()}:{pid}:{_start_ticks(pid) or '-'}"


def is_gone(name: str) -> bool:
    """True only when ``name`` is a process of this machine that certainly no longer runs."""
    parts = name.split(":")
    if len(parts) < 4:
        return False
    host, namespace, pid, start = parts[:4]
    if host != _host() or namespace == "-" or namespace != _namespace() or start == "-":
        return False
    try:
        number = int(pid)
    except ValueError:
        return False
    return _start_ticks(number) != start
