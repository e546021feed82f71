"""The search indexes of ``guestlist.invites.search_index``: on SQLite, FTS5 trigram tables
kept by triggers and filled from the rows already there; on PostgreSQL, any trigram index
0005 could not create because ``pg_trgm`` was missing then.
"""

from __future__ import annotations

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def create(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    from guestlist.invites.search_index import ensure_search_indexes

    ensure_search_indexes(schema_editor.connection)


def drop(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    # Only what this migration added: PostgreSQL's indexes belong to 0005.
    if schema_editor.connection.vendor == "sqlite":
        from guestlist.invites.search_index import drop_search_indexes

        drop_search_indexes(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("invites", "0007_redemption_method_import"),
        ("members", "0003_members_model"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
