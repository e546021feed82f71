"""The search's trigram indexes on PostgreSQL, (re)created when ``pg_trgm`` arrived late.

Migration ``invites.0005`` makes them when it may create the extension; where a superuser
adds ``pg_trgm`` afterwards, ``guestlist doctor`` calls ``ensure_search_indexes`` to make the
ones still missing. SQLite needs none (its search scans, fast enough there).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from django.db import connection, transaction


@dataclass(frozen=True)
class SearchIndexes:
    applies: bool  # PostgreSQL
    extension: bool  # pg_trgm is installed in this database
    created: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()


def trigram_indexes() -> dict[str, str]:
    migration = importlib.import_module("guestlist.invites.migrations.0005_trigram_search")
    indexes: dict[str, str] = migration.INDEXES
    return indexes


def ensure_search_indexes() -> SearchIndexes:
    if connection.vendor != "postgresql":
        return SearchIndexes(applies=False, extension=False)
    indexes = trigram_indexes()
    with connection.cursor() as cursor:
        try:
            with transaction.atomic():
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except Exception:  # noqa: BLE001, S110 - refused (not the owner, not trusted): reported as missing below
            pass
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone() is None:
            return SearchIndexes(applies=True, extension=False, missing=tuple(indexes))
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname = ANY(%s)", [list(indexes)])
        present = {row[0] for row in cursor.fetchall()}
        created = []
        for name, target in indexes.items():
            if name not in present:
                cursor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")
                created.append(name)
    return SearchIndexes(applies=True, extension=True, created=tuple(created))
