"""The stamp row and triggers that tell the cached tab counts an invite changed
(``guestlist.invites.kept_counts``)."""

from __future__ import annotations

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def create(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    from guestlist.invites.kept_counts import ensure_count_triggers

    ensure_count_triggers(schema_editor.connection, tables=("invites_invite",))


def drop(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    from guestlist.invites.kept_counts import drop_count_triggers

    drop_count_triggers(schema_editor.connection, tables=("invites_invite",))
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("DROP FUNCTION IF EXISTS invites_invite_counts_stamp()")


class Migration(migrations.Migration):
    dependencies = [("invites", "0012_onboarding_steps")]

    operations = [
        migrations.CreateModel(
            name="InviteCountStamp",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("stamp", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(create, drop, elidable=False),
    ]
