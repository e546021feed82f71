"""An API key belongs to the admin who made it and dies with their admin rights (audit 1.3)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.test import Client

from guestlist.accounts import services as accounts
from guestlist.accounts.models import ApiKey
from guestlist.core.audit import Actor
from guestlist.core.models import AuditEvent


def status_with(key: str) -> int:
    return int(Client(HTTP_X_API_KEY=key).get("/api/invites/").status_code)


def test_removing_an_admin_revokes_their_keys(owner: User, admin2: User) -> None:
    key = accounts.create_api_key("second's script", created_by=admin2)
    assert status_with(key) == 200

    accounts.remove_admin(admin2, actor=Actor.admin(owner))

    assert status_with(key) == 401
    stored = ApiKey.objects.get(name="second's script")
    assert stored.revoked_at is not None
    assert AuditEvent.objects.filter(action="apikey.revoke").count() == 1


def test_demoting_an_admin_revokes_their_keys(owner: User, admin2: User) -> None:
    key = accounts.create_api_key("second's script", created_by=admin2)

    admin2.is_staff = False
    admin2.save()

    assert status_with(key) == 401
    assert ApiKey.objects.get(name="second's script").revoked_at is not None


def test_it_refuses_a_key_whose_owner_is_gone(owner: User, admin2: User) -> None:
    key = accounts.create_api_key("second's script", created_by=admin2)
    # However the account went (a database console, an old version), the key has no owner.
    ApiKey.objects.filter(name="second's script").update(created_by=None)

    assert status_with(key) == 401


def test_it_refuses_a_key_whose_owner_is_deactivated(owner: User, admin2: User) -> None:
    key = accounts.create_api_key("second's script", created_by=admin2)
    User.objects.filter(pk=admin2.pk).update(is_active=False)

    assert status_with(key) == 401


def test_a_key_made_on_the_command_line_belongs_to_the_owner(owner: User) -> None:
    from guestlist.cli import main

    assert main(["apikey", "create", "--name", "cron"]) == 0

    assert ApiKey.objects.get(name="cron").created_by == owner
