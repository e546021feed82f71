"""Pages that tell one consistent story (issue 13): the member area and the owner's pages."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.test import Client

from guestlist.invites.models import Invite
from guestlist.members import permissions
from guestlist.members.models import Member
from guestlist.plex.models import MediaServer
from tests.members_model.conftest import MakeMember, owner_invite, site


def test_a_member_without_invite_rights_gets_one_message_not_a_quota(make_member: MakeMember) -> None:
    site(default_quota_limit=5, default_quota_days=30)
    bob = make_member("bob")

    page = bob.get("/me/").content.decode()

    assert "invites left" not in page
    assert "Ask the owner if you would like to invite friends." in page


def test_a_new_invite_is_shown_once_on_the_member_page(make_member: MakeMember) -> None:
    alice = make_member("alice", perms=[permissions.CREATE_INVITES, permissions.VIEW_INVITES])

    alice.form("/me/invites/new", {"mode": "basic"})
    page = alice.get("/me/").content.decode()

    code = Invite.objects.get(created_by=alice.user).code
    assert page.count(f'data-copy="http://testserver/invite/{code}"') == 1


def test_a_removed_member_shows_no_end_date_and_no_removal_help(
    make_member: MakeMember, owner: User, server: MediaServer
) -> None:
    alice = make_member("alice")
    Member.objects.filter(pk=alice.member.pk).update(status="removed", expires_at="2031-01-01T14:56:00Z")
    client = Client()
    client.force_login(owner)

    page = client.get(f"/users/{alice.member.pk}").content.decode()

    assert "Access ends on" not in page
    assert "Removing takes their share" not in page
    assert "Only members with access can have an expiry." in page


def test_a_dead_invite_does_not_say_you_are_invited(make_member: MakeMember, owner: User) -> None:
    invite = owner_invite(owner)
    invite.is_active = False
    invite.save()

    page = Client().get(f"/invite/{invite.code}").content.decode()

    assert "You are invited to" not in page
    assert "An invite to" in page


def test_dates_read_one_way_and_end_a_sentence_once(make_member: MakeMember, owner: User) -> None:
    alice = make_member("alice")
    Member.objects.filter(pk=alice.member.pk).update(expires_at="2027-01-01T14:56:00Z")
    client = Client()
    client.force_login(owner)

    page = client.get(f"/users/{alice.member.pk}").content.decode()

    assert "Access ends on Jan 1, 2027, 14:56." in page
    assert ".." not in page.split("Access ends on")[1].split("</p>")[0]
