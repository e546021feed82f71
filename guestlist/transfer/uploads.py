"""A file uploaded in Settings → Import, kept only between the preview and the confirmation.

It is written into the data directory (``imports/``, readable by Guestlist's user only),
named by a random token that only the uploading admin's session knows, and removed when the
import is confirmed or cancelled; anything left behind by an abandoned preview is removed
after an hour, at the next upload.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings

from guestlist.transfer.records import ImportFileError

MAX_UPLOAD_BYTES = 512 * 1024 * 1024  # Wizarr's database with its activity history can be large
STALE_SECONDS = 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def upload_dir() -> Path:
    path = Path(settings.DATA_DIR) / "imports"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def keep_upload(chunks: Iterable[bytes]) -> str:
    discard_stale()
    token = secrets.token_urlsafe(24)
    path = upload_dir() / f"{token}.upload"
    written = 0
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as out:
            for chunk in chunks:
                written += len(chunk)
                if written > MAX_UPLOAD_BYTES:
                    raise ImportFileError(f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return token


def upload_path(token: str) -> Path:
    path = upload_dir() / f"{token}.upload" if _TOKEN.match(token or "") else None
    if path is None or not path.is_file():
        raise ImportFileError("The uploaded file is no longer here; upload it again.")
    return path


def discard(token: str) -> None:
    if _TOKEN.match(token or ""):
        (upload_dir() / f"{token}.upload").unlink(missing_ok=True)


def discard_stale(now: float | None = None) -> None:
    cutoff = (now or time.time()) - STALE_SECONDS
    for path in upload_dir().glob("*.upload"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
        except OSError:
            continue
