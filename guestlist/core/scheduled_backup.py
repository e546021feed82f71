"""The owner's scheduled backup: the job runner's ``backup`` job (daily at
``SiteSettings.backup_time``, see ``jobs.runner.has_work``).

It writes ``guestlist-YYYYMMDD-HHMMSS.zip`` into the backup folder with the code of
``guestlist backup`` (SQLite) or ``pg_dump`` (PostgreSQL), then deletes all but the newest
``backup_keep`` of those files. A failure raises, so the job's status (shown under Settings →
Backups and in "Needs attention") carries the reason.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

from guestlist.core.backup import BackupError, backup_install, backup_postgres
from guestlist.core.models import SiteSettings

# Only files of this name are ever pruned, whatever else lives in the folder.
BACKUP_NAME = re.compile(r"^guestlist-\d{8}-\d{6}\.zip$")


def backup_folder(site: SiteSettings) -> Path:
    return Path(site.backup_dir) if site.backup_dir else Path(settings.DATA_DIR) / "backups"


def run() -> str:
    site = SiteSettings.load()
    folder = backup_folder(site)
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"The backup folder {folder} cannot be created: {exc.strerror}.") from exc
    target = folder / f"guestlist-{timezone.localtime():%Y%m%d-%H%M%S}.zip"
    if connection.vendor == "sqlite":
        summary = backup_install(target)
        what = f"{summary.describe()} and the secret key"
    else:
        backup_postgres(connection.settings_dict, target, secret_key=settings.SECRET_KEY)
        what = "the PostgreSQL database (pg_dump) and the secret key"
    removed = prune(folder, site.backup_keep)
    kept = f"; removed {len(removed)} older backup(s)" if removed else ""
    return f"Wrote {target} with {what}{kept}."


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` scheduled backups in ``folder``; returns the deleted."""
    backups = sorted((p for p in folder.iterdir() if BACKUP_NAME.match(p.name)), key=lambda p: p.name, reverse=True)
    removed = backups[max(keep, 1) :]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed
