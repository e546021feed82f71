"""``guestlist backup`` and ``guestlist restore``: the database and the secret key, together.

A backup is one ZIP file:

- ``manifest.json``: ``{"format": "guestlist-backup", "version": 1, "created_at",
  "guestlist_version", "database": "sqlite", "counts": {...}}``;
- ``guestlist.sqlite3``: a consistent copy made with SQLite's online backup API, so the
  app may keep running and writing while it is taken;
- ``secret_key``: the install's secret key. Stored Plex tokens are encrypted with a key
  derived from it, so a database without its key cannot talk to Plex any more.

The file therefore holds secrets: it is written readable by its owner only.

Restore goes into a stopped install: it refuses while a job runner holds the lease or the
database is locked, checks the copy (integrity, known migrations, tokens that open with
the key in the file) before touching anything, keeps the previous database and key next
to the new ones, and checks the result again.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import sqlite3
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from guestlist import __version__
from guestlist.lib import crypto, liveness
from guestlist.lib.datadir import SECRET_KEY_FILE, write_private
from guestlist.lib.env import env_secret

FORMAT = "guestlist-backup"
VERSION = 1
DATABASE_MEMBER = "guestlist.sqlite3"
KEY_MEMBER = "secret_key"
MANIFEST_MEMBER = "manifest.json"
COUNTED_TABLES = {
    "servers": "plex_mediaserver",
    "invites": "invites_invite",
    "members": "members_member",
    "admins": "auth_user",
}


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    created_at: str
    counts: dict[str, int]
    previous: Path | None = None  # restore only: where the replaced database was kept
    migrations_pending: bool = False  # restore only: the backup is older than this version

    def describe(self) -> str:
        return ", ".join(f"{count} {name}" for name, count in self.counts.items())


# Backup


def backup_sqlite(database: Path, destination: Path, *, secret_key: str) -> BackupSummary:
    """Write a consistent copy of ``database`` and the key to ``destination`` (a ZIP)."""
    if not database.exists():
        raise BackupError(f"There is no database at {database} to back up.")
    destination = destination.expanduser().resolve()
    if destination.is_dir():
        raise BackupError(f"{destination} is a directory; name the backup file, e.g. {destination}/guestlist.zip.")
    if not destination.parent.is_dir():
        raise BackupError(f"The folder {destination.parent} does not exist.")
    draft = destination.with_name(f".{destination.name}.{secrets.token_hex(4)}.tmp")
    copy = destination.with_name(f".{destination.name}.{secrets.token_hex(4)}.sqlite3")
    try:
        _online_copy(database, copy)
        problem = integrity_problem(copy)
        if problem:
            raise BackupError(f"The copy of the database failed its integrity check ({problem}).")
        counts = count_rows(copy)
        created_at = datetime.now(UTC).isoformat(timespec="seconds")
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": created_at,
            "guestlist_version": __version__,
            "database": "sqlite",
            "counts": counts,
        }
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle, zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(MANIFEST_MEMBER, json.dumps(manifest, indent=2))
            archive.write(copy, DATABASE_MEMBER)
            archive.writestr(KEY_MEMBER, secret_key)
        os.replace(draft, destination)
    except OSError as exc:
        raise BackupError(f"Could not write {destination}: {exc.strerror or exc}.") from exc
    finally:
        draft.unlink(missing_ok=True)
        copy.unlink(missing_ok=True)
    return BackupSummary(destination, created_at, counts)


def _online_copy(database: Path, copy: Path) -> None:
    # A fresh connection of our own: the copy is one read transaction, so it is a single
    # consistent snapshot even while the app writes (WAL lets writers carry on).
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    target = sqlite3.connect(copy)
    try:
        source.backup(target)
        # The copy stands alone: no -wal file has to travel with it.
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()
        source.close()


def integrity_problem(database: Path) -> str:
    """Empty when SQLite finds the file sound, else its first complaint."""
    try:
        with _reading(database) as db:
            row = db.execute("PRAGMA integrity_check").fetchone()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    result = str(row[0]) if row else "no answer"
    return "" if result == "ok" else result


def count_rows(database: Path) -> dict[str, int]:
    counts = {}
    with _reading(database) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        for label, table in COUNTED_TABLES.items():
            if table in tables:
                counts[label] = int(db.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])  # noqa: S608
    return counts


@contextlib.contextmanager
def _reading(database: Path) -> Iterator[sqlite3.Connection]:
    db = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    try:
        yield db
    finally:
        db.close()


# Restore


@dataclass(frozen=True)
class Target:
    """Where a restore goes: the install's SQLite file and its key file."""

    database: Path
    key_file: Path
    env_secret_key: str | None = None  # GUESTLIST_SECRET_KEY, when the key comes from there


def read_backup(path: Path) -> tuple[dict[str, Any], bytes, str]:
    """The manifest, the database bytes and the secret key of a backup file."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if not {MANIFEST_MEMBER, DATABASE_MEMBER, KEY_MEMBER} <= names:
                raise BackupError(
                    f"{path} is not a Guestlist backup (it lacks {MANIFEST_MEMBER}, the database or the key)."
                )
            manifest = json.loads(archive.read(MANIFEST_MEMBER))
            database = archive.read(DATABASE_MEMBER)
            key = archive.read(KEY_MEMBER).decode().strip()
    except FileNotFoundError as exc:
        raise BackupError(f"There is no file {path}.") from exc
    except (zipfile.BadZipFile, ValueError, UnicodeDecodeError) as exc:
        raise BackupError(f"{path} is not a readable Guestlist backup ({exc}).") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a Guestlist backup.")
    if manifest.get("version") != VERSION:
        raise BackupError(
            f"{path} is a backup of format {manifest.get('version')}; this Guestlist reads format {VERSION}."
        )
    if not key:
        raise BackupError(f"The secret key in {path} is empty; the backup is damaged.")
    return manifest, database, key


def restore_sqlite(path: Path, target: Target, *, known_migrations: set[tuple[str, str]]) -> BackupSummary:
    manifest, data, key = read_backup(path)
    if target.env_secret_key and target.env_secret_key != key:
        raise BackupError(
            "GUESTLIST_SECRET_KEY is set and differs from the key in the backup, so the restored Plex tokens "
            "could not be read. Unset it (the backup's key is written to the data directory) or set it to the "
            f"backup's key (the file {KEY_MEMBER} inside {path.name})."
        )
    ensure_stopped(target.database)
    database = target.database
    staged = database.with_name(f".{database.name}.restore-{secrets.token_hex(4)}")
    try:
        write_private(staged, data)
        pending = check_database(staged, key, known_migrations)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        previous = _set_aside(database, stamp)
        _set_aside(target.key_file, stamp)
        for suffix in ("-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        os.replace(staged, database)
        _write_key(target.key_file, key)
    except OSError as exc:
        raise BackupError(f"Could not restore into {database.parent}: {exc.strerror or exc}.") from exc
    finally:
        staged.unlink(missing_ok=True)
    # Checked once more where it now lives, with the key as it now lies on disk.
    check_database(database, target.key_file.read_text().strip(), known_migrations)
    return BackupSummary(
        path, str(manifest.get("created_at", "")), count_rows(database), previous=previous, migrations_pending=pending
    )


def ensure_stopped(database: Path) -> None:
    """Refuse while Guestlist still runs on this database."""
    if not database.exists():
        return
    try:
        db = sqlite3.connect(database, timeout=0.5)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"The current database at {database} cannot be opened: {exc}.") from exc
    try:
        holder = _live_lease(db)
        if holder:
            raise BackupError(
                f"Guestlist is running on this data directory (its job runner {holder} is active). "
                "Stop it first, then restore."
            )
        try:
            db.execute("BEGIN IMMEDIATE")
            db.execute("ROLLBACK")
        except sqlite3.OperationalError as exc:
            raise BackupError(f"The database is in use ({exc}); stop Guestlist first, then restore.") from exc
    finally:
        db.close()


def _live_lease(db: sqlite3.Connection) -> str:
    try:
        rows = db.execute("SELECT holder, expires_at FROM jobs_joblease WHERE holder != ''").fetchall()
    except sqlite3.DatabaseError:
        return ""  # an install that never ran
    now = datetime.now(UTC)
    for holder, expires_at in rows:
        until = _parse_moment(expires_at)
        if until is not None and until > now and not liveness.is_gone(str(holder)):
            return str(holder)
    return ""


def _parse_moment(value: object) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def check_database(database: Path, key: str, known_migrations: set[tuple[str, str]]) -> bool:
    """Raise unless ``database`` is sound, not newer than this Guestlist, and opens with ``key``.

    Returns True when it is older (``serve`` applies the missing migrations on start).
    """
    problem = integrity_problem(database)
    if problem:
        raise BackupError(f"The database in the backup is damaged ({problem}).")
    with _reading(database) as db:
        try:
            applied = {(str(app), str(name)) for app, name in db.execute("SELECT app, name FROM django_migrations")}
        except sqlite3.DatabaseError as exc:
            raise BackupError("The file in the backup is not a Guestlist database.") from exc
        unknown = sorted(applied - known_migrations)
        if unknown:
            raise BackupError(
                f"The backup comes from a newer Guestlist (migration {unknown[0][0]}.{unknown[0][1]} is unknown "
                f"to {__version__}); upgrade Guestlist, then restore."
            )
        tokens = [row[0] for row in db.execute("SELECT admin_token_encrypted FROM plex_mediaserver")]

    for token in tokens:
        if not crypto.opens_with(key, token):
            raise BackupError("The secret key in the backup does not open the Plex tokens stored with it.")
    return bool(known_migrations - applied)


def _set_aside(path: Path, stamp: str) -> Path | None:
    if not path.exists():
        return None
    kept = path.with_name(f"{path.name}.before-restore-{stamp}")
    os.replace(path, kept)
    return kept


def _write_key(path: Path, key: str) -> None:
    draft = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(key)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(draft, path)


# The install's side: where its database and key are (Django settings).

PG_DUMP_ADVICE = (
    "This install keeps its data in PostgreSQL: back it up with pg_dump, e.g. "
    'pg_dump --format=custom --file=guestlist.dump "$DATABASE_URL", and keep the secret key '
    "(GUESTLIST_SECRET_KEY, or the file secret_key in the data directory) with it: without the key, "
    "stored Plex tokens cannot be read."
)
PG_RESTORE_ADVICE = (
    "This install keeps its data in PostgreSQL: restore it with pg_restore "
    '(e.g. pg_restore --clean --dbname="$DATABASE_URL" guestlist.dump) and put the secret key back in place.'
)


def backup_install(destination: Path) -> BackupSummary:
    if connection.vendor != "sqlite":
        raise BackupError(PG_DUMP_ADVICE)
    return backup_sqlite(Path(str(connection.settings_dict["NAME"])), destination, secret_key=settings.SECRET_KEY)


PG_DUMP_MISSING = (
    "pg_dump is not installed here, so the PostgreSQL database cannot be backed up by Guestlist: "
    "install PostgreSQL's client tools (Debian: apt-get install postgresql-client; the container image has "
    "them), or back the database up with your own tools."
)
PG_DUMP_MEMBER = "guestlist.pgdump"


def backup_postgres(settings_dict: dict[str, Any], destination: Path, *, secret_key: str) -> BackupSummary:
    """``pg_dump --format=custom`` of the database plus the secret key, in one ZIP like the
    SQLite backup (restore: unzip, ``pg_restore --clean --dbname=...``, put the key back)."""
    import shutil
    import subprocess

    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupError(PG_DUMP_MISSING)
    destination = destination.expanduser().resolve()
    draft = destination.with_name(f".{destination.name}.{secrets.token_hex(4)}.tmp")
    dump = destination.with_name(f".{destination.name}.{secrets.token_hex(4)}.pgdump")
    # Connection details go in the environment: a password on the command line shows in ps.
    env = {
        **os.environ,
        "PGHOST": str(settings_dict.get("HOST") or ""),
        "PGPORT": str(settings_dict.get("PORT") or ""),
        "PGUSER": str(settings_dict.get("USER") or ""),
        "PGPASSWORD": str(settings_dict.get("PASSWORD") or ""),
        "PGDATABASE": str(settings_dict.get("NAME") or ""),
    }
    env = {name: value for name, value in env.items() if value}
    try:
        done = subprocess.run(  # noqa: S603 - pg_dump found on PATH, arguments are ours
            [pg_dump, "--format=custom", "--no-password", f"--file={dump}"],
            env=env,
            capture_output=True,
            text=True,
            timeout=3600,
            check=False,
        )
        if done.returncode != 0:
            words = (done.stderr or done.stdout).strip().splitlines()
            raise BackupError(f"pg_dump failed: {words[-1] if words else f'exit code {done.returncode}'}")
        created_at = datetime.now(UTC).isoformat(timespec="seconds")
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": created_at,
            "guestlist_version": __version__,
            "database": "postgresql",
            "counts": {},
        }
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle, zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(MANIFEST_MEMBER, json.dumps(manifest, indent=2))
            archive.write(dump, PG_DUMP_MEMBER)
            archive.writestr(KEY_MEMBER, secret_key)
        os.replace(draft, destination)
    except OSError as exc:
        raise BackupError(f"Could not write {destination}: {exc.strerror or exc}.") from exc
    except subprocess.TimeoutExpired as exc:
        raise BackupError("pg_dump took longer than an hour and was stopped.") from exc
    finally:
        draft.unlink(missing_ok=True)
        dump.unlink(missing_ok=True)
    return BackupSummary(destination, created_at, {})


def restore_install(path: Path) -> BackupSummary:
    if connection.vendor != "sqlite":
        raise BackupError(PG_RESTORE_ADVICE)
    connection.close()
    known = {(app, name) for app, name in MigrationLoader(None, ignore_no_migrations=True).disk_migrations}
    target = Target(
        database=Path(str(connection.settings_dict["NAME"])),
        key_file=Path(settings.DATA_DIR) / SECRET_KEY_FILE,
        env_secret_key=env_secret("GUESTLIST_SECRET_KEY"),
    )
    return restore_sqlite(path.expanduser().resolve(), target, known_migrations=known)
