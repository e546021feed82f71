"""Real processes: ``guestlist serve`` killed with SIGKILL in the middle of redemptions and
restarted; SIGTERM stopping everything within 10 s; two job runners on one database, of
which exactly one acts."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from guestlist.plexsim import PlexSimulator
from tests.conftest import MACHINE_ID
from tests.lifecycle.installs import (
    Install,
    children_of,
    pid_alive,
    scratch_database_url,
    wait_for,
    with_group,
)

pytestmark = [pytest.mark.slow]


@pytest.fixture
def install(sim: PlexSimulator, tmp_path: Path) -> Iterator[Install]:
    made = Install(tmp_path / "data", sim, scratch_database_url())
    made.data_dir.mkdir()
    yield made.set_up()
    made.stop_all()


def runner_of(serve: Any) -> int:
    wait_for(lambda: bool(children_of(serve.pid)), 20, "serve to start its job runner")
    return children_of(serve.pid)[0]


def create_invite(install: Install, **fields: Any) -> str:
    status, body = install.post("/api/invites/", fields)
    assert status == 201, body
    return str(body["code"])


def assert_nothing_lost_or_doubled(install: Install, sim: PlexSimulator, answered: dict[str, int]) -> None:
    for code, used, live in install.query(
        "SELECT i.code, i.used_count, (SELECT COUNT(*) FROM invites_redemption r "
        "WHERE r.invite_id = i.id AND r.state IN ('pending', 'done')) FROM invites_invite i"
    ):
        assert used == live, f"{code}: used_count {used}, {live} redemptions pending or done"
    members = {email.lower(): status for email, status in install.query("SELECT email, status FROM members_member")}
    shares = [share for share in sim.shares_of(MACHINE_ID)]
    shared_to = [(share.invited_email or "").lower() for share in shares]
    assert len(shared_to) == len(set(shared_to)), "a share was made twice"
    assert set(shared_to) == {email for email, status in members.items() if status in ("pending", "active")}
    for email, status in answered.items():
        if status in (201, 202):
            assert members.get(email) in ("pending", "active"), f"{email} was told {status} but was lost"
    invitations = [mail["to"] for mail in sim.emails()]
    assert len(invitations) == len(set(invitations)), "someone got Plex's invitation twice"


def test_serve_killed_mid_redemptions_and_restarted_loses_and_doubles_nothing(
    install: Install, sim: PlexSimulator
) -> None:
    serve = install.start()
    install.wait_until_serving()
    runner = runner_of(serve)
    codes = [create_invite(install, usage_limit=15), create_invite(install, usage_limit=15), create_invite(install)]
    # Plex is slow to create shares, so the kill lands while several are under way.
    sim.inject_fault("POST", "/api/servers/*/shared_servers", latency_ms=300, times=None)
    people = [f"person{number}@example.org" for number in range(40)]
    answered: dict[str, int] = {}
    with ThreadPoolExecutor(max_workers=12) as pool:
        futures: dict[str, Future[tuple[int, Any]]] = {
            person: pool.submit(install.post, "/api/invites/redeem", {"code": codes[number % 3], "email": person})
            for number, person in enumerate(people)
        }
        # Killed while shares are being made: uses taken, Plex work owed.
        owed_now = "SELECT COUNT(*) FROM invites_redemption WHERE state = 'pending'"
        wait_for(lambda: install.scalar(owed_now) >= 2, 30, "redemptions under way", every=0.02)
        os.kill(serve.pid, signal.SIGKILL)
        serve.wait(10)
        for person, future in futures.items():
            answered[person] = future.result()[0]

    # The runner notices that its serve process is gone and stops by itself.
    wait_for(lambda: not pid_alive(runner), 10, "the orphaned job runner to stop")
    assert install.scalar(owed_now) > 0, "the kill was meant to interrupt redemptions"
    assert 0 in answered.values(), "some requests were meant to be cut off"

    sim.clear_faults()
    restarted = install.start()
    install.wait_until_serving()
    wait_for(
        lambda: install.scalar("SELECT COUNT(*) FROM plex_plexoperation WHERE state = 'queued'") == 0,
        40,
        "the restarted runner to finish the owed Plex work",
        every=0.5,
    )
    assert install.scalar("SELECT COUNT(*) FROM invites_redemption WHERE state = 'pending'") == 0
    assert_nothing_lost_or_doubled(install, sim, answered)

    started = time.monotonic()
    restarted_runner = runner_of(restarted)
    restarted.send_signal(signal.SIGTERM)
    restarted.wait(10)
    wait_for(lambda: not pid_alive(restarted_runner), 10 - (time.monotonic() - started), "the runner to stop")
    assert install.scalar("SELECT holder FROM jobs_joblease") == "", "a stopped runner lets go of the lease"


def test_sigterm_stops_serve_and_a_busy_runner_within_ten_seconds(install: Install, sim: PlexSimulator) -> None:
    serve = install.start()
    install.wait_until_serving()
    runner = runner_of(serve)
    code = create_invite(install)
    # Plex hangs longer than Guestlist waits (GUESTLIST_PLEX_TIMEOUT=2): the share is owed.
    sim.inject_fault("POST", "/api/servers/*/shared_servers", latency_ms=4000, times=None)
    status, _ = install.post("/api/invites/redeem", {"code": code, "email": "slow@example.org"})
    assert status == 202
    install.execute("UPDATE plex_plexoperation SET next_attempt_at = '2000-01-01 00:00:00'")
    # The runner hands due work to a worker process of its own.
    held_by_a_worker = "SELECT COUNT(*) FROM plex_plexoperation WHERE locked_by <> '' AND locked_until IS NOT NULL"
    wait_for(
        lambda: install.scalar(held_by_a_worker) > 0 and bool(children_of(runner)),
        30,
        "the runner's worker to take the owed share into its hands",
    )
    worker = children_of(runner)[0]
    started = time.monotonic()
    serve.send_signal(signal.SIGTERM)
    serve.wait(10)
    wait_for(lambda: not pid_alive(runner), 10 - (time.monotonic() - started), "the runner to stop")
    wait_for(lambda: not pid_alive(worker), 10 - (time.monotonic() - started), "its worker to stop")
    assert time.monotonic() - started < 10
    assert install.scalar("SELECT state FROM plex_plexoperation") == "queued", "unfinished work stays queued"


def holder_pid(install: Install) -> int | None:
    rows = install.query("SELECT holder FROM jobs_joblease")
    if not rows or not rows[0][0]:
        return None
    return int(str(rows[0][0]).split(":")[2])


def test_of_two_runners_on_one_database_exactly_one_acts_and_the_other_takes_over(install: Install) -> None:
    first, second = install.start_runner("a.log"), install.start_runner("b.log")
    logs = {first.pid: "a.log", second.pid: "b.log"}
    wait_for(
        lambda: all("Holding" in install.log(name) or "standing by" in install.log(name) for name in logs.values()),
        30,
        "both runners to start",
    )
    holding = [pid for pid, name in logs.items() if "Holding the job lease" in install.log(name)]
    waiting = [pid for pid, name in logs.items() if "standing by" in install.log(name)]
    assert len(holding) == 1 and len(waiting) == 1, {name: install.log(name) for name in logs.values()}
    active, standby = holding[0], waiting[0]
    assert holder_pid(install) == active
    # Housekeeping falls due 30 s in, in both runners; only the lease holder may run it.
    wait_for(lambda: install.scalar("SELECT COUNT(*) FROM jobs_jobstatus") > 0, 45, "a job to run")
    time.sleep(1.0)
    holders = {int(str(row[0]).split(":")[2]) for row in install.query("SELECT last_holder FROM jobs_jobstatus")}
    assert holders == {active}

    process = next(p for p in (first, second) if p.pid == active)
    with_group(process, signal.SIGKILL)
    process.wait(10)
    wait_for(lambda: holder_pid(install) == standby, 15, "the standby runner to take over")
    wait_for(lambda: "Holding the job lease" in install.log(logs[standby]), 10, "the new holder to say so")

    survivor = next(p for p in (first, second) if p.pid == standby)
    started = time.monotonic()
    survivor.send_signal(signal.SIGTERM)
    survivor.wait(10)
    assert time.monotonic() - started < 10
    assert holder_pid(install) is None
