"""`guestlist serve` at rest: time until it answers, and total RSS of the web process plus the
job runner (target: answers within 3 s, under 120 MB RSS in total).

Run: `.venv/bin/python -m bench.serve_idle`. Measures a fresh install (no Plex server yet)
and a connected one (the runner has then done its Plex work: sync, expiry checks).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import requests

from bench.harness import ROOT, free_port, install, machine_summary


def rss_tree(pid: int) -> tuple[float, float, int]:
    """RSS and PSS in MB of a process and its children, and how many processes that is."""
    root = psutil.Process(pid)
    processes = [root, *root.children(recursive=True)]
    rss = sum(p.memory_info().rss for p in processes) / 2**20
    pss = 0.0
    for process in processes:
        with contextlib.suppress(psutil.Error, AttributeError):
            pss += process.memory_full_info().pss / 2**20
    return rss, pss, len(processes)


def start_and_measure(env: dict[str, str], settle_seconds: float) -> dict[str, float]:
    port = free_port()
    started = time.monotonic()
    server = subprocess.Popen(
        [sys.executable, "-m", "guestlist", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        first_answer = None
        while time.monotonic() - started < 30:
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                    first_answer = time.monotonic() - started
                    break
            time.sleep(0.05)
        for path in ("/login", "/api/invites/validate"):  # touch the page and API code once
            with contextlib.suppress(requests.RequestException):
                requests.request("POST" if "api" in path else "GET", f"http://127.0.0.1:{port}{path}",
                                 json={"code": "ABCDEFGH"}, timeout=5)  # fmt: skip
        time.sleep(settle_seconds)
        rss, pss, count = rss_tree(server.pid)
    finally:
        os.killpg(server.pid, 15)
        server.wait(20)
    return {"first_answer_s": first_answer or -1.0, "rss_mb": rss, "pss_mb": pss, "processes": count}


def main() -> None:
    fresh_dir = Path(tempfile.mkdtemp(prefix="guestlist-idle-"))
    fresh_env = {k: v for k, v in os.environ.items() if not k.startswith("GUESTLIST_")}
    fresh_env.update(GUESTLIST_DATA_DIR=str(fresh_dir), GUESTLIST_LOG_LEVEL="WARNING")
    try:
        subprocess.run([sys.executable, "-m", "guestlist", "createadmin", "--username", "owner", "--password-stdin"],
                       input="a long benchmark password", text=True, env=fresh_env, cwd=ROOT, check=True,
                       capture_output=True)  # fmt: skip
        fresh = start_and_measure(fresh_env, settle_seconds=20)
    finally:
        shutil.rmtree(fresh_dir, ignore_errors=True)
    with install() as target:
        # Past the first sync (a minute in), once its worker has finished and gone.
        connected = start_and_measure(target.env, settle_seconds=100)
    print(f"machine: {machine_summary()}")
    for label, result in (("fresh install", fresh), ("connected server", connected)):
        print(
            f"{label}: answers after {result['first_answer_s']:.2f} s; {result['processes']:.0f} processes; "
            f"RSS {result['rss_mb']:.1f} MB in total (PSS {result['pss_mb']:.1f} MB)"
        )


if __name__ == "__main__":
    main()
