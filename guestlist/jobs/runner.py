"""The background job runner: ``python -m guestlist.jobs.runner`` (started by ``guestlist serve``)."""

from __future__ import annotations

import importlib
import logging
import signal
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import FrameType

from guestlist.jobs.schedule import JOBS, Job

logger = logging.getLogger("guestlist.jobs")

RENEW_EVERY_SECONDS = 10


def _resolve(target: str) -> Callable[[], object]:
    module_name, _, function_name = target.partition(":")
    function: Callable[[], object] = getattr(importlib.import_module(module_name), function_name)
    return function


def run_job(job: Job, *, holder: str | None = None) -> None:
    """Run one job now and record the outcome (the runner checks the lease first)."""
    from django.db import close_old_connections
    from django.utils import timezone

    from guestlist.jobs.models import JobStatus

    close_old_connections()
    if holder is not None:
        from guestlist.jobs.lease import acquire

        if not acquire(holder):
            return
    status, _ = JobStatus.objects.get_or_create(name=job.name)
    status.last_started_at = timezone.now()
    status.save(update_fields=["last_started_at"])
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
    close_old_connections()


def main() -> int:
    from guestlist.cli import setup_django

    setup_django(migrate=False)
    from apscheduler.schedulers.blocking import BlockingScheduler

    from guestlist.jobs.lease import acquire, new_holder_id, release

    holder = new_holder_id()
    scheduler = BlockingScheduler(
        timezone=UTC,
        executors={"default": {"type": "threadpool", "max_workers": 2}},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
    )
    stopped = threading.Event()

    def renew() -> None:
        from django.db import close_old_connections

        close_old_connections()
        if acquire(holder):
            logger.debug("Holding the job lease as %s", holder)

    def stop(signum: int, frame: FrameType | None) -> None:
        if not stopped.is_set():
            stopped.set()
            scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    now = datetime.now(UTC)
    scheduler.add_job(renew, "interval", seconds=RENEW_EVERY_SECONDS, next_run_time=now, id="lease")
    for job in JOBS:
        scheduler.add_job(
            run_job,
            "interval",
            seconds=job.every_seconds,
            next_run_time=now + timedelta(seconds=job.first_after_seconds),
            kwargs={"job": job, "holder": holder},
            id=job.name,
        )
    logger.info("Job runner started as %s", holder)
    try:
        scheduler.start()
    finally:
        release(holder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
