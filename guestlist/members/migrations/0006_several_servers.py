import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Count


def link_rows_of_one_person(apps, schema_editor):
    """Rows of the same person on different servers (made by separate invites before) become
    one person: the oldest row is theirs, the others point to it."""
    Member = apps.get_model("members", "Member")
    keys = (
        Member.objects.values("person_key")
        .annotate(rows=Count("id"))
        .filter(rows__gt=1)
        .values_list("person_key", flat=True)
    )
    for key in keys.iterator():
        rows = list(Member.objects.filter(person_key=key).order_by("created_at", "id").values_list("id", flat=True))
        Member.objects.filter(pk__in=rows[1:]).update(primary_id=rows[0])


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0005_last_seen_and_inactivity"),
    ]

    operations = [
        migrations.AddField(
            model_name="member",
            name="primary",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="other_servers",
                to="members.member",
            ),
        ),
        migrations.RunPython(link_rows_of_one_person, migrations.RunPython.noop, elidable=True),
    ]
