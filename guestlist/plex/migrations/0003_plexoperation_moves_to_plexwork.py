# PlexOperation now belongs to the ``plexwork`` app. Only Django's picture of the models
# changes; the table (plex_plexoperation) and its rows stay where they are.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('plex', '0002_plexoperation_locked_by'),
        ('plexwork', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='PlexOperation')],
            database_operations=[],
        ),
    ]
