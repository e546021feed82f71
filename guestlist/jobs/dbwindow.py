"""The job runner's own small window on the database: the driver and a few statements.

The runner sits in memory for as long as Guestlist runs, so it does not load Django; it
only needs to hold the job lease and to ask whether any work is due. The statements here
mirror ``jobs.lease`` and the jobs' own queries and are tested against them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from guestlist.lib.env import env_secret, env_str


class Database:
    """One autocommit connection, opened on first use and again after a failure."""

    def __init__(self, database_url: str | None = None, data_dir: str | None = None) -> None:
        # DATABASE_URL_FILE too, as the settings read it.
        self.url = (env_secret("DATABASE_URL") or "") if database_url is None else database_url
        folder = data_dir if data_dir is not None else env_str("GUESTLIST_DATA_DIR", "./data") or "./data"
        self.sqlite_path = Path(folder).resolve() / "guestlist.sqlite3"
        scheme = urlsplit(self.url).scheme if self.url else "sqlite"
        self.vendor = "sqlite" if scheme == "sqlite" else "postgresql"
        if self.url and scheme == "sqlite":
            self.sqlite_path = Path(urlsplit(self.url).path)
        self._connection: Any = None

    def _connect(self) -> Any:
        if self.vendor == "sqlite":
            # Used by one thread at a time (the scheduler's, then the main one to let go).
            return sqlite3.connect(self.sqlite_path, timeout=20, isolation_level=None, check_same_thread=False)
        import psycopg  # only PostgreSQL installs load the driver

        url = self.url
        if url.startswith("pgsql://"):
            url = "postgresql://" + url.removeprefix("pgsql://")
        return psycopg.connect(url, autocommit=True, connect_timeout=10)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run ``sql`` (written with %s placeholders) and return its rows; (rowcount,) for writes."""
        if self.vendor == "sqlite":
            sql = sql.replace("%s", "?")
        for attempt in (1, 2):
            try:
                if self._connection is None:
                    self._connection = self._connect()
                cursor = self._connection.cursor()
                cursor.execute(sql, tuple(params))
                if cursor.description is None:
                    return [(cursor.rowcount,)]
                return list(cursor.fetchall())
            except Exception:
                self.close()
                if attempt == 2:
                    raise
        return []

    def moment(self, when: datetime) -> Any:
        """A timestamp as Django stores it: naive UTC text on SQLite, aware on PostgreSQL."""
        if self.vendor == "sqlite":
            return when.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
        return when.astimezone(UTC)

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            finally:
                self._connection = None


def is_integrity_error(error: BaseException) -> bool:
    if isinstance(error, sqlite3.IntegrityError):
        return True
    return type(error).__name__ in ("UniqueViolation", "IntegrityError")
