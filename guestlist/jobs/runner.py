"""The background job runner: ``python -m guestlist.jobs.runner`` (started by ``guestlist serve``).

APScheduler fires each job of ``schedule.JOBS`` on its interval; a job runs only while
this process holds the database lease, so several instances sharing one database still
act as one. A separate thread renews the lease, so a long job never loses it.

Stopping (SIGTERM, SIGINT, or the ``serve`` process that started us going away) sets a
flag jobs check between items, waits a few seconds for the current item, lets go of the
lease and exits. Anything unfinished is still queued in the database; the next runner
picks it up.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any

from guestlist.jobs.schedule import JOBS, Job
from guestlist.lib import shutdown

logger = logging.getLogger("guestlist.jobs")

SETTINGS_MODULE = "guestlist.jobs.settings"
PARENT_ENV = "GUESTLIST_RUNNER_PARENT"
RENEW_EVERY_SECONDS = 5.0
STOP_GRACE_SECONDS = 5.0
WORKERS = 3

_busy = 0
_busy_changed = threading.Condition()


def _resolve(target: str) -> Callable[[], object]:
    module_name, _, function_name = target.partition(":")
    function: Callable[[], object] = getattr(importlib.import_module(module_name), function_name)
    return function


def _track(delta: int) -> None:
    global _busy
    with _busy_changed:
        _busy += delta
        _busy_changed.notify_all()


def wait_until_idle(seconds: float) -> bool:
    """True once no job is running; False if one still runs after ``seconds``."""
    deadline = time.monotonic() + seconds
    with _busy_changed:
        while _busy > 0:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            _busy_changed.wait(left)
    return True


def run_job(job: Job, *, holder: str | None = None) -> bool:
    """Run one job now and record the outcome; with ``holder``, only while it holds the lease.

    Returns whether the job ran.
    """
    if shutdown.requested():
        return False
    _track(+1)
    try:
        return _run_recorded(job, holder)
    finally:
        _track(-1)


def _fresh_connection() -> None:
    from django.db import close_old_connections, connection

    # Inside a transaction (a test calling a job) the connection is not ours to close.
    if not connection.in_atomic_block:
        close_old_connections()


def _run_recorded(job: Job, holder: str | None) -> bool:
    from django.utils import timezone

    from guestlist.jobs.models import JobStatus

    _fresh_connection()
    try:
        if holder is not None:
            from guestlist.jobs.lease import acquire

            if not acquire(holder):
                return False
        status, _ = JobStatus.objects.get_or_create(name=job.name)
        status.last_started_at = timezone.now()
        status.last_holder = holder or ""
        status.save(update_fields=["last_started_at", "last_holder"])
        try:
            summary = _resolve(job.target)()
        except Exception as exc:
            logger.exception("Job %s failed", job.name)
            status.last_ok, status.last_error = False, f"{type(exc).__name__}: {exc}"[:2000]
        else:
            status.last_ok, status.last_error = True, ""
            status.last_summary = str(summary or "")[:2000]
        status.last_finished_at = timezone.now()
        status.save()
        return True
    finally:
        _fresh_connection()


class Runner:
    def __init__(self, jobs: Sequence[Job], *, holder: str | None = None, parent_pid: int | None = None) -> None:
        from apscheduler.schedulers.blocking import BlockingScheduler

        from guestlist.jobs.lease import new_holder_id

        self.jobs = tuple(jobs)
        self.holder = holder or new_holder_id()
        self.parent_pid = parent_pid
        self.stopping = threading.Event()
        self.holding: bool | None = None
        self.scheduler = BlockingScheduler(
            timezone=UTC,
            executors={"default": {"type": "threadpool", "max_workers": WORKERS}},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
        )
        self.lease_thread = threading.Thread(target=self._keep_lease, name="job-lease", daemon=True)

    def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)
        now = datetime.now(UTC)
        for job in self.jobs:
            self.scheduler.add_job(
                run_job,
                "interval",
                seconds=job.every_seconds,
                next_run_time=now + timedelta(seconds=job.first_after_seconds),
                kwargs={"job": job, "holder": self.holder},
                id=job.name,
            )
        self._renew()
        self.lease_thread.start()
        logger.info("Job runner started as %s", self.holder)
        if not self.stopping.is_set():
            self.scheduler.start()
        finished = wait_until_idle(STOP_GRACE_SECONDS)
        self._let_go()
        if not finished:
            # The unfinished item keeps its lock, which names this process; the next
            # runner sees that the process is gone and takes the item over.
            logger.warning("A job was still running after %s s; leaving it to the next runner.", STOP_GRACE_SECONDS)
            logging.shutdown()
            os._exit(0)
        logger.info("Job runner stopped.")
        return 0

    def stop(self, why: str) -> None:
        if self.stopping.is_set():
            return
        logger.info("Job runner stopping: %s", why)
        self.stopping.set()
        shutdown.request()
        self._stop_scheduler()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stop(signal.Signals(signum).name)

    def _stop_scheduler(self) -> None:
        from apscheduler.schedulers import SchedulerNotRunningError

        # Not started yet: run() sees the flag and does not start it.
        with contextlib.suppress(SchedulerNotRunningError):
            self.scheduler.shutdown(wait=False)

    def _keep_lease(self) -> None:
        next_renewal = time.monotonic() + RENEW_EVERY_SECONDS
        while not self.stopping.wait(1.0):
            if self.parent_pid is not None and os.getppid() != self.parent_pid:
                self.stop("the serve process that started this runner is gone")
                break
            if time.monotonic() >= next_renewal:
                self._renew()
                next_renewal = time.monotonic() + RENEW_EVERY_SECONDS
        if self.scheduler.running:
            self._stop_scheduler()

    def _renew(self) -> None:
        from django.db import DatabaseError, close_old_connections

        from guestlist.jobs.lease import acquire, current_holder

        close_old_connections()
        try:
            holding = acquire(self.holder)
            other = None if holding else current_holder()
        except DatabaseError as exc:
            logger.warning("Could not renew the job lease: %s", exc)
            holding, other = False, None
        if holding != self.holding:
            if holding:
                logger.info("Holding the job lease as %s; running jobs.", self.holder)
            else:
                logger.info("Another runner holds the job lease (%s); standing by.", other or "unknown")
        self.holding = holding

    def _let_go(self) -> None:
        from django.db import DatabaseError, close_old_connections

        from guestlist.jobs.lease import release

        close_old_connections()
        try:
            release(self.holder)
        except DatabaseError as exc:
            logger.warning("Could not release the job lease (it lapses on its own): %s", exc)


def _parent_pid(environ: Any) -> int | None:
    value = environ.get(PARENT_ENV, "")
    return int(value) if value.isdigit() else None


def main() -> int:
    # The runner's own settings module, whatever the environment says: the web-only apps
    # must stay out of this process.
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    from guestlist.cli import setup_django

    setup_django(migrate=False)
    return Runner(JOBS, parent_pid=_parent_pid(os.environ)).run()


if __name__ == "__main__":
    sys.exit(main())
