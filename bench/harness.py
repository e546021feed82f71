"""Shared pieces of the benchmarks: a scratch install, the simulator, a running `guestlist serve`.

Benchmarks are scripts, not tests: run them with `.venv/bin/python -m bench.<name>` and copy
the numbers into bench/RESULTS.md.
"""

from __future__ import annotations

import contextlib
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from guestlist.plexsim import PlexSimulator
from guestlist.plexsim.demo import DEMO_OWNER_PLEX_AUTH

ROOT = Path(__file__).resolve().parents[1]
GUESTLIST = [sys.executable, "-m", "guestlist"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def median_and_p95(times: list[float]) -> tuple[float, float]:
    """The p50 and p95 of a run's timings (the p95 as the nearest rank, as every script reports it)."""
    ordered = sorted(times)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]


def machine_summary() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        model = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
        cpu = model.group(1).strip() if model else cpu
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB, Python {platform.python_version()}"


@dataclass
class Install:
    data_dir: Path
    env: dict[str, str]
    sim: PlexSimulator
    base_url: str = ""
    api_key: str = ""
    server: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str, stdin: str | None = None) -> str:
        result = subprocess.run(
            [*GUESTLIST, *args], env=self.env, input=stdin, capture_output=True, text=True, check=False, cwd=ROOT
        )
        if result.returncode != 0:
            raise RuntimeError(f"guestlist {' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"X-Api-Key": self.api_key, **kwargs.pop("headers", {})}
        return requests.request(method, f"{self.base_url}{path}", headers=headers, timeout=60, **kwargs)

    def start_server(self, *extra: str) -> None:
        port = free_port()
        self.base_url = f"http://127.0.0.1:{port}"
        self.env["GUESTLIST_BASE_URL"] = self.base_url
        self.server = subprocess.Popen(
            [*GUESTLIST, "serve", "--port", str(port), *extra],
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.base_url}/healthz", timeout=1).ok:
                    return
            time.sleep(0.1)
        raise RuntimeError("guestlist serve did not come up within 30 s")

    def stop_server(self) -> None:
        if self.server is not None and self.server.poll() is None:
            os.killpg(self.server.pid, signal.SIGTERM)
            self.server.wait(20)
        self.server = None


@contextlib.contextmanager
def install(database_url: str | None = None, *, rate_limits: bool = False) -> Iterator[Install]:
    """A fresh data dir, a seeded simulator and a connected server; `serve` not started yet."""
    data_dir = Path(tempfile.mkdtemp(prefix="guestlist-bench-"))
    sim = PlexSimulator().start()
    sim.seed_demo()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUESTLIST_") and k != "DATABASE_URL"}
    env.update(
        GUESTLIST_DATA_DIR=str(data_dir),
        GUESTLIST_PLEX_TV_URL=sim.plex_tv_url,
        GUESTLIST_RATE_LIMITS="on" if rate_limits else "off",
        GUESTLIST_LOG_LEVEL="WARNING",
        PLEXAPI_CONFIG_PATH=os.devnull,
        NO_PROXY="127.0.0.1,localhost",
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    target = Install(data_dir, env, sim)
    try:
        target.cli("server", "add", "--url", sim.pms_url, "--token", DEMO_OWNER_PLEX_AUTH)
        # An API key belongs to an admin (issue 12), so the install gets its owner first.
        target.cli("createadmin", "--username", "bench-owner", "--password-stdin", stdin="Quiet-harbour-7-lanterns\n")
        target.api_key = target.cli("apikey", "create", "--name", "bench").strip().splitlines()[-1]
        yield target
    finally:
        target.stop_server()
        sim.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


@contextlib.contextmanager
def postgres() -> Iterator[str]:
    """A throwaway PostgreSQL cluster on 127.0.0.1, as the test command starts one."""
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    if not bins:
        raise RuntimeError("PostgreSQL server binaries are missing (apt-get install postgresql)")
    pg = bins[-1]
    root = Path(tempfile.mkdtemp(prefix="guestlist-bench-pg-"))
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    port = free_port()
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c max_connections=300"
    subprocess.run([*as_postgres, pg / "initdb", "-D", root / "data", "-A", "trust", "-U", "guestlist"], check=True,
                   capture_output=True)  # fmt: skip
    subprocess.run([*as_postgres, pg / "pg_ctl", "-D", root / "data", "-l", root / "log", "-w", "-o", options, "start"],
                   check=True, capture_output=True)  # fmt: skip
    try:
        createdb: list[str | Path] = [
            pg / "createdb",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-U",
            "guestlist",
            "guestlist",
        ]
        subprocess.run([*as_postgres, *createdb], check=True)
        yield f"postgres://guestlist@127.0.0.1:{port}/guestlist"
    finally:
        subprocess.run([*as_postgres, pg / "pg_ctl", "-D", root / "data", "-m", "immediate", "stop"],
                       capture_output=True, check=False)  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


def wrk(url: str, *, connections: int = 32, seconds: int = 15, script: str | None = None) -> dict[str, float]:
    """Runs wrk and returns requests/s and latency percentiles in milliseconds."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is missing (apt-get install wrk)")
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        args += ["-s", script]
    output = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))}  # type: ignore[union-attr]
    for label in ("50", "75", "90", "99"):
        match = re.search(rf"\s{label}%\s+([\d.]+)(us|ms|s)", output)
        if match:
            value, unit = float(match.group(1)), match.group(2)
            result[f"p{label}"] = value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result["non_2xx"] = float(errors.group(1)) if errors else 0.0
    result["requests"] = float(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    return result
