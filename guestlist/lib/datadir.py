"""The data directory: where the SQLite database, the secret key and caches live.

Only Guestlist's own user may read it: the directory is 0700 and every file Guestlist makes
in it 0600 (the database holds encrypted Plex tokens and the key that opens them sits next
to it). SQLite gives its -wal, -shm and -journal files the database file's mode, so the
database file is made 0600 before SQLite first opens it.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from pathlib import Path

from guestlist.lib.env import ConfigError

SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name, not a secret
MIN_SECRET_LENGTH = 32
PLACEHOLDER_SECRETS = frozenset({"changeme", "change-me", "secret", "insecure", "django-insecure"})
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600

logger = logging.getLogger("guestlist.datadir")


def ensure_data_dir(path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    except OSError as exc:
        raise ConfigError(f"GUESTLIST_DATA_DIR={str(path)!r} cannot be created: {exc.strerror}.") from exc
    if not os.access(path, os.W_OK):
        raise ConfigError(f"GUESTLIST_DATA_DIR={str(path)!r} is not writable by this user.")
    _tighten(path, PRIVATE_DIR)
    return path


def _tighten(path: Path, mode: int) -> bool:
    """Give ``path`` exactly ``mode`` if it is ours and has another; never follows links."""
    try:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode) or info.st_uid != os.geteuid() or stat.S_IMODE(info.st_mode) == mode:
            return False
        path.chmod(mode)
    except OSError as exc:
        logger.warning("Could not make %s private (%s).", path, exc.strerror or exc)
        return False
    return True


def make_private(data_dir: Path) -> int:
    """At start: the directory 0700, everything in it 0700 (folders) or 0600 (files).

    Installs made before this rule left the database readable by every local user; this
    fixes them. Only what belongs to Guestlist's user is touched. Returns how many changed.
    """
    changed = int(_tighten(data_dir, PRIVATE_DIR))
    for folder, folders, files in os.walk(data_dir):
        for name in folders:
            changed += _tighten(Path(folder) / name, PRIVATE_DIR)
        for name in files:
            changed += _tighten(Path(folder) / name, PRIVATE_FILE)
    if changed:
        logger.warning("Made %s file(s) in %s readable by Guestlist's user only.", changed, data_dir)
    return changed


def private_file(path: Path) -> Path:
    """Make sure ``path`` exists and is 0600, creating it empty if needed (an empty file is
    an empty SQLite database, so SQLite then keeps its mode for the -wal and -shm files)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE))
    except OSError as exc:
        raise ConfigError(f"{str(path)!r} cannot be created: {exc.strerror}.") from exc
    _tighten(path, PRIVATE_FILE)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write a new file that only Guestlist's user can read (it must not exist yet)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def check_secret_key(value: str, source: str) -> str:
    if len(value) < MIN_SECRET_LENGTH or value.lower().startswith(tuple(PLACEHOLDER_SECRETS)):
        raise ConfigError(
            f"{source} is too weak: use at least {MIN_SECRET_LENGTH} random characters "
            "(or unset it and Guestlist generates one into the data directory)."
        )
    return value


def load_or_create_secret_key(data_dir: Path) -> str:
    """Read the install's secret key, creating it exactly once.

    The web server and the job runner may start at the same moment, so the key is written to a
    draft file and hard-linked into place: linking fails if the name exists, and the loser of
    the race reads the winner's complete key instead of a half-written file.
    """
    path = data_dir / SECRET_KEY_FILE
    if not path.exists():
        draft = data_dir / f".{SECRET_KEY_FILE}.{secrets.token_hex(8)}"
        try:
            fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(secrets.token_urlsafe(50))
                handle.flush()
                os.fsync(handle.fileno())
            os.link(draft, path)
        except FileExistsError:
            pass
        except OSError as exc:
            raise ConfigError(f"The secret key file {str(path)!r} cannot be created: {exc.strerror}.") from exc
        finally:
            draft.unlink(missing_ok=True)
    try:
        value = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"The secret key file {str(path)!r} cannot be read: {exc.strerror}.") from exc
    if not value:
        # Truncated by hand or by a full disk; refusing is safer than
        # generating a new key, which would make every stored Plex token unreadable.
        raise ConfigError(
            f"The secret key file {str(path)!r} is empty. Restore it from a backup, or delete it "
            "to generate a new key (stored Plex tokens must then be entered again)."
        )
    return check_secret_key(value, f"The secret key in {str(path)!r}")
