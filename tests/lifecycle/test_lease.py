"""The job lease and the process names behind it; the runner's job wrapper."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from guestlist.jobs import lease
from guestlist.jobs.models import JobLease, JobStatus
from guestlist.jobs.schedule import JOBS, Job
from guestlist.jobs.worker import run_job, wait_until_idle
from guestlist.lib import liveness, shutdown
from tests.lifecycle.conftest import later

HOUSEKEEPING = next(job for job in JOBS if job.name == "housekeeping")


def gone_holder() -> str:
    done = subprocess.run(
        [sys.executable, "-c", "from guestlist.lib import liveness; print(liveness.identity())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return f"{done.stdout.strip()}:deadbeef"


def test_a_process_name_says_where_it_runs_and_is_never_gone_while_it_runs() -> None:
    name = liveness.identity()
    host, _namespace, pid, start = name.split(":")
    assert int(pid) == os.getpid()
    assert host and start.isdigit()
    assert not liveness.is_gone(name)
    assert not liveness.is_gone(f"{name}:nonce")


def test_only_processes_of_this_machine_can_be_declared_gone() -> None:
    assert liveness.is_gone(gone_holder())
    host, namespace, pid, start = liveness.identity().split(":")
    assert not liveness.is_gone(f"another-host:{namespace}:{pid}:{start}")
    assert not liveness.is_gone(f"{host}:1:{pid}:{start}"), "another container's PIDs mean nothing here"
    assert liveness.is_gone(f"{host}:{namespace}:{pid}:{int(start) + 1}"), "a recycled PID is not the same process"
    assert not liveness.is_gone("garbage")
    assert not liveness.is_gone("")


@pytest.mark.django_db
def test_one_holder_at_a_time_until_the_lease_lapses() -> None:
    assert lease.acquire("a")
    assert not lease.acquire("b")
    assert lease.acquire("a"), "the holder renews"
    with later(timezone.now() + timedelta(seconds=lease.LEASE_SECONDS - 5)):
        assert not lease.acquire("b")
    with later(timezone.now() + timedelta(seconds=lease.LEASE_SECONDS + 1)):
        assert lease.acquire("b")
        assert not lease.acquire("a")
        lease.release("b")
        assert lease.current_holder() is None
        assert lease.acquire("a")


@pytest.mark.django_db
def test_a_killed_holder_is_replaced_at_once() -> None:
    dead = gone_holder()
    assert lease.acquire(dead)
    assert lease.current_holder() is None
    assert lease.acquire("successor")
    assert JobLease.objects.get().holder == "successor"


@pytest.mark.django_db
def test_a_holder_elsewhere_keeps_the_lease_until_it_lapses() -> None:
    elsewhere = "other-host:4026531836:1:1:cafe"
    assert lease.acquire(elsewhere)
    assert not lease.acquire("here")
    assert lease.current_holder() == elsewhere


@pytest.mark.django_db(transaction=True)
def test_of_many_runners_racing_for_the_lease_exactly_one_wins() -> None:
    start = threading.Barrier(8)
    won: list[str] = []

    def race(name: str) -> None:
        try:
            start.wait()
            if lease.acquire(name):
                won.append(name)
        finally:
            connection.close()

    threads = [threading.Thread(target=race, args=(f"runner-{number}",)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(won) == 1
    assert JobLease.objects.get().holder == won[0]


@pytest.mark.django_db
def test_a_job_runs_only_while_its_runner_holds_the_lease() -> None:
    assert lease.acquire("the-other-runner")
    assert not run_job(HOUSEKEEPING, holder="me")
    assert not JobStatus.objects.exists()
    lease.release("the-other-runner")
    assert run_job(HOUSEKEEPING, holder="me")
    status = JobStatus.objects.get()
    assert (status.name, status.last_holder, status.last_ok) == ("housekeeping", "me", True)


def failing_job() -> str:
    raise RuntimeError("Plex fell over")


@pytest.mark.django_db
def test_a_failing_job_is_recorded_for_the_dashboard() -> None:
    assert run_job(Job("broken", "tests.lifecycle.test_lease:failing_job", every_seconds=60))
    status = JobStatus.objects.get(name="broken")
    assert status.last_ok is False
    assert status.last_error == "RuntimeError: Plex fell over"
    assert wait_until_idle(0.1)


@pytest.mark.django_db
def test_no_job_starts_once_a_stop_was_requested() -> None:
    shutdown.request()
    try:
        assert not run_job(HOUSEKEEPING)
    finally:
        shutdown.reset()
    assert not JobStatus.objects.exists()
