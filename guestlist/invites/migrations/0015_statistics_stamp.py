"""The kept statistics' triggers: a member's status or a redemption changing moves the stamp too
(``guestlist.invites.kept_counts``)."""

from __future__ import annotations

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

TABLES = ("members_member", "invites_redemption")


def create(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    from guestlist.invites.kept_counts import ensure_count_triggers

    ensure_count_triggers(schema_editor.connection)  # also renews the PostgreSQL function


def drop(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    from guestlist.invites.kept_counts import drop_count_triggers

    drop_count_triggers(schema_editor.connection, tables=TABLES)


class Migration(migrations.Migration):
    dependencies = [("invites", "0014_template_servers"), ("members", "0008_content_limits")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
