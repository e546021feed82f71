"""The owner's settings and the server's default libraries, changed through their services."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from guestlist.core.audit import Actor
from guestlist.core.errors import Invalid
from guestlist.core.models import AuditEvent, SiteSettings
from guestlist.members.site_settings import update_site_settings
from guestlist.plex import services as plex
from guestlist.plex.models import Library, MediaServer

pytestmark = pytest.mark.django_db


def test_it_changes_settings_and_records_only_what_changed(owner: User) -> None:
    update_site_settings(
        {"signup_enabled": True, "default_usage_limit": None, "welcome_markdown": "Hello"}, actor=Actor.admin(owner)
    )

    site = SiteSettings.load()
    assert site.default_usage_limit is None and site.welcome_markdown == "Hello"
    event = AuditEvent.objects.get(action="settings.update")
    assert event.details["changes"] == {"default_usage_limit": [1, None], "welcome_markdown": "changed"}


def test_nothing_changed_writes_no_audit_entry(owner: User) -> None:
    update_site_settings({"signup_enabled": True}, actor=Actor.admin(owner))

    assert not AuditEvent.objects.filter(action="settings.update").exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"signup_enabled": "yes"},
        {"default_usage_limit": 0},
        {"default_usage_limit": 101},
        {"default_expires_in_days": 1.5},
        {"expiry_warning_days": None},
        {"welcome_markdown": "x" * 20001},
        {"default_libraries": "some"},
        {"setup_token_hash": "x"},
    ],
)
def test_it_refuses_bad_values(owner: User, changes: dict[str, object]) -> None:
    with pytest.raises(Invalid):
        update_site_settings(changes, actor=Actor.admin(owner))


def test_it_sets_the_servers_default_libraries(owner: User, server: MediaServer) -> None:
    plex.set_default_libraries(server, [3, 1], actor=Actor.admin(owner))

    assert list(Library.objects.filter(server=server, is_default=True).values_list("key", flat=True)) == [1, 3]
    assert AuditEvent.objects.get(action="server.default_libraries").details == {"keys": [1, 3]}


@pytest.mark.parametrize("keys", [[], [9]])
def test_default_libraries_must_exist_and_not_be_empty(owner: User, server: MediaServer, keys: list[int]) -> None:
    with pytest.raises(Invalid):
        plex.set_default_libraries(server, keys, actor=Actor.admin(owner))

    assert Library.objects.filter(server=server, is_default=True).count() == 4
