"""Trigram indexes for the invite search on PostgreSQL (SQLite scans; it is fast enough there).

Each index expression is exactly what Django writes for the lookup (``contains`` casts to
text, ``icontains`` also upper-cases), or Postgres would not use it. ``pg_trgm`` is a trusted
extension since PostgreSQL 13, so the database owner may create it; where that is refused the
search still works, by scanning.
"""

from __future__ import annotations

import logging

from django.db import migrations, transaction
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

INDEXES = {
    "invite_code_trgm_idx": "invites_invite USING gin ((code::text) gin_trgm_ops)",
    "invite_description_trgm_idx": "invites_invite USING gin (UPPER(description::text) gin_trgm_ops)",
    "member_email_trgm_idx": "members_member USING gin (UPPER(email::text) gin_trgm_ops)",
    "member_username_trgm_idx": "members_member USING gin (UPPER(username::text) gin_trgm_ops)",
}


def create_indexes(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        try:
            with transaction.atomic(using=connection.alias):
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except Exception as exc:  # noqa: BLE001 - any refusal leaves the search scanning, which still works
            logging.getLogger("guestlist").warning(
                "PostgreSQL refused CREATE EXTENSION pg_trgm (%s); invite search works without its indexes, "
                "by scanning. To have them, a superuser runs it in this database before Guestlist first starts.",
                str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
            )
            return
        for name, target in INDEXES.items():
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")


def drop_indexes(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name in INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("invites", "0004_list_indexes"),
        ("members", "0002_initial"),
    ]

    operations = [migrations.RunPython(create_indexes, drop_indexes, elidable=False)]
