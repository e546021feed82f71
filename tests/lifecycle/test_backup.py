"""``guestlist backup`` and ``guestlist restore``: a consistent copy of the database and the
secret key while the app runs; a checked restore into a stopped install."""

from __future__ import annotations

import json
import shutil
import sqlite3
import stat
import threading
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from guestlist import cli
from guestlist.core.audit import Actor, record
from guestlist.core.backup import BackupError, Target, backup_install, read_backup, restore_sqlite
from guestlist.lib import crypto, liveness
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from tests.lifecycle.conftest import new_invite, redeem_email
from tests.lifecycle.installs import Install

sqlite_only = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="PostgreSQL installs are backed up with pg_dump (tested below)",
)


def known_migrations() -> set[tuple[str, str]]:
    return set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)


def target_in(folder: Path) -> Target:
    folder.mkdir(parents=True, exist_ok=True)
    return Target(database=folder / "guestlist.sqlite3", key_file=folder / "secret_key")


@pytest.fixture
def backup_file(transactional_db: None, server: MediaServer, sim: PlexSimulator, tmp_path: Path) -> Iterator[Path]:
    """A backup of an install with a connected server, invites and members."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL installs are backed up with pg_dump")
    for number in range(3):
        redeem_email(new_invite(), f"person{number}@example.org")
    path = tmp_path / "guestlist-backup.zip"
    backup_install(path)
    yield path


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_a_backup_is_consistent_while_the_app_keeps_writing(
    server: MediaServer, sim: PlexSimulator, tmp_path: Path
) -> None:
    redeem_email(new_invite())
    writing = threading.Event()
    stop = threading.Event()
    written = [0]

    def keep_writing() -> None:
        try:
            while not stop.is_set():
                record(Actor.system(), "test.write", label=f"row {written[0]}")
                written[0] += 1
                writing.set()
        finally:
            connection.close()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        writing.wait(10)
        path = tmp_path / "backup.zip"
        summary = backup_install(path)
    finally:
        stop.set()
        writer.join(30)
    assert written[0] > 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600, "the file holds the secret key"
    assert summary.counts == {"servers": 1, "invites": 1, "members": 1, "admins": 1}
    with zipfile.ZipFile(path) as archive:
        assert set(archive.namelist()) == {"manifest.json", "guestlist.sqlite3", "secret_key"}
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["format"] == "guestlist-backup" and manifest["version"] == 1
        assert archive.read("secret_key").decode() == settings.SECRET_KEY
        copy = tmp_path / "copy.sqlite3"
        copy.write_bytes(archive.read("guestlist.sqlite3"))
    db = sqlite3.connect(copy)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        copied = db.execute("SELECT COUNT(*) FROM core_auditevent WHERE action = 'test.write'").fetchone()[0]
        assert copied <= written[0], "a snapshot of one moment, not rows from after it"
        token = db.execute("SELECT admin_token_encrypted FROM plex_mediaserver").fetchone()[0]
    finally:
        db.close()
    assert crypto.opens_with(settings.SECRET_KEY, token)
    assert not list(tmp_path.glob(".*")), "no half-written files are left behind"


def test_a_backup_restores_into_an_empty_install_and_is_checked(backup_file: Path, tmp_path: Path) -> None:
    target = target_in(tmp_path / "new-install")
    summary = restore_sqlite(backup_file, target, known_migrations=known_migrations())
    assert summary.counts == {"servers": 1, "invites": 3, "members": 3, "admins": 1}
    assert summary.previous is None
    assert not summary.migrations_pending
    assert target.key_file.read_text() == settings.SECRET_KEY
    assert stat.S_IMODE(target.key_file.stat().st_mode) == 0o600
    db = sqlite3.connect(target.database)
    try:
        assert db.execute("SELECT COUNT(*) FROM invites_redemption").fetchone()[0] == 3
    finally:
        db.close()


def test_restore_keeps_the_database_and_key_it_replaces(backup_file: Path, tmp_path: Path) -> None:
    target = target_in(tmp_path / "install")
    restore_sqlite(backup_file, target, known_migrations=known_migrations())
    target.key_file.write_text("the old key " * 4)
    summary = restore_sqlite(backup_file, target, known_migrations=known_migrations())
    assert summary.previous is not None and summary.previous.exists()
    assert [path.name for path in target.database.parent.glob("secret_key.before-restore-*")]
    assert target.key_file.read_text() == settings.SECRET_KEY


def test_restore_refuses_while_guestlist_runs_on_the_install(backup_file: Path, tmp_path: Path) -> None:
    target = target_in(tmp_path / "install")
    restore_sqlite(backup_file, target, known_migrations=known_migrations())
    until = (timezone.now() + timedelta(seconds=30)).strftime("%Y-%m-%d %H:%M:%S")
    db = sqlite3.connect(target.database)
    with db:
        db.execute(
            "INSERT INTO jobs_joblease (name, holder, expires_at) VALUES ('runner', ?, ?)",
            (f"{liveness.identity()}:cafe", until),
        )
    db.close()
    with pytest.raises(BackupError, match="Guestlist is running"):
        restore_sqlite(backup_file, target, known_migrations=known_migrations())
    # A runner that died without letting go does not block a restore.
    db = sqlite3.connect(target.database)
    with db:
        db.execute("UPDATE jobs_joblease SET holder = 'elsewhere-gone:1:1:1:x', expires_at = '2000-01-01 00:00:00'")
    db.close()
    restore_sqlite(backup_file, target, known_migrations=known_migrations())


def test_restore_refuses_while_the_database_is_locked(backup_file: Path, tmp_path: Path) -> None:
    target = target_in(tmp_path / "install")
    restore_sqlite(backup_file, target, known_migrations=known_migrations())
    holder = sqlite3.connect(target.database)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(BackupError, match="in use"):
            restore_sqlite(backup_file, target, known_migrations=known_migrations())
    finally:
        holder.rollback()
        holder.close()


def rewrite(backup: Path, destination: Path, **replace: Any) -> Path:
    with zipfile.ZipFile(backup) as source, zipfile.ZipFile(destination, "w") as copy:
        for name in source.namelist():
            if replace.get(name, "") is None:
                continue
            copy.writestr(name, replace.get(name, source.read(name)))
    return destination


def test_restore_refuses_files_that_are_not_sound_backups(backup_file: Path, tmp_path: Path) -> None:
    target = target_in(tmp_path / "install")
    junk = tmp_path / "junk.zip"
    junk.write_text("not a zip")
    manifest = json.loads(zipfile.ZipFile(backup_file).read("manifest.json"))
    cases = {
        "not a readable Guestlist backup": junk,
        "There is no file": tmp_path / "missing.zip",
        "lacks manifest.json": rewrite(backup_file, tmp_path / "a.zip", **{"manifest.json": None}),
        "format 2": rewrite(
            backup_file, tmp_path / "b.zip", **{"manifest.json": json.dumps(manifest | {"version": 2})}
        ),
        "damaged": rewrite(backup_file, tmp_path / "c.zip", **{"guestlist.sqlite3": b"\0" * 4096}),
        "does not open the Plex tokens": rewrite(backup_file, tmp_path / "d.zip", secret_key="x" * 50),
    }
    for message, path in cases.items():
        with pytest.raises(BackupError, match=message):
            restore_sqlite(path, target, known_migrations=known_migrations())
    assert not target.database.exists(), "a refused restore changes nothing"
    assert not list(target.database.parent.iterdir())


def test_restore_refuses_a_backup_from_a_newer_guestlist(backup_file: Path, tmp_path: Path) -> None:
    older_code = known_migrations() - {("plex", "0002_plexoperation_locked_by")}
    with pytest.raises(BackupError, match="newer Guestlist"):
        restore_sqlite(backup_file, target_in(tmp_path / "install"), known_migrations=older_code)


def test_an_older_backup_is_restored_and_left_for_serve_to_migrate(backup_file: Path, tmp_path: Path) -> None:
    newer_code = known_migrations() | {("plex", "9999_future")}
    summary = restore_sqlite(backup_file, target_in(tmp_path / "install"), known_migrations=newer_code)
    assert summary.migrations_pending


def test_restore_refuses_when_guestlist_secret_key_names_another_key(backup_file: Path, tmp_path: Path) -> None:
    target = Target(tmp_path / "guestlist.sqlite3", tmp_path / "secret_key", env_secret_key="a-different-key" * 3)
    with pytest.raises(BackupError, match="GUESTLIST_SECRET_KEY is set and differs"):
        restore_sqlite(backup_file, target, known_migrations=known_migrations())
    assert read_backup(backup_file)[2] == settings.SECRET_KEY


@pytest.mark.django_db
def test_postgres_installs_are_told_to_use_pg_dump(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setattr(connection, "vendor", "postgresql")
    assert cli.main(["backup", str(tmp_path / "x.zip")]) == 1
    err = capsys.readouterr().err
    assert "pg_dump" in err and "secret key" in err
    assert err.count("\n") == 1
    assert cli.main(["restore", str(tmp_path / "x.zip")]) == 1
    assert "pg_restore" in capsys.readouterr().err


@sqlite_only
@pytest.mark.django_db
def test_backup_usage_mistakes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["backup"])
    assert exited.value.code == 2
    capsys.readouterr()
    assert cli.main(["backup", str(tmp_path / "no-such-folder" / "x.zip")]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert cli.main(["restore", str(tmp_path / "missing.zip")]) == 1


@pytest.mark.slow
def test_backup_of_a_running_install_restores_elsewhere_and_still_talks_to_plex(
    sim: PlexSimulator, tmp_path: Path
) -> None:
    """End to end through the CLI: the restored install can read its stored Plex token."""
    source = Install(tmp_path / "source", sim)
    source.data_dir.mkdir()
    source.set_up()
    try:
        source.start()
        source.wait_until_serving()
        status, invite = source.post("/api/invites/", {"usage_limit": 5})
        assert status == 201
        for number in range(3):
            assert source.post("/api/invites/redeem", {"code": invite["code"], "email": f"p{number}@example.org"})[0]
        backup = tmp_path / "backups" / "guestlist.zip"
        backup.parent.mkdir()
        made = source.cli("backup", str(backup))
        assert "Backed up 1 servers, 1 invites, 3 members, 1 admins and the secret key" in made.stdout
        refused = source.cli("restore", str(backup), check=False)
        assert refused.returncode == 1
        assert "Stop it first" in refused.stderr
    finally:
        source.stop_all()

    elsewhere = Install(tmp_path / "elsewhere", sim)
    elsewhere.data_dir.mkdir()
    restored = elsewhere.cli("restore", str(backup))
    assert "1 servers, 1 invites, 3 members, 1 admins" in restored.stdout
    assert (elsewhere.data_dir / "secret_key").read_text() == (source.data_dir / "secret_key").read_text()
    synced = elsewhere.cli("sync")
    assert "Synced with Plex" in synced.stdout
    shutil.rmtree(source.data_dir)
