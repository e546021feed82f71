"""When a member's access ends, the invites they made stop bringing people in (audit 1.8),
unless the owner chose to keep them working."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.contrib.auth.models import User
from django.utils import timezone

from guestlist.core.audit import Actor
from guestlist.core.models import AuditEvent
from guestlist.invites.models import Invite
from guestlist.members import expiry, permissions, self_service
from guestlist.members.models import Member
from guestlist.members.services import remove_member, set_expiry
from tests.members_model.conftest import MakeMember, Person, site


def invites_of(person: Person) -> list[Invite]:
    return list(Invite.objects.filter(created_by=person.user).order_by("pk"))


def alice_with_an_invite(make_member: MakeMember) -> Person:
    alice = make_member("alice", perms=[permissions.CREATE_INVITES])
    self_service.create_invite(permissions.caller_for(alice.user), {"description": "for a friend"})
    return alice


def test_removing_a_member_disables_their_unredeemed_invites(make_member: MakeMember, owner: User) -> None:
    alice = alice_with_an_invite(make_member)

    outcome = remove_member(alice.member, actor=Actor.admin(owner))

    assert outcome.done
    assert [invite.is_active for invite in invites_of(alice)] == [False]
    event = AuditEvent.objects.get(action="invite.update", object_id=str(invites_of(alice)[0].pk))
    assert event.details["reason"] == "creator_left"
    assert event.details["changes"] == {"is_active": [True, False]}
    assert Invite.objects.filter(created_by=owner, is_active=True).exists(), "other people's invites stay"


def test_an_expired_member_s_invites_are_disabled_too(make_member: MakeMember, owner: User) -> None:
    alice = alice_with_an_invite(make_member)
    set_expiry(alice.member, timezone.now() + timedelta(hours=1), actor=Actor.admin(owner))

    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        expiry.run()

    assert alice.refresh().member.status == Member.Status.EXPIRED
    assert [invite.is_active for invite in invites_of(alice)] == [False]


def test_the_owner_may_keep_departed_members_invites_working(make_member: MakeMember, owner: User) -> None:
    site(keep_departed_members_invites=True)
    alice = alice_with_an_invite(make_member)

    remove_member(alice.member, actor=Actor.admin(owner))

    assert [invite.is_active for invite in invites_of(alice)] == [True]
