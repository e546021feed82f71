"""``guestlist serve``: the web app in this process, the job runner in one child process.

Two processes in total keeps an idle install small. The web app runs on granian's threaded
server inside this process, so no separate supervisor process has to sit in memory.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from granian.constants import Interfaces
from granian.log import LogLevels
from granian.server import MTServer

from guestlist.django_setup import setup_django
from guestlist.jobs.runner import PARENT_ENV
from guestlist.lib import metrics
from guestlist.lib.datadir import make_private

logger = logging.getLogger("guestlist.server")

RUNNER_STOP_SECONDS = 8.0
RUNNER_RESTART_DELAYS = (1, 2, 5, 10, 30, 60)


def prepare(*, announce: Callable[[str], None] = print) -> None:
    """Everything that must happen before the first request: migrations and the setup link."""
    # Model modules load only once Django is set up (``serve`` does that first).
    from guestlist.accounts.setup import issue_setup_token
    from guestlist.core.services import ensure_site_settings
    from guestlist.invites.kept_counts import ensure_count_triggers
    from guestlist.invites.search_index import ensure_search_indexes

    make_private(Path(settings.DATA_DIR))
    call_command("migrate", interactive=False, verbosity=0)
    # Search indexes that could not be made at migration time (pg_trgm installed later) or
    # were lost since (an SQLite table rebuilt by a migration drops its triggers).
    ensure_search_indexes()
    ensure_count_triggers()
    ensure_site_settings()
    token = issue_setup_token()
    if token:
        announce(
            "No owner account exists yet. Open this one-time link to create it:\n"
            f"  {settings.BASE_URL}{settings.URL_BASE}/setup?token={token}"
        )


class RunnerSupervisor:
    """Keeps exactly one job-runner child alive while the web app runs."""

    def __init__(self, command: list[str] | None = None) -> None:
        self.command = command or [sys.executable, "-m", "guestlist.jobs.runner"]
        self.process: subprocess.Popen[bytes] | None = None
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._watch, name="runner-supervisor", daemon=True)

    def start(self) -> None:
        self._spawn()
        self.thread.start()

    def _spawn(self) -> None:
        # The runner watches for this process to disappear (SIGKILL leaves no chance to
        # stop it), so it never lives on unsupervised.
        env = os.environ.copy() | {PARENT_ENV: str(os.getpid())}
        # The command is our own interpreter and module, never user input.
        self.process = subprocess.Popen(self.command, env=env)  # noqa: S603

    def _watch(self) -> None:
        failures = 0
        while not self.stopping.is_set():
            process = self.process
            if process is None:
                return
            code = process.wait()
            if self.stopping.is_set():
                return
            delay = RUNNER_RESTART_DELAYS[min(failures, len(RUNNER_RESTART_DELAYS) - 1)]
            logger.error("The job runner exited with code %s; restarting it in %s s.", code, delay)
            failures += 1
            if self.stopping.wait(delay):
                return
            self._spawn()

    def stop(self) -> None:
        self.stopping.set()
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(RUNNER_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


GRANIAN_EXPERIMENTAL_WARNING = "free-threaded Python support is experimental!"


class _NoFreeThreadedWarning(logging.Filter):
    """granian's threaded server warns about free-threaded Python on every start, also on a
    normal (GIL) Python where it does not apply: that line would only mislead."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != GRANIAN_EXPERIMENTAL_WARNING


def served_base_url(host: str, port: int) -> str:
    """The origin of the address being served, for links while ``GUESTLIST_BASE_URL`` is unset."""
    if host in ("", "0.0.0.0", "::"):  # noqa: S104 - a comparison: any address; links name this machine
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def web_server(host: str, port: int, threads: int, target: str = "guestlist.wsgi:application") -> Any:
    """granian as `guestlist serve` runs it; bench/reference serves its yardstick the same way."""

    class InProcessServer(MTServer):
        # Why a private method is overridden: granian (2.8, pinned in pyproject.toml) has no
        # supported way to serve WSGI inside this process on a GIL build of Python. Its
        # in-process servers are MTServer, which is built for free-threaded Python and
        # refuses a GIL build in ``_check_gil``, and the embedded server, which refuses WSGI;
        # its supported path for a GIL build, MPServer, runs every worker as a separate
        # process, a whole second Python process of idle memory (the budget is 120 MB for
        # everything). With one worker the GIL costs nothing here, so the check is skipped.
        # tests/foundation/test_server.py fails if granian renames the check.
        def _check_gil(self) -> None:
            return None

    logging.getLogger("_granian").addFilter(_NoFreeThreadedWarning())
    return InProcessServer(
        target,
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=1,
        blocking_threads=threads,
        log_level=LogLevels.warning,
        log_access=False,
    )


def serve(*, host: str, port: int, threads: int = 4, with_runner: bool = True, prepared: bool = False) -> int:
    setup_django()
    if not prepared:
        prepare()
    if metrics.enabled():
        # Before the job runner starts: it and its workers inherit the directory.
        metrics.prepare_directory(Path(settings.DATA_DIR) / "metrics")
    # Importing the module builds the WSGI app, which needs the settings just configured.
    from guestlist.wsgi import application

    supervisor = RunnerSupervisor() if with_runner else None
    server = web_server(host, port, threads)
    if supervisor is not None:
        supervisor.start()
    print(f"Guestlist is listening on http://{host}:{port}", flush=True)
    try:
        server.serve(target_loader=lambda _target: application)
    finally:
        if supervisor is not None:
            supervisor.stop()
    return 0
