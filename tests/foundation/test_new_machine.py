"""What a newcomer meets on a fresh machine: clear words from the command line and the log."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from guestlist import cli, demo, server

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_a_foreign_host_is_one_warning_line_naming_our_setting(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        response = Client(HTTP_HOST="evil.example").get("/login")

    assert response.status_code == 400
    [record] = [r for r in caplog.records if r.name == "django.security.DisallowedHost"]
    assert record.levelname == "WARNING"
    assert "GUESTLIST_ALLOWED_HOSTS" in record.getMessage() and "'evil.example'" in record.getMessage()
    assert "ALLOWED_HOSTS." not in record.getMessage().replace("GUESTLIST_ALLOWED_HOSTS", "")
    assert record.exc_info is None and record.exc_text is None


@pytest.mark.django_db
def test_sync_without_a_server_says_so_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["sync"]) == 1
    err = capsys.readouterr().err
    assert "no Plex server is connected" in err


def test_links_follow_the_served_address_when_no_base_url_is_set() -> None:
    assert server.served_base_url("127.0.0.1", 9000) == "http://127.0.0.1:9000"
    assert server.served_base_url("0.0.0.0", 9000) == "http://127.0.0.1:9000"  # noqa: S104
    assert server.served_base_url("::1", 9000) == "http://[::1]:9000"
    assert server.served_base_url("plex.lan", 80) == "http://plex.lan:80"


def test_serve_prints_no_free_threaded_warning_on_a_normal_python(capsys: pytest.CaptureFixture[str]) -> None:
    server.web_server("127.0.0.1", 0, 1)
    granian = logging.getLogger("_granian")
    granian.warning(server.GRANIAN_EXPERIMENTAL_WARNING)
    granian.warning("something that matters")

    printed = capsys.readouterr()
    assert "free-threaded" not in printed.out + printed.err
    assert "something that matters" in printed.out + printed.err


def test_the_demo_takes_free_ports_when_the_usual_ones_are_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GUESTLIST_DEMO_PLEX_PORT", raising=False)
    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        with contextlib.suppress(OSError):  # someone else holds it already: the same situation
            taken.bind(("127.0.0.1", demo.PLEX_TV_PORT))
        taken.listen()
        assert demo.plex_ports("127.0.0.1") == (0, 0)
    monkeypatch.setenv("GUESTLIST_DEMO_PLEX_PORT", "40123")
    assert demo.plex_ports("127.0.0.1") == (40123, 40124)


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GUESTLIST_", "DJANGO_", "PYTEST_"))}
    return env | extra


def test_a_command_says_which_data_directory_it_created(tmp_path: Path) -> None:
    data = tmp_path / "somewhere" / "data"

    def createadmin(name: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "guestlist", "createadmin", "--username", name, "--password-stdin"],
            input="a long enough password 42\n",
            env=_clean_env(GUESTLIST_DATA_DIR=str(data)),
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
        )

    done = createadmin("ada")
    assert done.returncode == 0, done.stderr
    assert f"created a new data directory {data}" in done.stderr
    again = createadmin("bob")
    assert again.returncode == 0 and "data directory" not in again.stderr


@pytest.mark.slow
def test_a_test_run_leaves_no_scratch_folder_behind(tmp_path: Path) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/foundation/test_cli.py::test_version"],
        env=_clean_env(TMPDIR=str(scratch)),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert list(scratch.glob("guestlist-test-*")) == []


def test_bootstrap_hands_uv_the_interpreter_behind_a_pyenv_shim(tmp_path: Path) -> None:
    """A shim's path differs from the interpreter .venv was made with, and uv then rebuilds
    .venv on every `make run`; the bootstrap resolves the real one (measured: 65 s → 1.4 s)."""
    shims = tmp_path / "shims"
    shims.mkdir()
    shim = shims / "python3.13"
    shim.write_text(f'#!/bin/sh\nexec "{os.path.realpath(sys.executable)}" "$@"\n')
    shim.chmod(0o755)
    script = (REPO / "scripts" / "bootstrap").read_text()
    find_python = script[script.index("find_python() {") : script.index("\n}\n", script.index("find_python() {")) + 3]

    found = subprocess.run(
        ["bash", "-c", f"{find_python}\nfind_python"],
        env={"PATH": f"{shims}:/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == os.path.realpath(sys.executable)
