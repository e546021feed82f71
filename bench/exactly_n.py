"""Exactly N: 200 concurrent redeemers of a 5-use invite against a running `guestlist serve`.

Run: `.venv/bin/python -m bench.exactly_n` (SQLite) and `... --postgres` (a throwaway cluster).
"""

from __future__ import annotations

import argparse
import contextlib
import threading
import time
from collections import Counter
from collections.abc import Iterator

import requests

from bench.harness import Install, install, machine_summary, postgres
from guestlist.plexsim.demo import DEMO_MACHINE_IDENTIFIER

REDEEMERS = 200
USES = 5


def run(target: Install) -> dict[str, object]:
    target.start_server()
    invite = target.api("POST", "/api/invites/", json={"usage_limit": USES}).json()
    barrier = threading.Barrier(REDEEMERS)
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def redeem(number: int) -> None:
        session = requests.Session()
        barrier.wait()
        response = session.post(
            f"{target.base_url}/api/invites/redeem",
            json={"code": invite["code"], "email": f"friend{number}@example.org"},
            timeout=120,
        )
        with lock:
            statuses[response.status_code] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=redeem, args=(number,)) for number in range(REDEEMERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    after = target.api("GET", f"/api/invites/{invite['id']}").json()
    members = target.api("GET", f"/api/users/?invite_id={invite['id']}").json()
    shares = [s for s in target.sim.shares_of(DEMO_MACHINE_IDENTIFIER) if (s.invited_email or "").startswith("friend")]
    return {
        "statuses": dict(sorted(statuses.items())),
        "used_count": after["used_count"],
        "members": members["total"],
        "shares_on_plex": len(shares),
        "seconds": round(elapsed, 1),
    }


@contextlib.contextmanager
def maybe_postgres(use: bool) -> Iterator[str | None]:
    if not use:
        yield None
        return
    with postgres() as url:
        yield url


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    with maybe_postgres(args.postgres) as database_url, install(database_url) as target:
        outcome = run(target)
    database = "PostgreSQL" if args.postgres else "SQLite"
    exact = outcome["used_count"] == outcome["members"] == outcome["shares_on_plex"] == USES
    print(f"machine: {machine_summary()}")
    print(f"exactly-N on {database}: {REDEEMERS} redeemers of a {USES}-use invite -> {outcome}")
    print("PASS: exactly 5 members and 5 shares" if exact else "FAIL: not exactly 5")


if __name__ == "__main__":
    main()
