"""Manage Users lengthens or shortens a membership, but never ends it (audit finding 1.1)."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from guestlist.members import permissions
from guestlist.members.models import Member
from tests.members_model.conftest import MakeMember


def test_it_refuses_a_manage_users_holder_an_expiry_in_the_past(make_member: MakeMember) -> None:
    alice = make_member("alice", perms=[permissions.MANAGE_USERS])
    carol = make_member("carol")
    past = (timezone.now() - timedelta(minutes=1)).isoformat()

    response = alice.put(f"/api/me/members/{carol.member.pk}/expiration", {"expires_at": past})

    assert response.status_code == 422
    assert response.json()["error"] == "invalid"
    assert response.json()["details"]
    carol.refresh()
    assert carol.member.expires_at is None
    assert carol.member.status == Member.Status.ACTIVE


def test_it_lets_a_manage_users_holder_shorten_to_a_future_moment(make_member: MakeMember) -> None:
    alice = make_member("alice", perms=[permissions.MANAGE_USERS])
    carol = make_member("carol")
    soon = timezone.now() + timedelta(hours=1)

    response = alice.put(f"/api/me/members/{carol.member.pk}/expiration", {"expires_at": soon.isoformat()})

    assert response.status_code == 200
    assert carol.refresh().member.expires_at is not None


def test_it_still_lets_the_owner_end_access_at_once(make_member: MakeMember, api: Client) -> None:
    carol = make_member("carol")
    past = (timezone.now() - timedelta(minutes=1)).isoformat()

    response = api.put(
        f"/api/users/{carol.member.pk}/expiration", {"expires_at": past}, content_type="application/json"
    )

    assert response.status_code == 200
