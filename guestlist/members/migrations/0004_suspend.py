"""Suspend instead of remove (issue 22): the member's own choice, and the share kept to give back.

Adding columns with a default makes SQLite rebuild the member table, which drops the search
index's triggers; they are made again at the end (``invites.search_index``).
"""

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def keep_search_index(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    from guestlist.invites.search_index import ensure_search_indexes

    ensure_search_indexes(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('members', '0003_members_model'),
        ('invites', '0008_fts_search'),
    ]

    operations = [
        migrations.AddField(
            model_name='member',
            name='access_end',
            field=models.CharField(blank=True, choices=[('', 'default'), ('remove', 'Remove'), ('suspend', 'Suspend')], default='', max_length=16),
        ),
        migrations.AddField(
            model_name='member',
            name='suspended_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='member',
            name='suspended_share',
            field=models.JSONField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='member',
            name='status',
            field=models.CharField(choices=[('pending', 'Pending'), ('active', 'Active'), ('removing', 'Removing'), ('expired', 'Expired'), ('removed', 'Removed'), ('unlinked', 'Unlinked'), ('suspending', 'Suspending'), ('suspended', 'Suspended')], default='pending', max_length=16),
        ),
        migrations.RunPython(keep_search_index, migrations.RunPython.noop, elidable=False),
    ]
