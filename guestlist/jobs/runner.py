"""The job runner: ``python -m guestlist.jobs.runner`` (started and watched by ``guestlist serve``).

It holds the database lease, so that of several instances sharing one database exactly one
acts, and APScheduler tells it when each job of ``schedule.JOBS`` is due. It does not run jobs itself:
when one is due and has work (a cheap question to the database), it starts a worker
(``python -m guestlist.jobs.worker``) that runs them and exits. Django and the Plex library
therefore live in memory only while there is work; an idle install keeps just this small
process beside the web app.

Stopping (SIGTERM, SIGINT, or the ``serve`` process that started it going away) passes the
stop on to a running worker, waits a few seconds for it, lets go of the lease and exits.
Anything unfinished is still queued in the database for the next runner.
"""

from __future__ import annotations

import contextlib
import logging
import logging.config
import os
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from types import FrameType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from guestlist.jobs.dbwindow import Database, is_integrity_error
from guestlist.jobs.schedule import JOBS, Job, last_due
from guestlist.lib import liveness
from guestlist.lib.env import env_log_level
from guestlist.lib.logs import env_log_format, logging_config

logger = logging.getLogger("guestlist.jobs")

PARENT_ENV = "GUESTLIST_RUNNER_PARENT"
HOLDER_ENV = "GUESTLIST_RUNNER_HOLDER"
LEASE_NAME = "runner"
LEASE_SECONDS = 30
RENEW_EVERY_SECONDS = 5.0
TICK_SECONDS = 1.0
STOP_GRACE_SECONDS = 6.0


def new_holder_id() -> str:
    return f"{liveness.identity()}:{uuid.uuid4().hex[:8]}"


class Lease:
    """``jobs.lease`` in plain SQL: a conditional UPDATE decides between competing runners."""

    def __init__(self, db: Database, holder: str) -> None:
        self.db = db
        self.holder = holder

    def acquire(self) -> bool:
        now = datetime.now(UTC)
        until = self.db.moment(now + timedelta(seconds=LEASE_SECONDS))
        rows = self.db.rows("SELECT holder FROM jobs_joblease WHERE name = %s", [LEASE_NAME])
        current = str(rows[0][0] or "") if rows else None
        free = "holder = %s OR holder = '' OR expires_at IS NULL OR expires_at < %s"
        params: list[object] = [until, LEASE_NAME, self.holder, self.db.moment(now)]
        if current and current != self.holder and liveness.is_gone(current):
            # Killed without a chance to let go (SIGKILL, OOM): no need to wait out its lease.
            free += " OR holder = %s"
            params.append(current)
        taken = self.db.rows(
            f"UPDATE jobs_joblease SET holder = %s, expires_at = %s WHERE name = %s AND ({free})",  # noqa: S608
            [self.holder, *params],
        )
        if taken and taken[0][0]:
            return True
        if current is not None:
            return False
        try:
            self.db.rows(
                "INSERT INTO jobs_joblease (name, holder, expires_at) VALUES (%s, %s, %s)",
                [LEASE_NAME, self.holder, until],
            )
        except Exception as error:
            if is_integrity_error(error):
                return False
            raise
        return True

    def release(self) -> None:
        self.db.rows(
            "UPDATE jobs_joblease SET holder = '', expires_at = NULL WHERE name = %s AND holder = %s",
            [LEASE_NAME, self.holder],
        )

    def current_holder(self) -> str | None:
        rows = self.db.rows(
            "SELECT holder FROM jobs_joblease WHERE name = %s AND expires_at > %s",
            [LEASE_NAME, self.db.moment(datetime.now(UTC))],
        )
        holder = str(rows[0][0] or "") if rows else ""
        return holder if holder and not liveness.is_gone(holder) else None


def has_work(db: Database, job: Job, now: datetime) -> bool:
    """Whether a job would find anything to do; jobs without a cheap question always run."""
    at = db.moment(now)
    if job.name == "plex_operations":
        rows = db.rows(
            "SELECT locked_until, locked_by FROM plex_plexoperation "
            "WHERE state = 'queued' AND next_attempt_at <= %s ORDER BY next_attempt_at LIMIT 50",
            [at],
        )
        return any(until is None or until < at or (by and liveness.is_gone(str(by))) for until, by in rows)
    if job.name == "deliveries":
        rows = db.rows(
            "SELECT locked_until, locked_by FROM notifications_delivery "
            "WHERE status = 'pending' AND next_attempt_at <= %s ORDER BY next_attempt_at LIMIT 50",
            [at],
        )
        return any(until is None or until < at or (by and liveness.is_gone(str(by))) for until, by in rows)
    if job.name == "expiry":
        days = db.rows("SELECT expiry_warning_days FROM core_sitesettings WHERE id = 1")
        horizon = db.moment(now + timedelta(days=int(days[0][0]) if days else 7))
        return bool(
            db.rows(
                "SELECT 1 FROM members_member WHERE expires_at IS NOT NULL AND ("
                "(status IN ('pending', 'active', 'unlinked') AND expires_at <= %s) OR "
                "(status IN ('pending', 'active') AND expiry_warned_at IS NULL AND expires_at <= %s)) LIMIT 1",
                [at, horizon],
            )
        )
    if job.name == "trials":
        return bool(
            db.rows(
                "SELECT 1 FROM members_member WHERE trial_settled_at IS NULL AND trial_ends_at IS NOT NULL "
                "AND trial_ends_at <= %s AND status IN ('pending', 'active', 'unlinked') LIMIT 1",
                [at],
            )
        )
    if job.name == "backup":
        rows = db.rows("SELECT backup_enabled, backup_time FROM core_sitesettings WHERE id = 1")
        if not rows or not rows[0][0]:
            return False
        due = last_due(now, str(rows[0][1]), local_zone())
        if due is None:
            return False
        # Once per daily moment: a run started since then (done or failed) settles it.
        return not db.rows(
            "SELECT 1 FROM jobs_jobstatus WHERE name = 'backup' AND last_started_at >= %s", [db.moment(due)]
        )
    if job.name == "sync":
        return bool(db.rows("SELECT 1 FROM plex_mediaserver LIMIT 1"))
    if job.name == "discord":
        connected = db.rows("SELECT 1 FROM discord_discordsettings WHERE id = 1 AND bot_token <> '' AND guild_id <> ''")
        return bool(connected) and bool(
            db.rows(
                "SELECT 1 FROM members_member WHERE discord_gate = 'member' AND discord_id <> '' "
                "AND status IN ('pending', 'active') LIMIT 1"
            )
        )
    if job.name == "inactivity":
        rows = db.rows("SELECT inactivity_enabled FROM core_sitesettings WHERE id = 1")
        return bool(rows and rows[0][0])
    return True


def local_zone() -> ZoneInfo:
    """The install's time zone, as the settings read it (``TZ``, else UTC)."""
    try:
        return ZoneInfo(os.environ.get("TZ", "").strip() or "UTC")
    except (ValueError, ZoneInfoNotFoundError):
        return ZoneInfo("UTC")


class Runner:
    def __init__(self, jobs: Sequence[Job], *, db: Database | None = None, parent_pid: int | None = None) -> None:
        # Not at the top: the web process imports this module (for PARENT_ENV) and must not
        # carry the scheduler.
        from apscheduler.schedulers.blocking import BlockingScheduler

        self.jobs = tuple(jobs)
        self.db = db or Database()
        self.holder = new_holder_id()
        self.lease = Lease(self.db, self.holder)
        self.parent_pid = parent_pid
        self.stopping = threading.Event()
        self.holding: bool | None = None
        self.worker: subprocess.Popen[bytes] | None = None
        self.waiting: dict[str, Job] = {}  # due, with work, not yet handed to a worker
        # One thread: the runner's own steps are quick database questions, never the jobs.
        self.scheduler = BlockingScheduler(
            timezone=UTC,
            executors={"default": {"type": "threadpool", "max_workers": 1}},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
        )

    def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)
        now = datetime.now(UTC)
        self.scheduler.add_job(self._keep_lease, "interval", seconds=RENEW_EVERY_SECONDS, next_run_time=now)
        self.scheduler.add_job(self._dispatch, "interval", seconds=TICK_SECONDS, next_run_time=now)
        for job in self.jobs:
            self.scheduler.add_job(
                self._check,
                "interval",
                seconds=job.every_seconds,
                next_run_time=now + timedelta(seconds=job.first_after_seconds),
                args=[job],
                id=job.name,
            )
        if not self.stopping.is_set():
            self.scheduler.start()
        self._stop_worker()
        try:
            self.lease.release()
        except Exception as error:
            logger.warning("Could not release the job lease (it lapses on its own): %s", error)
        self.db.close()
        logger.info("Job runner stopped.")
        return 0

    def stop(self, why: str) -> None:
        from apscheduler.schedulers import SchedulerNotRunningError  # see __init__

        if self.stopping.is_set():
            return
        logger.info("Job runner stopping: %s", why)
        self.stopping.set()
        with contextlib.suppress(SchedulerNotRunningError):
            self.scheduler.shutdown(wait=False)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stop(signal.Signals(signum).name)

    def _orphaned(self) -> bool:
        if self.parent_pid is not None and os.getppid() != self.parent_pid:
            self.stop("the serve process that started this runner is gone")
            return True
        return False

    def _keep_lease(self) -> None:
        if self._orphaned():
            return
        try:
            holding = self.lease.acquire()
            other = None if holding else self.lease.current_holder()
        except Exception as error:
            logger.warning("Could not renew the job lease: %s", error)
            holding, other = False, None
        if holding != self.holding:
            if holding:
                logger.info("Holding the job lease as %s; running jobs.", self.holder)
            else:
                logger.info("Another runner holds the job lease (%s); standing by.", other or "unknown")
        self.holding = holding

    def _check(self, job: Job) -> None:
        """A job fell due: keep it for the next worker if it has work (and we hold the lease)."""
        if not self.holding or job.name in self.waiting:
            return
        try:
            busy = has_work(self.db, job, datetime.now(UTC))
        except Exception as error:
            logger.warning("Could not ask whether %s has work (running it anyway): %s", job.name, error)
            busy = True
        if busy:
            self.waiting[job.name] = job

    def _dispatch(self) -> None:
        if self._orphaned():
            return
        if self.worker is not None:
            if self.worker.poll() is None:
                return  # one worker at a time; what falls due meanwhile waits for it
            if self.worker.returncode:
                logger.error("A job worker exited with code %s.", self.worker.returncode)
            self.worker = None
        if not self.waiting or not self.holding or self.stopping.is_set():
            return
        names = list(self.waiting)
        self.waiting.clear()
        env = {**os.environ, HOLDER_ENV: self.holder}
        # The command is our own interpreter and module, never user input.
        self.worker = subprocess.Popen([sys.executable, "-m", "guestlist.jobs.worker", *names], env=env)  # noqa: S603

    def _stop_worker(self) -> None:
        worker = self.worker
        if worker is None or worker.poll() is not None:
            return
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            # Its unfinished item keeps a lock naming the worker; the next runner sees the
            # worker is gone and takes the item over.
            logger.warning("A job was still running after %s s; leaving it to the next runner.", STOP_GRACE_SECONDS)
            worker.kill()
            worker.wait()


def _parent_pid() -> int | None:
    value = os.environ.get(PARENT_ENV, "")
    return int(value) if value.isdigit() else None


def configure_logging() -> None:
    # The web's format (GUESTLIST_LOG_FORMAT) and token filter, without loading Django.
    # APScheduler says "Running job ..." at INFO for every tick of every job (each second);
    # logging_config keeps it at WARNING, so an idle install logs nothing between jobs.
    logging.config.dictConfig(
        logging_config(
            level=env_log_level("GUESTLIST_LOG_LEVEL", "INFO"),
            log_format=env_log_format(),
            filters={"redact_tokens": {"()": "guestlist.plex.redaction.RedactTokens"}},
        )
    )


def main() -> int:
    configure_logging()
    return Runner(JOBS, parent_pid=_parent_pid()).run()


if __name__ == "__main__":
    sys.exit(main())
