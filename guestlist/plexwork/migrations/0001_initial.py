# PlexOperation moves here from the ``plex`` app. The table already exists (made by
# plex.0001/0002 under the name plex_plexoperation), so this only tells Django's model
# state about it; no row moves. The content type follows the model, so nothing that
# points at it is left dangling.

import django.db.models.deletion
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    ContentType = apps.get_model('contenttypes', 'ContentType')
    if not ContentType.objects.filter(app_label='plexwork', model='plexoperation').exists():
        ContentType.objects.filter(app_label='plex', model='plexoperation').update(app_label='plexwork')


def move_content_type_back(apps, schema_editor):
    ContentType = apps.get_model('contenttypes', 'ContentType')
    if not ContentType.objects.filter(app_label='plex', model='plexoperation').exists():
        ContentType.objects.filter(app_label='plexwork', model='plexoperation').update(app_label='plex')


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('invites', '0006_invite_trial_days'),
        ('members', '0003_members_model'),
        ('plex', '0002_plexoperation_locked_by'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='PlexOperation',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('share', 'Share'), ('home_invite', 'Home Invite'), ('accept', 'Accept'), ('update_share', 'Update Share'), ('remove', 'Remove')], max_length=16)),
                        ('state', models.CharField(choices=[('queued', 'Queued'), ('done', 'Done'), ('failed', 'Failed'), ('cancelled', 'Cancelled')], default='queued', max_length=16)),
                        ('payload', models.JSONField(blank=True, default=dict)),
                        ('reason', models.CharField(blank=True, max_length=32)),
                        ('attempts', models.PositiveIntegerField(default=0)),
                        ('next_attempt_at', models.DateTimeField()),
                        ('locked_until', models.DateTimeField(blank=True, null=True)),
                        ('locked_by', models.CharField(blank=True, max_length=100)),
                        ('last_error', models.TextField(blank=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('finished_at', models.DateTimeField(blank=True, null=True)),
                        ('member', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='operations', to='members.member')),
                        ('redemption', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='operations', to='invites.redemption')),
                        ('server', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='operations', to='plex.mediaserver')),
                    ],
                    options={
                        'db_table': 'plex_plexoperation',
                        'ordering': ['id'],
                        'indexes': [models.Index(fields=['state', 'next_attempt_at'], name='plexop_due_idx')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
