"""Real Guestlist installs in child processes, for the tests that kill and restart them.

Each install has a scratch data directory and its own database: SQLite in that directory,
or, when the suite runs against PostgreSQL (DATABASE_URL), a fresh database on the same
server, so several processes can share it the way several instances share one Postgres.
The Plex simulator runs in the test process and the children reach it over HTTP.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from guestlist.plexsim import PlexSimulator
from tests.conftest import OWNER_PLEX_TOKEN, PASSWORD

REPO = Path(__file__).resolve().parents[2]

SETUP_SCRIPT = """
import sys
from guestlist.django_setup import setup_django
setup_django()
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
from guestlist.accounts import services as accounts
from guestlist.core.audit import Actor
from guestlist.core.services import ensure_site_settings
from guestlist.plex import services
ensure_site_settings()
owner = accounts.create_admin("owner", sys.argv[1], email="owner@example.com")
services.connect_server(sys.argv[2], sys.argv[3], actor=Actor.system())
print(accounts.create_api_key("tests", created_by=owner))
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def scratch_database_url() -> str | None:
    """A new, empty PostgreSQL database when the suite runs on PostgreSQL, else None."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return None
    import psycopg

    name = f"guestlist_scratch_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def drop_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, parts.fragment))
    with psycopg.connect(maintenance, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Install:
    data_dir: Path
    sim: PlexSimulator
    database_url: str | None = None
    port: int = field(default_factory=free_port)
    api_key: str = ""
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self, **extra: str) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("GUESTLIST_", "DATABASE_URL"))}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        env.update(
            GUESTLIST_DATA_DIR=str(self.data_dir),
            GUESTLIST_PLEX_TV_URL=self.sim.plex_tv_url,
            GUESTLIST_BASE_URL=self.base_url,
            GUESTLIST_RATE_LIMITS="off",
            GUESTLIST_PLEX_TIMEOUT="2",
            PLEXAPI_CONFIG_PATH=os.devnull,
            NO_PROXY="127.0.0.1,localhost",
            PYTHONUNBUFFERED="1",
        )
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        env.update(extra)
        return env

    def run(self, *args: str, stdin: str = "", check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=self.env(),
            cwd=REPO,
            timeout=60,
            check=False,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"{args} exited {done.returncode}: {done.stderr}")
        return done

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("-m", "guestlist", *args, check=check)

    def set_up(self) -> Install:
        """Migrated, with an owner, the simulator's server connected and an API key."""
        done = self.run("-c", SETUP_SCRIPT, PASSWORD, self.sim.pms_url, OWNER_PLEX_TOKEN)
        self.api_key = done.stdout.strip().splitlines()[-1]
        return self

    def start(self, *args: str, log: str = "serve.log") -> subprocess.Popen[bytes]:
        handle = (self.data_dir / log).open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "guestlist", *(args or ("serve", "--port", str(self.port)))],
            env=self.env(),
            cwd=REPO,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def start_runner(self, log: str) -> subprocess.Popen[bytes]:
        handle = (self.data_dir / log).open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "guestlist.jobs.runner"],
            env=self.env(),
            cwd=REPO,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def log(self, name: str = "serve.log") -> str:
        path = self.data_dir / name
        return path.read_text(errors="replace") if path.exists() else ""

    def wait_until_serving(self, seconds: float = 30) -> None:
        wait_for(lambda: self.get("/api/invites/")[0] == 200, seconds, f"the app at {self.base_url} to answer")

    def request(self, method: str, path: str, body: Any = None, *, timeout: float = 20) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 - our own child process on 127.0.0.1
            f"{self.base_url}{path}",
            data=data,
            method=method,
            headers={"X-Api-Key": self.api_key, "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            raw = error.read()
            return error.code, json.loads(raw) if raw else None
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return 0, None

    def get(self, path: str) -> tuple[int, Any]:
        return self.request("GET", path)

    def post(self, path: str, body: Any) -> tuple[int, Any]:
        return self.request("POST", path, body)

    # The database, read directly (the children own it)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        if self.database_url:
            import psycopg

            with psycopg.connect(self.database_url) as db:
                return [tuple(row) for row in db.execute(sql).fetchall()]
        connection = sqlite3.connect(self.data_dir / "guestlist.sqlite3", timeout=30)
        try:
            return list(connection.execute(sql).fetchall())
        finally:
            connection.close()

    def execute(self, sql: str) -> None:
        if self.database_url:
            import psycopg

            with psycopg.connect(self.database_url, autocommit=True) as db:
                db.execute(sql)
            return
        connection = sqlite3.connect(self.data_dir / "guestlist.sqlite3", timeout=30)
        try:
            with connection:
                connection.execute(sql)
        finally:
            connection.close()

    def scalar(self, sql: str) -> Any:
        return self.query(sql)[0][0]

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                with_group(process, signal.SIGKILL)
                process.wait(10)
        if self.database_url:
            drop_database(self.database_url)


def with_group(process: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if len(fields) > 1 and fields[1] == str(pid) and fields[0] not in ("Z", "X"):
            found.append(int(entry.name))
    return found


def wait_for(condition: Callable[[], bool], seconds: float, what: str, *, every: float = 0.1) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every)
    raise AssertionError(f"gave up after {seconds} s waiting for {what}")


def pid_alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")
