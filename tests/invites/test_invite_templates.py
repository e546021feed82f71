"""Invite templates: named presets of settings, and invites made from them."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from guestlist.core.audit import Actor
from guestlist.core.errors import Conflict, Invalid
from guestlist.core.models import AuditEvent, SiteSettings
from guestlist.invites import invite_templates, services
from guestlist.invites.models import InviteTemplate
from guestlist.plex.models import MediaServer

pytestmark = pytest.mark.django_db


def test_it_creates_a_template_with_every_setting(owner: User, server: MediaServer) -> None:
    template = invite_templates.create_template(
        "  Family  ",
        {
            "usage_limit": None,
            "expires_in_days": 30,
            "user_expires_in_days": 365,
            "allow_sync": True,
            "plex_home": True,
            "libraries": [2, 1],
            "description": " for family ",
        },
        actor=Actor.admin(owner),
    )

    assert template.name == "Family"
    assert (template.usage_limit, template.expires_in_days, template.user_expires_in_days) == (None, 30, 365)
    assert (template.allow_sync, template.plex_home, template.libraries) == (True, True, "1,2")
    assert template.description == "for family"
    assert AuditEvent.objects.filter(action="template.create", object_label="Family").exists()


def test_an_invite_made_from_a_template_ignores_the_owners_defaults(owner: User, server: MediaServer) -> None:
    SiteSettings.objects.filter(pk=1).update(default_allow_channels=True, default_usage_limit=9)
    template = invite_templates.create_template("Plain", {"usage_limit": 2}, actor=Actor.admin(owner))

    invite = services.create_invite(invite_templates.template_settings(template), actor=Actor.admin(owner))

    assert (invite.usage_limit, invite.allow_channels, invite.libraries) == (2, False, "default")


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("", {}),
        ("x" * 101, {}),
        ("Bad", {"usage_limit": 0}),
        ("Bad", {"usage_limit": 101}),
        ("Bad", {"expires_in_days": True}),
        ("Bad", {"allow_sync": "yes"}),
        ("Bad", {"libraries": [99]}),
        ("Bad", {"description": "x" * 501}),
        ("Bad", {"code": "NOPE1234"}),
    ],
)
def test_it_refuses_bad_settings(owner: User, server: MediaServer, name: str, data: dict[str, object]) -> None:
    with pytest.raises(Invalid):
        invite_templates.create_template(name, data, actor=Actor.admin(owner))

    assert not InviteTemplate.objects.exists()


def test_names_are_unique(owner: User) -> None:
    invite_templates.create_template("Trial", {}, actor=Actor.admin(owner))

    with pytest.raises(Conflict) as raised:
        invite_templates.create_template("Trial", {}, actor=Actor.admin(owner))

    assert raised.value.code == "template_name_taken"


def test_it_updates_and_deletes_a_template(owner: User) -> None:
    template = invite_templates.create_template("Trial", {"usage_limit": 1}, actor=Actor.admin(owner))

    invite_templates.update_template(template, "Long trial", {"expires_in_days": 60}, actor=Actor.admin(owner))
    template.refresh_from_db()
    assert (template.name, template.usage_limit, template.expires_in_days) == ("Long trial", 1, 60)

    invite_templates.delete_template(template, actor=Actor.admin(owner))
    assert not InviteTemplate.objects.exists()
    assert AuditEvent.objects.filter(action="template.delete").exists()
