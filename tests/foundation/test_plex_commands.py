from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from guestlist import cli
from guestlist.plex.models import Library, MediaServer
from guestlist.plexsim import PlexSimulator
from tests.conftest import OWNER_PLEX_TOKEN, SERVER_NAME


def test_server_add_checks_and_stores_the_server_with_its_libraries(
    sim: PlexSimulator, capsys: pytest.CaptureFixture[str], db: None
) -> None:
    assert cli.main(["server", "add", "--url", sim.pms_url + "/", "--token", OWNER_PLEX_TOKEN]) == 0
    server = MediaServer.objects.get()
    assert server.name == SERVER_NAME
    assert server.base_url == sim.pms_url
    assert server.owner_username == "plexowner"
    assert [library.title for library in Library.objects.order_by("key")] == ["Movies", "TV Shows", "Music", "Photos"]
    assert all(library.global_id for library in Library.objects.all())
    out = capsys.readouterr().out
    assert "Connected 'Guestlist Test'" in out
    assert OWNER_PLEX_TOKEN not in out


def test_server_add_with_a_wrong_token_says_so_in_one_line(
    sim: PlexSimulator, capsys: pytest.CaptureFixture[str], db: None
) -> None:
    assert cli.main(["server", "add", "--url", sim.pms_url, "--token", "not-the-token"]) == 1
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1
    assert "rejected the token" in error
    assert "not-the-token" not in error
    assert not MediaServer.objects.exists()


def test_server_add_with_an_unreachable_url_says_which(
    sim: PlexSimulator, capsys: pytest.CaptureFixture[str], db: None
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    assert cli.main(["server", "add", "--url", f"http://127.0.0.1:{dead_port}", "--token", OWNER_PLEX_TOKEN]) == 1
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1
    assert f"127.0.0.1:{dead_port} did not answer" in error


def test_server_add_refuses_a_url_without_a_scheme(capsys: pytest.CaptureFixture[str], db: None) -> None:
    assert cli.main(["server", "add", "--url", "192.168.1.5:32400", "--token", "x"]) == 1
    assert "http://" in capsys.readouterr().err


@pytest.mark.slow
def test_demo_serves_a_connected_server_with_its_libraries(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GUESTLIST_", "DATABASE_URL"))}
    env.update(GUESTLIST_DATA_DIR=str(tmp_path / "demo"), GUESTLIST_DEMO_PLEX_PORT="0")
    demo = subprocess.Popen(
        [sys.executable, "-m", "guestlist", "demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{base}/healthz", timeout=1).ok:
                    break
            time.sleep(0.2)
        session = requests.Session()
        login = session.get(f"{base}/login", timeout=5)
        token = session.cookies["guestlist_csrftoken"]
        response = session.post(
            f"{base}/login",
            data={"username": "admin", "password": "guestlist-demo", "csrfmiddlewaretoken": token},
            headers={"Referer": f"{base}/login"},
            timeout=10,
        )
        assert login.ok and response.ok
        overview = session.get(f"{base}/", timeout=10).text
        assert "Guestlist Demo" in overview
        for title in ("Movies", "TV Shows", "Music", "Photos"):
            assert title in overview
    finally:
        os.killpg(demo.pid, signal.SIGTERM)
        output, _ = demo.communicate(timeout=30)
    assert "password 'guestlist-demo'" in output


def test_server_add_reads_the_token_from_standard_input_so_it_stays_out_of_history_and_ps(
    sim: PlexSimulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, db: None
) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(OWNER_PLEX_TOKEN + "\n"))
    assert cli.main(["server", "add", "--url", sim.pms_url, "--token", "-"]) == 0
    assert MediaServer.objects.get().name == SERVER_NAME
    assert OWNER_PLEX_TOKEN not in capsys.readouterr().out


def test_server_add_reads_the_token_from_a_file(
    sim: PlexSimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str], db: None
) -> None:
    token_file = tmp_path / "plex-token"
    token_file.write_text(f"  {OWNER_PLEX_TOKEN}\n")
    assert cli.main(["server", "add", "--url", sim.pms_url, "--token-file", str(token_file)]) == 0
    assert MediaServer.objects.get().name == SERVER_NAME


def test_server_add_refuses_an_empty_or_missing_token_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], db: None
) -> None:
    empty = tmp_path / "empty"
    empty.write_text("\n")
    assert cli.main(["server", "add", "--url", "http://127.0.0.1:1", "--token-file", str(empty)]) == 1
    assert "no Plex token in the file" in capsys.readouterr().err
    assert cli.main(["server", "add", "--url", "http://127.0.0.1:1", "--token-file", str(tmp_path / "nope")]) == 1
    assert "cannot read the token file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        cli.main(["server", "add", "--url", "http://127.0.0.1:1"])
    assert usage.value.code == 2
