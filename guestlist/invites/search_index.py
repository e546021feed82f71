"""The indexes behind the invite and member search, on either database.

SQLite: FTS5 tables with the trigram tokenizer (SQLite ≥ 3.34), external-content tables over
``invites_invite`` (code, description) and ``members_member`` (email, username), kept by
triggers. A search of three or more characters is a phrase query on them, which finds the
same rows as ``LIKE '%term%'`` from an index. Shorter terms cannot be trigrams and keep the
scan (``LIKE``), which also serves an SQLite without FTS5 or its trigram tokenizer.

PostgreSQL: GIN trigram indexes (``pg_trgm``) on exactly the expressions Django writes for
``contains`` / ``icontains``. ``ensure_search_indexes`` (re)creates whatever is missing: the
migration calls it, and so does every start (``guestlist serve``), so indexes arrive on their
own once a superuser installs ``pg_trgm`` after Guestlist first migrated without it.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import connection as default_connection
from django.db import transaction
from django.db.models.expressions import RawSQL

logger = logging.getLogger("guestlist.search")

MIN_TRIGRAM_TERM = 3

PG_INDEXES = {
    "invite_code_trgm_idx": "invites_invite USING gin ((code::text) gin_trgm_ops)",
    "invite_description_trgm_idx": "invites_invite USING gin (UPPER(description::text) gin_trgm_ops)",
    "member_email_trgm_idx": "members_member USING gin (UPPER(email::text) gin_trgm_ops)",
    "member_username_trgm_idx": "members_member USING gin (UPPER(username::text) gin_trgm_ops)",
}

# table → (FTS table, indexed columns)
FTS_TABLES = {
    "invites_invite": ("invites_invite_fts", ("code", "description")),
    "members_member": ("members_member_fts", ("email", "username")),
}

_fts_ready: dict[str, bool] = {}


def ensure_search_indexes(connection: Any = None) -> bool:
    """Create the search indexes this database can have and does not have yet.

    Safe to call at every start: it checks before it creates, and only creates what is
    missing. Returns whether the database now has them (False: the search scans, which
    still finds everything, only slower). The hook for ``guestlist doctor``.
    """
    connection = connection or default_connection
    if connection.vendor == "postgresql":
        return _ensure_pg_trgm(connection)
    if connection.vendor == "sqlite":
        return _ensure_fts(connection)
    return False


def fts_ready(connection: Any = None) -> bool:
    """Whether SQLite's FTS tables exist here (looked up once per database and process)."""
    connection = connection or default_connection
    if connection.vendor != "sqlite":
        return False
    name = str(connection.settings_dict["NAME"])
    if name not in _fts_ready:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN (%s, %s)",
                [table for table, _columns in FTS_TABLES.values()],
            )
            _fts_ready[name] = cursor.fetchone()[0] == len(FTS_TABLES)
    return _fts_ready[name]


def fts_phrase(term: str) -> str:
    """An FTS5 phrase for ``term``: matched as a substring by the trigram tokenizer."""
    return '"' + term.replace('"', '""') + '"'


def matching_ids(table: str, term: str) -> RawSQL:
    """The ids of ``table``'s rows whose indexed columns contain ``term`` (three characters or
    more, ``fts_ready``), as a subquery for ``pk__in``: SQLite's FTS index, no scan."""
    fts, _columns = FTS_TABLES[table]
    return RawSQL(f"SELECT rowid FROM {fts} WHERE {fts} MATCH %s", [fts_phrase(term)])  # noqa: S608, S611 - a name from FTS_TABLES; the term is a parameter


def _ensure_pg_trgm(connection: Any) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone() is None:
            try:
                with transaction.atomic(using=connection.alias):
                    cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            except Exception as exc:  # noqa: BLE001 - any refusal leaves the search scanning, which still works
                first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                logger.warning(
                    "PostgreSQL refused CREATE EXTENSION pg_trgm (%s); invite search works without its indexes, "
                    "by scanning. Once a superuser runs it in this database, the next start adds them.",
                    first_line,
                )
                return False
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname = ANY(%s)", [list(PG_INDEXES)])
        present = {row[0] for row in cursor.fetchall()}
        for name, target in PG_INDEXES.items():
            if name not in present:
                logger.info("Creating the search index %s", name)
                cursor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")
    return True


def _ensure_fts(connection: Any) -> bool:
    _fts_ready.pop(str(connection.settings_dict["NAME"]), None)
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
        present = {row[0] for row in cursor.fetchall()}
        for table, (fts, columns) in FTS_TABLES.items():
            triggers = {f"{fts}_{event}" for event in ("insert", "delete", "update")}
            if fts in present and triggers <= present:
                continue
            if fts not in present:
                try:
                    cursor.execute(
                        f"CREATE VIRTUAL TABLE {fts} USING fts5({', '.join(columns)}, "
                        f"content='{table}', content_rowid='id', tokenize='trigram')"
                    )
                except Exception as exc:  # noqa: BLE001 - an SQLite without FTS5 or trigram: the search scans
                    logger.warning("This SQLite cannot build the search index (%s); searches scan instead.", exc)
                    return False
            # A migration that rebuilds the table (SQLite's way to alter a column) drops its
            # triggers: they are made again, and the index refilled, on the next start.
            listed = ", ".join(columns)
            new = ", ".join(f"new.{column}" for column in columns)
            old = ", ".join(f"old.{column}" for column in columns)
            cursor.execute(
                f"CREATE TRIGGER IF NOT EXISTS {fts}_insert AFTER INSERT ON {table} BEGIN "  # noqa: S608 - names from FTS_TABLES
                f"INSERT INTO {fts}(rowid, {listed}) VALUES (new.id, {new}); END"
            )
            cursor.execute(
                f"CREATE TRIGGER IF NOT EXISTS {fts}_delete AFTER DELETE ON {table} BEGIN "  # noqa: S608 - names from FTS_TABLES
                f"INSERT INTO {fts}({fts}, rowid, {listed}) VALUES ('delete', old.id, {old}); END"
            )
            cursor.execute(
                f"CREATE TRIGGER IF NOT EXISTS {fts}_update AFTER UPDATE OF {listed} ON {table} BEGIN "  # noqa: S608 - names from FTS_TABLES
                f"INSERT INTO {fts}({fts}, rowid, {listed}) VALUES ('delete', old.id, {old}); "
                f"INSERT INTO {fts}(rowid, {listed}) VALUES (new.id, {new}); END"
            )
            # Rows written while there was no index (or no trigger): read them all in again.
            cursor.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")  # noqa: S608 - a name from FTS_TABLES
    return True


def missing_search_indexes(connection: Any = None) -> set[str]:
    """The search tables, triggers or indexes this database should have and has not (checked
    after all migrations by the foundation tests: a table rebuild must not lose them)."""
    connection = connection or default_connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname = ANY(%s)", [list(PG_INDEXES)])
            return set(PG_INDEXES) - {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
        present = {row[0] for row in cursor.fetchall()}
    expected = {
        name
        for fts, _columns in FTS_TABLES.values()
        for name in (fts, f"{fts}_insert", f"{fts}_delete", f"{fts}_update")
    }
    return expected - present


def drop_search_indexes(connection: Any = None) -> None:
    connection = connection or default_connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for name in PG_INDEXES:
                cursor.execute(f"DROP INDEX IF EXISTS {name}")
        elif connection.vendor == "sqlite":
            for fts, _columns in FTS_TABLES.values():
                for event in ("insert", "delete", "update"):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {fts}_{event}")
                cursor.execute(f"DROP TABLE IF EXISTS {fts}")
    _fts_ready.clear()
