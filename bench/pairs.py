"""Guestlist next to the bare Django reference (bench/reference), measured in the same run.

Absolute requests/s follow the machine: the same page made 1,448/s on one 2-core host and
581/s on another. Measured against a plain Django view of the same size on the same server
settings, in alternating rounds, the share Guestlist reaches of what the framework does
survives a different CPU and most of the noise of a shared machine.

CPU per request is read from the serving process itself (/proc/PID/stat, user + system)
over each round, divided by the requests wrk completed, for both servers alike.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bench.harness import ROOT, free_port, wrk


def load_average() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and all its threads so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Reference:
    base_url: str
    pid: int


@contextlib.contextmanager
def reference_server(threads: int = 4, items: int = 1000) -> Iterator[Reference]:
    """The reference project under granian with `threads` threads, on a fresh SQLite file."""
    folder = Path(tempfile.mkdtemp(prefix="guestlist-bench-ref-"))
    port = free_port()
    command = [sys.executable, "-m", "bench.reference.serve", "--port", str(port), "--threads", str(threads)]
    process = subprocess.Popen(
        [*command, "--db", str(folder / "reference.sqlite3"), "--items", str(items)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{base_url}/list", timeout=1).ok:
                    break
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the reference server did not come up within 30 s")
            time.sleep(0.1)
        yield Reference(base_url, process.pid)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, 15)
            process.wait(20)
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Side:
    """One server's rounds for one page."""

    rounds: list[dict[str, float]] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # µs per request, per round

    @property
    def best(self) -> dict[str, float]:
        return max(self.rounds, key=lambda result: result["rps"])

    @property
    def cpu_per_request(self) -> float:
        return min(self.cpu)


@dataclass
class Pair:
    name: str
    target: float  # Guestlist's requests/s as a share of the reference's
    ours: Side = field(default_factory=Side)
    theirs: Side = field(default_factory=Side)
    size: tuple[int, int] = (0, 0)
    load: tuple[str, str] = ("", "")

    @property
    def ratio(self) -> float:
        return self.ours.best["rps"] / self.theirs.best["rps"]

    @property
    def cpu_ratio(self) -> float:
        """The reference's CPU per request as a share of ours (higher is better, like `ratio`)."""
        return self.theirs.cpu_per_request / self.ours.cpu_per_request

    @property
    def met(self) -> bool:
        return self.ratio >= self.target


def _round(url: str, pid: int, seconds: int, script: str | None) -> tuple[dict[str, float], float]:
    before = cpu_seconds(pid)
    result = wrk(url, seconds=seconds, script=script)
    used = cpu_seconds(pid) - before
    return result, used / max(result["requests"], 1) * 1e6


def measure(
    pair: Pair,
    ours: tuple[str, int],
    theirs: tuple[str, int],
    *,
    rounds: int = 3,
    seconds: int = 15,
    scripts: tuple[str | None, str | None] = (None, None),
) -> Pair:
    """Alternating rounds, Guestlist first, after a 3 s warm-up of each."""
    pair.load = (load_average(), "")
    for (url, _pid), script in zip((ours, theirs), scripts, strict=True):
        wrk(url, seconds=3, script=script)
    for _ in range(rounds):
        for (url, pid), script, side in zip((ours, theirs), scripts, (pair.ours, pair.theirs), strict=True):
            result, micros = _round(url, pid, seconds, script)
            side.rounds.append(result)
            side.cpu.append(micros)
    pair.load = (pair.load[0], load_average())
    return pair


def body_size(url: str, **kwargs: object) -> int:
    method = "POST" if "data" in kwargs else "GET"
    return len(requests.request(method, url, timeout=10, **kwargs).content)  # type: ignore[arg-type]


def table(pairs: list[Pair]) -> str:
    lines = [
        "| page | share of reference (req/s) | target | CPU share | Guestlist req/s (rounds) | reference req/s "
        "(rounds) | CPU/request Guestlist / reference | p99 | bytes Guestlist / reference | load before → after |",
        "|---|---:|---:|---:|---|---|---|---:|---|---|",
    ]
    for pair in pairs:
        every = " / ".join(f"{r['rps']:.0f}" for r in pair.ours.rounds)
        theirs = " / ".join(f"{r['rps']:.0f}" for r in pair.theirs.rounds)
        lines.append(
            f"| {pair.name} | **{pair.ratio:.0%}** {'✓' if pair.met else '✗'} | ≥ {pair.target:.0%} "
            f"| {pair.cpu_ratio:.0%} | {pair.ours.best['rps']:.0f} ({every}) "
            f"| {pair.theirs.best['rps']:.0f} ({theirs}) "
            f"| {pair.ours.cpu_per_request:.0f} / {pair.theirs.cpu_per_request:.0f} µs "
            f"| {pair.ours.best['p99']:.1f} ms | {pair.size[0]:,} / {pair.size[1]:,} "
            f"| {pair.load[0]} → {pair.load[1]} |"
        )
    return "\n".join(lines)
