"""Scheduled backups: a daily setting, run by the job runner (which asks the database when
one is due), pruned to the newest N, with the last result in Settings and "Needs attention"."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from guestlist.core.audit import Actor
from guestlist.core.backup import BackupError, backup_postgres
from guestlist.core.errors import Invalid
from guestlist.core.models import SiteSettings
from guestlist.core.scheduled_backup import prune
from guestlist.dashboard.attention import needs_attention
from guestlist.jobs.dbwindow import Database
from guestlist.jobs.models import JobStatus
from guestlist.jobs.runner import has_work
from guestlist.jobs.schedule import JOBS
from guestlist.jobs.worker import run_job
from guestlist.lib.daily import last_due
from guestlist.members.site_settings import update_site_settings

BACKUP = next(job for job in JOBS if job.name == "backup")
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def window() -> Iterator[Database]:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        db = Database(database_url=f"sqlite://{settings['NAME']}")
    else:
        db = Database(
            database_url=f"postgresql://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
        )
    yield db
    db.close()


def turn_on(folder: Path, *, at: str = "03:30", keep: int = 3) -> None:
    update_site_settings(
        {"backup_enabled": True, "backup_time": at, "backup_keep": keep, "backup_dir": str(folder)},
        actor=Actor.system(),
    )


def test_the_daily_moment_is_today_once_its_time_passed_else_yesterday() -> None:
    morning = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 03:00 in Berlin
    assert last_due(morning, "03:30", BERLIN) == datetime(2026, 3, 9, 3, 30, tzinfo=BERLIN)
    later = morning + timedelta(hours=1)  # 04:00 in Berlin
    assert last_due(later, "03:30", BERLIN) == datetime(2026, 3, 10, 3, 30, tzinfo=BERLIN)
    assert last_due(later, "25:00", BERLIN) is None


@pytest.mark.django_db(transaction=True)
def test_the_runner_sees_a_backup_due_once_a_day_and_only_when_turned_on(window: Database, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    assert not has_work(window, BACKUP, now), "off by default"
    turn_on(tmp_path, at=now.astimezone(ZoneInfo("UTC")).strftime("%H:%M"))
    assert has_work(window, BACKUP, now + timedelta(seconds=61))
    assert run_job(BACKUP)
    assert not has_work(window, BACKUP, now + timedelta(minutes=5)), "done for today"
    assert has_work(window, BACKUP, now + timedelta(days=1, seconds=61)), "due again tomorrow"


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite backup; PostgreSQL's is below")
def test_a_scheduled_backup_writes_a_restorable_zip_and_keeps_only_the_newest(tmp_path: Path) -> None:
    turn_on(tmp_path / "backups", keep=2)
    old = tmp_path / "backups"
    old.mkdir()
    for stamp in ("20200101-000000", "20200102-000000", "20200103-000000"):
        (old / f"guestlist-{stamp}.zip").write_text("old")
    (old / "notes.txt").write_text("not ours")
    assert run_job(BACKUP)
    status = JobStatus.objects.get(name="backup")
    assert status.last_ok, status.last_error
    files = sorted(p.name for p in old.iterdir())
    assert len(files) == 3 and files[0] == "guestlist-20200103-000000.zip" and files[2] == "notes.txt", files
    newest = max((p for p in old.iterdir() if p.name.startswith("guestlist-")), key=lambda p: p.name)
    with zipfile.ZipFile(newest) as archive:
        assert {"manifest.json", "guestlist.sqlite3", "secret_key"} <= set(archive.namelist())
    assert "removed 2 older backup(s)" in status.last_summary
    assert (old / "notes.txt").exists(), "only our own backups are pruned"


def test_prune_keeps_the_newest_by_name(tmp_path: Path) -> None:
    for day in range(1, 6):
        (tmp_path / f"guestlist-2026010{day}-120000.zip").write_text("")
    removed = prune(tmp_path, 2)
    assert sorted(p.name for p in removed) == [f"guestlist-2026010{d}-120000.zip" for d in (1, 2, 3)]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "guestlist-20260104-120000.zip",
        "guestlist-20260105-120000.zip",
    ]


@pytest.mark.django_db(transaction=True)
def test_a_failed_backup_shows_in_settings_and_in_needs_attention(
    tmp_path: Path, owner_client: Client, settings: Any
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    turn_on(blocker / "backups")  # a folder inside a file cannot be made
    assert run_job(BACKUP)
    status = JobStatus.objects.get(name="backup")
    assert status.last_ok is False
    assert "cannot be created" in status.last_error
    item = next(i for i in needs_attention() if i.link == reverse("settings-backups"))
    assert item.level == "error" and "cannot be created" in item.detail
    page = owner_client.get("/settings/backups")
    assert page.status_code == 200
    assert "Failed on" in page.content.decode()
    assert "cannot be created" in page.content.decode()


def test_the_settings_page_saves_the_schedule(owner_client: Client, tmp_path: Path) -> None:
    answer = owner_client.post(
        "/settings/backups",
        {"backup_enabled": "on", "backup_time": "04:15", "backup_keep": "10", "backup_dir": str(tmp_path)},
    )
    assert answer.status_code == 302
    site = SiteSettings.load()
    assert (site.backup_enabled, site.backup_time, site.backup_keep, site.backup_dir) == (
        True,
        "04:15",
        10,
        str(tmp_path),
    )
    refused = owner_client.post(
        "/settings/backups", {"backup_time": "4 pm", "backup_keep": "10", "backup_dir": "relative/path"}
    )
    assert refused.status_code == 200
    assert SiteSettings.load().backup_time == "04:15"


def test_it_refuses_a_bad_time_or_a_relative_folder(db: None) -> None:
    with pytest.raises(Invalid, match="HH:MM"):
        update_site_settings({"backup_time": "7"}, actor=Actor.system())
    with pytest.raises(Invalid, match="absolute path"):
        update_site_settings({"backup_dir": "backups"}, actor=Actor.system())


def test_on_postgresql_without_pg_dump_it_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BackupError, match="pg_dump is not installed"):
        backup_postgres({"NAME": "guestlist"}, tmp_path / "x.zip", secret_key="k" * 40)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump backs up PostgreSQL")
def test_on_postgresql_the_scheduled_backup_uses_pg_dump(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import glob
    import os

    pg_bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    if pg_bins:
        monkeypatch.setenv("PATH", f"{pg_bins[-1]}{os.pathsep}{os.environ.get('PATH', '')}")
    turn_on(tmp_path)
    assert run_job(BACKUP)
    status = JobStatus.objects.get(name="backup")
    assert status.last_ok, status.last_error
    assert "pg_dump" in status.last_summary
    written = next(tmp_path.glob("guestlist-*.zip"))
    with zipfile.ZipFile(written) as archive:
        assert {"manifest.json", "guestlist.pgdump", "secret_key"} <= set(archive.namelist())
        assert archive.read("guestlist.pgdump").startswith(b"PGDMP")
