"""A job worker: ``python -m guestlist.jobs.worker JOB...``, started by the job runner when
jobs are due, runs them once with Django and exits.

A job runs only while the runner that started it holds the database lease (its id comes in
``GUESTLIST_RUNNER_HOLDER``), so several instances sharing one database still act as one.

SIGTERM (passed on by the runner) sets a flag jobs check between items; anything
unfinished is still queued in the database, and an item cut off mid-way keeps a lock that
names this process, which the next worker takes over once this one is gone.
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from types import FrameType

from django.db import close_old_connections, connection
from django.utils import timezone

from guestlist.django_setup import setup_django
from guestlist.jobs.runner import HOLDER_ENV
from guestlist.jobs.schedule import JOBS, Job
from guestlist.lib import metrics, shutdown

logger = logging.getLogger("guestlist.jobs")

SETTINGS_MODULE = "guestlist.jobs.settings"

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
    # Inside a transaction (a test calling a job) the connection is not ours to close.
    if not connection.in_atomic_block:
        close_old_connections()


def _run_recorded(job: Job, holder: str | None) -> bool:
    # Model modules import only after ``main`` has set Django up with the worker's settings.
    from guestlist.jobs.lease import acquire
    from guestlist.jobs.models import JobStatus

    _fresh_connection()
    try:
        if holder is not None and not acquire(holder):
            return False
        status, _ = JobStatus.objects.get_or_create(name=job.name)
        status.last_started_at = timezone.now()
        status.last_holder = holder or ""
        status.save(update_fields=["last_started_at", "last_holder"])
        started = time.monotonic()
        try:
            summary = _resolve(job.target)()
        except Exception as exc:
            logger.exception("Job %s failed", job.name)
            status.last_ok, status.last_error = False, f"{type(exc).__name__}: {exc}"[:2000]
        else:
            status.last_ok, status.last_error = True, ""
            status.last_summary = str(summary or "")[:2000]
        metrics.observe_job(job.name, bool(status.last_ok), time.monotonic() - started)
        status.last_finished_at = timezone.now()
        status.save()
        return True
    finally:
        _fresh_connection()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the named jobs once, for the runner whose lease id is in the environment, and exit."""
    names = list(sys.argv[1:] if argv is None else argv)
    by_name = {job.name: job for job in JOBS}
    unknown = [name for name in names if name not in by_name]
    if unknown or not names:
        print(f"usage: python -m guestlist.jobs.worker JOB... (jobs: {', '.join(by_name)})", file=sys.stderr)
        return 2
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _on_signal)
    # The worker's own settings module, whatever the environment says: the web-only apps
    # must stay out of this process.
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    # One worker runs at a time: all of them share one set of metrics files.
    metrics.set_role("worker")

    setup_django(migrate=False)
    holder = os.environ.get(HOLDER_ENV) or None
    for name in names:
        if shutdown.requested():
            break
        run_job(by_name[name], holder=holder)
    return 0


def _on_signal(signum: int, frame: FrameType | None) -> None:
    # Jobs look at the flag between items; the item under way finishes or keeps its lock.
    shutdown.request()


if __name__ == "__main__":
    sys.exit(main())
