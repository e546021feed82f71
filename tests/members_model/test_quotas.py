"""Invite quotas: the window's edges, lifetime quotas, slots given back, overrides, exemptions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from django.utils import timezone

from guestlist.invites.models import Invite
from guestlist.members import permissions
from tests.members_model.conftest import MakeMember, Person, site

CREATE, ADVANCED = permissions.CREATE_INVITES, permissions.ADVANCED_INVITES


def create(person: Person, **fields: Any) -> Any:
    return person.post("/api/me/invites", fields)


def quota(person: Person) -> dict[str, Any]:
    return dict(person.get("/api/me").json()["quota"])


def test_a_member_creates_up_to_the_limit_and_the_next_is_refused_with_when_a_slot_frees(
    make_member: MakeMember,
) -> None:
    site(default_quota_limit=2, default_quota_days=30)
    alice = make_member("alice", perms=[CREATE])
    assert quota(alice) == {**quota(alice), "limit": 2, "days": 30, "used": 0, "remaining": 2, "restricted": True}
    first = create(alice)
    assert create(alice).status_code == 201
    refused = create(alice)
    assert refused.status_code == 403
    body = refused.json()
    assert body["error"] == "quota_exceeded"
    assert body["details"]["used"] == 2 and body["details"]["limit"] == 2
    created_at = Invite.objects.get(pk=first.json()["id"]).created_at
    assert body["details"]["next_slot_at"] == (created_at + timedelta(days=30)).isoformat()
    shown = quota(alice)
    assert shown["remaining"] == 0
    assert shown["next_slot_at"] is not None
    page = alice.get("/me/").content.decode()
    assert "0 of 2 invites left in 30 days." in page
    assert "The next one frees on" in page


def test_an_invite_just_outside_the_window_no_longer_counts(make_member: MakeMember) -> None:
    site(default_quota_limit=1, default_quota_days=7)
    alice = make_member("alice", perms=[CREATE])
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert create(alice).status_code == 201
    with time_machine.travel(start + timedelta(days=7) - timedelta(seconds=1), tick=False):
        assert create(alice).status_code == 403, "still inside the 7 days"
    with time_machine.travel(start + timedelta(days=7), tick=False):
        assert create(alice).status_code == 201, "exactly 7 days later the first one left the window"


def test_a_lifetime_quota_never_frees_a_slot_by_time(make_member: MakeMember) -> None:
    site(default_quota_limit=1, default_quota_days=0)
    alice = make_member("alice", perms=[CREATE])
    assert create(alice).status_code == 201
    with time_machine.travel(timezone.now() + timedelta(days=3650), tick=False):
        alice.client.force_login(alice.user)  # sessions last two weeks
        refused = create(alice)
        assert refused.status_code == 403
        assert refused.json()["details"]["next_slot_at"] is None
        assert "for your whole membership" in alice.get("/me/").content.decode()


def test_an_invite_that_expired_unused_gives_its_slot_back_but_a_used_one_does_not(
    make_member: MakeMember, sim: Any
) -> None:
    site(default_quota_limit=2, default_quota_days=0)
    alice = make_member("alice", perms=[CREATE, ADVANCED])
    unused = create(alice, expires_in_days=1).json()
    used = create(alice, expires_in_days=1).json()
    from tests.dashboard.conftest import join

    join(sim, Invite.objects.get(pk=used["id"]), "guest")
    assert create(alice).status_code == 403
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1), tick=False):
        assert quota(alice)["used"] == 1
        assert create(alice).status_code == 201, "the unused, expired invite gave its slot back"
        assert create(alice).status_code == 403, "the used one still counts"
    assert unused["id"] != used["id"]


def test_deleting_an_unused_invite_gives_its_slot_back(make_member: MakeMember) -> None:
    site(default_quota_limit=1, default_quota_days=30)
    alice = make_member("alice", perms=[CREATE])
    made = create(alice).json()
    assert create(alice).status_code == 403
    assert alice.delete(f"/api/me/invites/{made['id']}").status_code == 204
    assert create(alice).status_code == 201


def test_a_per_member_override_wins_over_the_default(make_member: MakeMember, api: Any) -> None:
    site(default_quota_limit=1, default_quota_days=30)
    alice = make_member("alice", perms=[CREATE])
    set_override = api.put(
        f"/api/users/{alice.member.pk}/quota", data={"limit": 3, "days": 0}, content_type="application/json"
    )
    assert set_override.status_code == 200, set_override.content
    assert set_override.json()["quota"]["limit"] == 3
    assert set_override.json()["quota"]["overridden"] is True
    for _ in range(3):
        assert create(alice).status_code == 201
    assert create(alice).status_code == 403
    zero = api.put(
        f"/api/users/{alice.member.pk}/quota", data={"limit": 0, "days": None}, content_type="application/json"
    )
    assert zero.json()["quota"] == {**zero.json()["quota"], "limit": 0, "days": 30, "remaining": 0}
    back = api.put(
        f"/api/users/{alice.member.pk}/quota", data={"limit": None, "days": None}, content_type="application/json"
    )
    assert back.json()["quota"]["overridden"] is False
    bad = api.put(f"/api/users/{alice.member.pk}/quota", data={"limit": -1, "days": 5}, content_type="application/json")
    assert bad.status_code == 422


def test_manage_users_and_manage_invites_holders_and_admins_are_exempt(make_member: MakeMember, owner: Any) -> None:
    site(default_quota_limit=1, default_quota_days=30)
    for name, perms in (("alice", [CREATE, permissions.MANAGE_USERS]), ("bob", [permissions.MANAGE_INVITES])):
        person = make_member(name, perms=perms)
        for _ in range(3):
            assert create(person).status_code == 201, name
        assert quota(person)["exempt"] is True
    from django.test import Client

    admin = Client()
    admin.force_login(owner)
    for _ in range(3):
        assert admin.post("/api/me/invites", data={}, content_type="application/json").status_code == 201


def test_no_default_limit_means_no_quota(make_member: MakeMember) -> None:
    site(default_quota_limit=None)
    alice = make_member("alice", perms=[CREATE])
    for _ in range(6):
        assert create(alice).status_code == 201
    assert quota(alice)["restricted"] is False
