"""``guestlist doctor`` on a healthy install and on broken ones: it names the problem, says
what to do, and exits 0 only when all is well."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from guestlist import cli
from guestlist.doctor import Finding, check_data_dir, check_database, check_plex, report, run_checks
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator


def problems(findings: list[Finding]) -> list[str]:
    return [f"{f.area}: {f.message}" for f in findings if not f.ok]


def test_a_healthy_install_passes_every_check_and_exits_zero(
    server: MediaServer, capsys: pytest.CaptureFixture[str], db: None
) -> None:
    assert problems(list(run_checks())) == []
    assert cli.main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "All is well." in out
    assert "token accepted" in out
    assert "clock" in out


def test_it_names_a_rejected_plex_token_and_how_to_fix_it(server: MediaServer, sim: PlexSimulator, db: None) -> None:
    sim.inject_fault("GET", "/api/v2/user", status=401, times=None)
    sim.inject_fault("GET", "/users/account", status=401, times=None)
    findings = list(check_plex())
    rejected = [f for f in findings if not f.ok and "rejected the owner's token" in f.message]
    assert rejected, findings
    assert "Settings > Connection" in rejected[0].fix


def test_it_names_a_plex_server_that_does_not_answer(server: MediaServer, db: None) -> None:
    MediaServer.objects.filter(pk=server.pk).update(base_url="http://127.0.0.1:9")
    server.refresh_from_db()
    found = problems(list(check_plex()))
    assert any("did not answer" in line for line in found), found


def test_it_names_a_clock_that_is_off_against_plex(server: MediaServer, sim: PlexSimulator, db: None) -> None:
    sim.configure(clock_offset_seconds=-600)
    found = problems(list(check_plex()))
    assert any(re.search(r"its clock is 60[01] s behind this machine", line) for line in found), found


def test_it_says_when_no_plex_server_is_connected(db: None) -> None:
    found = list(check_plex())
    assert problems(found) == ["plex: no Plex server is connected"]
    assert "guestlist server add" in found[0].fix


def test_it_names_files_in_the_data_dir_this_user_cannot_write(
    settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "secret_key").write_text("x" * 40)
    (data / "secret_key").chmod(0o644)
    settings.DATA_DIR = data
    found = list(check_data_dir())
    assert any("readable by other users" in f.message and f.fix.startswith("chmod 600") for f in found), found


def test_it_names_files_in_the_data_dir_that_belong_to_another_user(
    settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "guestlist.sqlite3").write_text("")
    settings.DATA_DIR = data
    # Guestlist running as another uid than the one that owns the files (a changed PUID).
    monkeypatch.setattr(os, "geteuid", lambda: os.stat(data).st_uid + 4242)
    monkeypatch.setattr(os, "access", lambda path, mode: True)
    found = problems(list(check_data_dir()))
    assert len(found) == 1 and "belong to another user" in found[0], found


def test_it_names_migrations_not_yet_applied(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db.migrations.executor import MigrationExecutor

    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: [("jobs", "9999_future")])
    found = list(check_database())
    assert problems(found) == ["database: 1 migration(s) not applied yet"]
    assert "guestlist serve" in found[0].fix


def test_it_names_a_database_it_cannot_reach(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "GUESTLIST_DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": "postgres://nobody:wrong@127.0.0.1:9/nothing",
        "PLEXAPI_CONFIG_PATH": "/nonexistent",
    }
    done = subprocess.run(
        [sys.executable, "-m", "guestlist", "doctor"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "PROBLEM database: cannot connect" in done.stdout
    assert "check DATABASE_URL" in done.stdout


def test_it_names_a_bad_setting_and_exits_one(tmp_path: Path) -> None:
    env = {**os.environ, "GUESTLIST_DATA_DIR": str(tmp_path / "data"), "GUESTLIST_RATE_LIMITS": "perhaps"}
    done = subprocess.run(
        [sys.executable, "-m", "guestlist", "doctor"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 1
    assert "PROBLEM configuration: GUESTLIST_RATE_LIMITS='perhaps' is not a boolean" in done.stdout


def test_the_report_counts_problems_and_prints_fixes() -> None:
    lines: list[str] = []
    ok = report([Finding("a", True, "fine"), Finding("b", False, "broken", "mend it")], lines.append)
    assert not ok
    assert lines == ["ok      a: fine", "PROBLEM b: broken", "        fix: mend it", "1 problem(s) to fix."]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_trgm is PostgreSQL's")
def test_on_postgresql_it_recreates_search_indexes_that_are_missing(db: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS invite_code_trgm_idx")
    found = list(check_database())
    assert problems(found) == []
    assert any("created the search indexes invite_code_trgm_idx" in f.message for f in found), found
