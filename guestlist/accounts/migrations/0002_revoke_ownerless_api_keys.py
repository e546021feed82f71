"""Keys now act for the admin who made them (audit 1.3). Keys of admins removed before this
version lost their owner (``created_by`` became NULL); keys made by ``guestlist apikey create``
never had one. Neither can be told apart any more, so both are revoked rather than left working
for nobody; ``guestlist apikey create`` makes a new, owned key."""

from typing import Any

from django.db import migrations
from django.db.models import Q
from django.utils import timezone


def revoke_keys_without_an_admin(apps: Any, schema_editor: Any) -> None:
    ApiKey = apps.get_model("accounts", "ApiKey")
    ApiKey.objects.filter(revoked_at__isnull=True).filter(
        Q(created_by__isnull=True) | Q(created_by__is_staff=False) | Q(created_by__is_active=False)
    ).update(revoked_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(revoke_keys_without_an_admin, migrations.RunPython.noop)]
