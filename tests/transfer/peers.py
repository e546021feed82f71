"""Peer databases built from the schemas the issue lists (never from the peers' code).

``komandorr_db`` and ``wizarr_db`` write an SQLite file with the tables and columns of
Komandorr v2.4.1 and of Wizarr's 2025–2026 releases; ``old_layout=True`` leaves out what older
Wizarr releases lack (``invitation_user``, the newer permission columns). Rows are plain
dicts; dates are naive UTC text, as the peers store them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

KOMANDORR_SCHEMA = """
CREATE TABLE invites (
    id INTEGER PRIMARY KEY, code VARCHAR UNIQUE NOT NULL, created_at DATETIME, created_by VARCHAR,
    expires_at DATETIME, usage_limit INTEGER, used_count INTEGER DEFAULT 0, allow_sync BOOLEAN,
    allow_camera_upload BOOLEAN, allow_channels BOOLEAN, plex_home BOOLEAN, libraries VARCHAR,
    is_active BOOLEAN
);
CREATE TABLE plex_users (
    id INTEGER PRIMARY KEY, email VARCHAR UNIQUE, username VARCHAR, plex_id VARCHAR, thumb VARCHAR,
    invite_id INTEGER NOT NULL REFERENCES invites(id), created_at DATETIME, last_seen DATETIME,
    expires_at DATETIME, is_active BOOLEAN
);
"""

WIZARR_SCHEMA = """
CREATE TABLE media_server (id INTEGER PRIMARY KEY, name VARCHAR, server_type VARCHAR, url VARCHAR,
    api_key VARCHAR);
CREATE TABLE library (id INTEGER PRIMARY KEY, external_id VARCHAR, name VARCHAR, enabled BOOLEAN,
    server_id INTEGER);
CREATE TABLE user (id INTEGER PRIMARY KEY, token VARCHAR, username VARCHAR, email VARCHAR, code VARCHAR,
    photo VARCHAR, expires DATETIME, server_id INTEGER, notes TEXT, is_disabled BOOLEAN,
    allow_downloads BOOLEAN, allow_live_tv BOOLEAN, allow_camera_upload BOOLEAN, created_at DATETIME);
CREATE TABLE invitation (id INTEGER PRIMARY KEY, code VARCHAR, used BOOLEAN, used_at DATETIME,
    created DATETIME, expires DATETIME, unlimited BOOLEAN, duration VARCHAR, plex_allow_sync BOOLEAN,
    plex_home BOOLEAN, plex_allow_channels BOOLEAN, allow_downloads BOOLEAN, allow_live_tv BOOLEAN,
    allow_mobile_uploads BOOLEAN, used_by_id INTEGER, server_id INTEGER);
CREATE TABLE invitation_server (invite_id INTEGER, server_id INTEGER, used BOOLEAN, used_at DATETIME,
    expires DATETIME);
CREATE TABLE invitation_user (invite_id INTEGER, user_id INTEGER, used_at DATETIME, server_id INTEGER);
CREATE TABLE invite_library (invite_id INTEGER, library_id INTEGER);
CREATE TABLE admin_account (id INTEGER PRIMARY KEY, username VARCHAR, password_hash VARCHAR);
"""

# What older Wizarr releases lack: no invitation_user, and invites without the newer permission columns.
WIZARR_OLD_SCHEMA = (
    WIZARR_SCHEMA.replace(
        "CREATE TABLE invitation_user (invite_id INTEGER, user_id INTEGER, used_at DATETIME, server_id INTEGER);\n", ""
    )
    .replace(" allow_downloads BOOLEAN, allow_live_tv BOOLEAN,\n    allow_mobile_uploads BOOLEAN,", "")
    .replace(
        ",\n    allow_downloads BOOLEAN, allow_live_tv BOOLEAN, allow_camera_upload BOOLEAN, created_at DATETIME", ""
    )
)

Rows = Iterable[Mapping[str, Any]]


def _insert(db: sqlite3.Connection, table: str, rows: Rows) -> None:
    for row in rows:
        names = ", ".join(f'"{name}"' for name in row)
        marks = ", ".join("?" for _ in row)
        db.execute(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', list(row.values()))  # noqa: S608 - test data


def build(path: Path, schema: str, tables: Mapping[str, Rows], *, wal: bool = False) -> Path:
    db = sqlite3.connect(path)
    if wal:
        db.execute("PRAGMA journal_mode=WAL")
    db.executescript(schema)
    for table, rows in tables.items():
        _insert(db, table, rows)
    db.commit()
    db.close()
    return path


def komandorr_db(path: Path, invites: Rows, users: Rows) -> Path:
    return build(path, KOMANDORR_SCHEMA, {"invites": invites, "plex_users": users})


def wizarr_db(path: Path, *, old_layout: bool = False, wal: bool = False, **tables: Rows) -> Path:
    return build(path, WIZARR_OLD_SCHEMA if old_layout else WIZARR_SCHEMA, tables, wal=wal)


def komandorr_invite(id: int, code: str, **fields: Any) -> dict[str, Any]:  # noqa: A002 - the column's name
    row: dict[str, Any] = {
        "id": id,
        "code": code,
        "created_at": "2026-01-05 10:00:00",
        "created_by": "admin",
        "expires_at": None,
        "usage_limit": 1,
        "used_count": 0,
        "allow_sync": 0,
        "allow_camera_upload": 0,
        "allow_channels": 0,
        "plex_home": 0,
        "libraries": "all",
        "is_active": 1,
    }
    row.update(fields)
    return row


def komandorr_user(id: int, email: str, invite_id: int, **fields: Any) -> dict[str, Any]:  # noqa: A002
    row: dict[str, Any] = {
        "id": id,
        "email": email,
        "username": email.split("@")[0],
        "plex_id": None,
        "thumb": "",
        "invite_id": invite_id,
        "created_at": "2026-01-06 09:30:00",
        "last_seen": None,
        "expires_at": None,
        "is_active": 1,
    }
    row.update(fields)
    return row
