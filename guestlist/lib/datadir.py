"""The data directory: where the SQLite database, the secret key and caches live."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from guestlist.lib.env import ConfigError

SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name, not a secret
MIN_SECRET_LENGTH = 32
PLACEHOLDER_SECRETS = frozenset({"changeme", "change-me", "secret", "insecure", "django-insecure"})


def ensure_data_dir(path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"GUESTLIST_DATA_DIR={str(path)!r} cannot be created: {exc.strerror}.") from exc
    if not os.access(path, os.W_OK):
        raise ConfigError(f"GUESTLIST_DATA_DIR={str(path)!r} is not writable by this user.")
    return path


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
