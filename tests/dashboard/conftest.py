"""Helpers for the dashboard's tests: invites and members made through the real services."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from guestlist.core.audit import Actor
from guestlist.invites import services as invites
from guestlist.invites.models import Invite
from guestlist.invites.redemption import Identity, redeem
from guestlist.members.models import Member
from guestlist.plexsim import PlexSimulator


def htmx(target: str = "") -> dict[str, str]:
    """The headers htmx sends (``headers=htmx("invite-results")``)."""
    headers = {"HX-Request": "true"}
    if target:
        headers["HX-Target"] = target
    return headers


def make_invite(owner: User, **data: Any) -> Invite:
    return invites.create_invite(data, actor=Actor.admin(owner), created_by=owner)


def join(sim: PlexSimulator, invite: Invite, username: str) -> Member:
    """``username`` (a simulator account) redeems ``invite`` by signing in with Plex."""
    account = sim.account(username)
    identity = Identity(
        method="oauth",
        email=account.email,
        username=account.username,
        plex_id=account.id,
        thumb=f"{sim.plex_tv_url}{account.thumb}",
        token=account.token,
    )
    return redeem(invite.code, identity, actor=Actor.redeemer(username)).member


def join_by_email(invite: Invite, email: str) -> Member:
    return redeem(invite.code, Identity(method="email", email=email), actor=Actor.redeemer(email)).member


@pytest.fixture(autouse=True)
def quick_password_hashing(settings: Any) -> None:
    # Argon2 costs about half a second per account; these tests are about pages, not hashes.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin_client(owner: User) -> Client:
    client = Client()
    client.force_login(owner)
    return client


@pytest.fixture
def outsider_client(outsider: User) -> Client:
    client = Client()
    client.force_login(outsider)
    return client
