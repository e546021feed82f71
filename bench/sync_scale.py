"""The 15-minute sync with 10,000 Plex users (target: one user-list call, ≤ 3 s of work,
a number of queries that grows with the batches, not the members).

Usage: .venv/bin/python -m bench.sync_scale [--postgres] [--users 10000]

A scratch install whose simulated plex.tv lists `--users` friends, each with an accepted
share of the server, and as many members known by e-mail only. Two syncs in a worker
process, as the job runner runs them: the first learns every member's Plex account (a
write per member), the second finds nothing to change (the steady state every 15 minutes).
Prints a Markdown table for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
import time

from bench.exactly_n import maybe_postgres
from bench.harness import ROOT, install, machine_summary
from bench.pairs import load_average
from guestlist.plexsim import PlexSimulator
from guestlist.plexsim.demo import DEMO_MACHINE_IDENTIFIER
from guestlist.plexsim.state import Friendship, Share, new_token

WORKER = """
import json, sys, time
from guestlist.django_setup import setup_django
setup_django()
from django.db import connection
from django.test.utils import CaptureQueriesContext
from guestlist.core.audit import Actor
from guestlist.members import sync
from guestlist.members.models import Member
from guestlist.plex.models import MediaServer

count = int(sys.argv[1])
server = MediaServer.objects.get()
Member.objects.bulk_create(
    (Member(server=server, person_key=f"email:scale{n}@example.org", email=f"scale{n}@example.org", status="active")
     for n in range(count)),
    batch_size=1000,
)
plex_seconds = []
read = sync.read_users
def timed_read(*args, **kwargs):
    started = time.perf_counter()
    try:
        return read(*args, **kwargs)
    finally:
        plex_seconds.append(time.perf_counter() - started)
sync.read_users = timed_read
runs = []
for _ in range(2):
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        outcome = sync.sync_now(actor=Actor.job("sync"))
        seconds = time.perf_counter() - started
    runs.append({"seconds": seconds, "plex_seconds": plex_seconds[-1], "queries": len(queries.captured_queries),
                 "updated": outcome.updated, "removed": outcome.removed})
linked = Member.objects.filter(plex_id__isnull=False).count()
print(json.dumps({"runs": runs, "linked": linked}))
"""


def add_friends(sim: PlexSimulator, count: int) -> None:
    """`count` Plex accounts with an accepted share of the demo server, straight into the state."""
    with sim.sim.lock:
        state = sim.sim.state
        server = state.server(DEMO_MACHINE_IDENTIFIER)
        assert server is not None
        now = time.time()
        for number in range(count):
            account = state.new_account(f"scale{number}", f"scale{number}@example.org")
            share = Share(
                id=state.take_id("share"),
                machine_identifier=server.machine_identifier,
                owner_id=server.owner_id,
                invited_id=account.id,
                invited_email=None,
                library_ids=[],
                all_libraries=True,
                accepted=True,
                accepted_at=now,
                access_token=new_token(),
            )
            state.shares.append(share)
            state.friendships.append(Friendship(owner_id=server.owner_id, friend_id=account.id))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--users", type=int, default=10_000)
    args = parser.parse_args()
    with maybe_postgres(args.postgres) as database_url, install(database_url) as target:
        add_friends(target.sim, args.users)
        target.sim.clear_request_log()
        load_before = load_average()
        worker = subprocess.run(
            [sys.executable, "-c", WORKER, str(args.users)],
            env=target.env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        load_after = load_average()
        calls = [f"{e['method']} {e['host']}{e['path']}" for e in target.sim.request_log()]
    result = json.loads(worker.stdout.strip().splitlines()[-1])
    database = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"{datetime.datetime.now():%Y-%m-%d %H:%M}; {machine_summary()}; {database}; {args.users} Plex users, "
        f"as many members; load average {load_before} before, {load_after} after\n"
    )
    print("| sync | wall time | of which plex.tv answering | queries | members updated | calls to plex.tv |")
    print("|---|---:|---:|---:|---:|---|")
    for name, run in zip(("first (learns every account)", "second (nothing changed)"), result["runs"], strict=True):
        print(
            f"| {name} | {run['seconds']:.2f} s | {run['plex_seconds']:.2f} s | {run['queries']} | {run['updated']} "
            f"| {len(calls) // 2} |"
        )
    print(f"\nplex.tv calls over both syncs: {calls}; members linked to their Plex account: {result['linked']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
