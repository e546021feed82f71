"""Reading a peer's SQLite database without changing it, even while the peer runs.

The file is opened read-only (``mode=ro``), never ``immutable``: Wizarr runs SQLite in WAL
mode, so the newest rows may sit in the ``-wal`` file, and ``immutable`` would skip them (and
could read torn pages if the peer wrote meanwhile). A read-only connection reads the WAL and
takes no write lock, so the running peer is never blocked; where the WAL index (``-shm``)
cannot be created (a copy on a read-only share), SQLite keeps it in memory instead. A reader
of a WAL database may leave an empty ``-wal`` and a ``-shm`` file next to it, as any reader
does. Everything is read inside one read transaction, so it is one consistent snapshot.

Older releases lack columns and tables: ``rows`` selects only the columns that exist and
gives ``None`` for the others.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from guestlist.transfer.records import ImportFileError


class PeerDatabase:
    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self.connection = connection
        self.path = path
        self._columns: dict[str, set[str]] = {}

    def has_table(self, table: str) -> bool:
        return bool(self.columns(table))

    def columns(self, table: str) -> set[str]:
        if table not in self._columns:
            found = self.connection.execute(f"PRAGMA table_info({_quoted(table)})").fetchall()
            self._columns[table] = {str(row[1]) for row in found}
        return self._columns[table]

    def rows(self, table: str, wanted: Iterable[str], *, order_by: str = "id") -> list[dict[str, Any]]:
        """Every row of ``table`` with the ``wanted`` columns; missing columns read as None."""
        wanted = list(wanted)
        present = [column for column in wanted if column in self.columns(table)]
        if not present:
            return []
        order = f" ORDER BY {_quoted(order_by)}" if order_by in self.columns(table) else ""
        query = f"SELECT {', '.join(_quoted(column) for column in present)} FROM {_quoted(table)}{order}"  # noqa: S608 - names come from PRAGMA table_info, quoted
        try:
            found = self.connection.execute(query).fetchall()
        except sqlite3.DatabaseError as exc:
            raise ImportFileError(f"{self.path.name}: the table {table!r} cannot be read ({exc}).") from exc
        return [{column: row[column] if column in present else None for column in wanted} for row in found]


@contextmanager
def open_peer_database(path: Path) -> Iterator[PeerDatabase]:
    if not path.is_file():
        raise ImportFileError(f"{path} is not a file.")
    with path.open("rb") as handle:
        if handle.read(16) != b"SQLite format 3\x00":
            raise ImportFileError(f"{path.name} is not an SQLite database.")
    connection = _connect(path)
    try:
        connection.row_factory = sqlite3.Row
        connection.execute("BEGIN")  # one snapshot for every read below
        try:
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as exc:
            raise ImportFileError(f"{path.name} cannot be read as a database ({exc}).") from exc
        yield PeerDatabase(connection, path)
    finally:
        connection.close()


def _connect(path: Path) -> sqlite3.Connection:
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    connection = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=10)
    try:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        connection.close()
        raise ImportFileError(f"{path.name} cannot be read as a database ({exc}).") from exc
    return connection


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# Values as the peers store them


def parse_datetime(value: object) -> datetime | None:
    """Naive UTC text (or a Unix time) into an aware datetime; None for empty values.

    Raises ValueError for text that is no date, so the row can be reported.
    """
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=UTC)
    text = str(value).strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def as_bool(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "t", "yes", "on")
    return bool(value)


def as_int(value: object) -> int | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def as_text(value: object) -> str:
    return "" if value is None else str(value).strip()
