"""The Dockerfile, built with Podman and run the way the README says: a volume for /config,
PUID/PGID, the health check, ``guestlist`` inside the container, a restart, and SIGTERM."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.container.podman import ROOT, RUN_LIMITS, base_image_from_dockerfile, ensure_base_image, podman

pytestmark = [pytest.mark.container, pytest.mark.slow]

IMAGE = "localhost/guestlist:container-test"
PUID, PGID = 4321, 4322


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError(f"gave up after {seconds:g} s waiting for {what}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def ca_bundle() -> str | None:
    # The build fetches uv and the locked wheels from PyPI; behind a TLS-inspecting egress the
    # machine's own CA bundle goes in as a build secret (it does not end up in the image).
    for candidate in (os.environ.get("SSL_CERT_FILE"), "/etc/ssl/certs/ca-certificates.crt"):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


@pytest.fixture(scope="module")
def image() -> Iterator[str]:
    base = base_image_from_dockerfile()
    ensure_base_image(base)
    secret = ca_bundle()
    extra = ["--secret", f"id=ca-certificates,src={secret}"] if secret else []
    # docker format: OCI images have no HEALTHCHECK.
    built = podman(
        "build", "--pull=never", "--format", "docker", *extra, "-t", IMAGE, str(ROOT), timeout=1200, check=False
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    yield IMAGE


class Container:
    def __init__(self, image: str, volume: Path, name: str) -> None:
        self.image, self.volume, self.name = image, volume, name
        self.port = free_port()

    def start(self) -> None:
        podman("rm", "--force", "--ignore", self.name, timeout=60, check=False)
        podman(
            "run", "--detach", "--name", self.name, *RUN_LIMITS,
            "--env", f"PUID={PUID}", "--env", f"PGID={PGID}", "--env", "TZ=Europe/Berlin",
            "--env", "GUESTLIST_LOG_LEVEL=INFO",
            "--volume", f"{self.volume}:/config",
            "--publish", f"127.0.0.1:{self.port}:8484",
            self.image,
            timeout=120,
        )  # fmt: skip

    def healthz(self) -> dict[str, object] | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=3) as answer:  # noqa: S310
                return dict(json.loads(answer.read()))
        except (OSError, urllib.error.URLError, ValueError):
            return None

    def wait_until_healthy(self) -> None:
        wait_for(lambda: self.healthz() is not None, 90, f"/healthz of {self.name}\n{self.logs()}")

    def running(self) -> bool:
        state = podman("inspect", "--format", "{{.State.Running}}", self.name, timeout=30, check=False)
        return state.stdout.strip() == "true"

    def exec(self, *command: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return podman("exec", "--interactive", self.name, *command, input=input, timeout=120, check=False)

    def logs(self) -> str:
        return podman("logs", self.name, timeout=30, check=False).stderr[-4000:]

    def remove(self) -> None:
        podman("rm", "--force", "--ignore", "--time", "2", self.name, timeout=60, check=False)


# The uids of the processes running Guestlist (tini, PID 1, stays root to pass signals on).
OWNERS_OF_GUESTLIST_PROCESSES = """
import pathlib
uids = set()
for status in pathlib.Path("/proc").glob("[0-9]*/status"):
    cmdline = (status.parent / "cmdline").read_bytes()
    if b"guestlist" in cmdline and b"tini" not in cmdline and b"-c" not in cmdline.split(b"\\0"):
        uids.add(next(line.split()[1] for line in status.read_text().splitlines() if line.startswith("Uid:")))
print(*sorted(uids))
"""


@pytest.fixture
def container(image: str, tmp_path: Path) -> Iterator[Container]:
    volume = tmp_path / "config"
    volume.mkdir()
    box = Container(image, volume, f"guestlist-test-{os.getpid()}")
    yield box
    box.remove()


def test_the_image_serves_keeps_its_data_in_the_volume_as_puid_and_stops_on_sigterm(container: Container) -> None:
    container.start()
    container.wait_until_healthy()
    health = container.healthz() or {}
    assert (health.get("status"), health.get("database")) == ("ok", "ok")

    made = container.exec(
        "guestlist", "createadmin", "--username", "boss", "--password-stdin", input="a-long-pass-4u\n"
    )
    assert made.returncode == 0, made.stderr
    assert "Created owner 'boss'" in made.stdout

    files = list(container.volume.rglob("*"))
    assert {f.name for f in files} >= {"guestlist.sqlite3", "secret_key"}
    assert {(f.stat().st_uid, f.stat().st_gid) for f in [container.volume, *files]} == {(PUID, PGID)}, (
        "everything in the volume belongs to PUID:PGID, also what `podman exec … guestlist` wrote"
    )
    owners = container.exec("python3", "-c", OWNERS_OF_GUESTLIST_PROCESSES)
    assert owners.stdout.split() == [str(PUID)], "the web app and the job runner run as PUID, not root"

    container.remove()  # a new container on the same volume, as after `compose pull && compose up`
    container.start()
    container.wait_until_healthy()
    admins = container.exec(
        "python3", "-c",
        "import os, sqlite3; print(sqlite3.connect('/config/guestlist.sqlite3').execute("
        "'SELECT username, is_superuser FROM auth_user').fetchall())",
    )  # fmt: skip
    assert admins.stdout.strip() == "[('boss', 1)]", admins.stderr

    started = time.monotonic()
    podman("kill", "--signal", "TERM", container.name, timeout=30)
    wait_for(lambda: not container.running(), 10, "the container to stop after SIGTERM")
    assert time.monotonic() - started < 10
    code = podman("inspect", "--format", "{{.State.ExitCode}}", container.name, timeout=30).stdout.strip()
    assert code == "0", container.logs()
    assert "Job runner stopped." in container.logs()
