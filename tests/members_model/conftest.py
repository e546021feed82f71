"""The members' model's cast: members of the test server who sign in to Guestlist.

Members join through the real redemption service (Plex sign-in against the simulator),
get their Django user and permissions through the real services, and call the API and
pages with their own session.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from guestlist.core.audit import Actor
from guestlist.core.models import SiteSettings
from guestlist.invites import services as invites
from guestlist.invites.models import Invite
from guestlist.members import permissions
from guestlist.members.logins import ensure_user
from guestlist.members.models import Member
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from tests.dashboard.conftest import join

ALL = permissions.ALL


@pytest.fixture(autouse=True)
def quick_password_hashing(settings: Any) -> None:
    # Argon2 costs about half a second per account; one test checks the real hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def site(**changes: Any) -> SiteSettings:
    settings = SiteSettings.load()
    for name, value in changes.items():
        setattr(settings, name, value)
    settings.save()
    return settings


def owner_invite(owner: User, **data: Any) -> Invite:
    return invites.create_invite(data, actor=Actor.admin(owner), created_by=owner)


class Person:
    """A member with a signed-in client (``api`` for JSON calls)."""

    def __init__(self, member: Member, user: User) -> None:
        self.member = member
        self.user = user
        self.client = Client()
        self.client.force_login(user)

    def refresh(self) -> Person:
        self.member.refresh_from_db()
        self.user = User.objects.get(pk=self.user.pk)
        return self

    def get(self, path: str, **query: Any) -> Any:
        return self.client.get(path, query)

    def post(self, path: str, body: Any = None) -> Any:
        return self.client.post(path, data=body if body is not None else {}, content_type="application/json")

    def put(self, path: str, body: Any) -> Any:
        return self.client.put(path, data=body, content_type="application/json")

    def patch(self, path: str, body: Any) -> Any:
        return self.client.patch(path, data=body, content_type="application/json")

    def delete(self, path: str) -> Any:
        return self.client.delete(path)

    def form(self, path: str, data: dict[str, Any] | None = None) -> Any:
        return self.client.post(path, data or {})


MakeMember = Callable[..., Person]


@pytest.fixture
def make_member(sim: PlexSimulator, server: MediaServer, owner: User) -> MakeMember:
    """``make_member("alice", perms=[...])``: a simulator account joins and gets a user."""
    invite_for_members = owner_invite(owner, usage_limit=None)

    def make(username: str, *, perms: tuple[str, ...] | list[str] = (), invite: Invite | None = None) -> Person:
        member = join(sim, invite or invite_for_members, username)
        user = ensure_user(member, actor=Actor.system("test"))
        permissions.set_user_permissions(user, list(perms))
        member.refresh_from_db()
        return Person(member, User.objects.get(pk=user.pk))

    return make
