"""Two checkouts of Guestlist serving one seeded install, asked in turn: a change without the machine's swings.

This shared machine's speed moves by up to half within minutes, so two runs of a benchmark
an hour apart mostly compare the hours. Here this checkout and another (an older commit, say
`git worktree add /tmp/before HEAD~3`) serve the same database side by side, and each
request goes to one and then the other, alternating which goes first: whatever the machine
does, both feel it alike.

Run: `.venv/bin/python -m bench.compare_trees OTHER_CHECKOUT [--postgres] [--rounds N] [PATH ...]`.
The other checkout runs on this checkout's interpreter and packages (its own directory comes
first on the import path), so it must not need different dependencies; it reads the database
this checkout migrated and seeded, so its models must still fit that schema.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import requests

from bench.exactly_n import maybe_postgres
from bench.harness import ROOT, Install, free_port, install, machine_summary, median_and_p95
from bench.list_search_stats import INVITES, MEMBERS

PATHS = ["/api/invites/?search=book%20club", "/api/invites/", "/api/users/", "/api/invites/?search=member1234@"]


@contextlib.contextmanager
def serving(checkout: Path, target: Install) -> Iterator[str]:
    """`guestlist serve` from ``checkout`` on ``target``'s data: its base URL."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "guestlist", "serve", "--port", str(port)],
        env={**target.env, "GUESTLIST_BASE_URL": base_url},
        cwd=checkout,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not _answers(base_url):
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError(f"guestlist serve from {checkout} did not come up")
            time.sleep(0.1)
        yield base_url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(20)


def _answers(base_url: str) -> bool:
    with contextlib.suppress(requests.RequestException):
        return requests.get(f"{base_url}/healthz", timeout=1).ok
    return False


def alternate(api_key: str, bases: dict[str, str], path: str, rounds: int) -> dict[str, tuple[float, float]]:
    """p50 and p95 of ``path`` on each server, asked one after the other for ``rounds`` rounds."""
    session = requests.Session()
    session.headers["X-Api-Key"] = api_key
    spent: dict[str, list[float]] = {name: [] for name in bases}
    names = list(bases)
    for round_number in range(rounds + 5):
        for name in names if round_number % 2 else reversed(names):
            started = time.perf_counter()
            session.get(bases[name] + path, timeout=60).raise_for_status()
            if round_number >= 5:  # the first rounds warm both up
                spent[name].append((time.perf_counter() - started) * 1000)
    return {name: median_and_p95(times) for name, times in spent.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("other", type=Path, help="the other checkout (a git worktree of another commit)")
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("paths", nargs="*", default=PATHS)
    args = parser.parse_intermixed_args()
    other = args.other.resolve()
    with maybe_postgres(args.postgres) as database_url, install(database_url) as target:
        subprocess.run([sys.executable, "-m", "bench.seed", str(INVITES), str(MEMBERS)], env=target.env, cwd=ROOT,
                       check=True)  # fmt: skip
        with serving(other, target) as theirs, serving(ROOT, target) as ours:
            bases = {other.name: theirs, "this checkout": ours}
            print(f"machine: {machine_summary()}; {'PostgreSQL' if args.postgres else 'SQLite'}; "
                  f"{args.rounds} rounds, alternating")  # fmt: skip
            print(f"| request | {other.name} p50 / p95 | this checkout p50 / p95 |")
            print("|---|---:|---:|")
            for path in args.paths:
                found = alternate(target.api_key, bases, path, args.rounds)
                cells = [f"{found[name][0]:.1f} / {found[name][1]:.1f} ms" for name in bases]
                print(f"| `{path}` | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
