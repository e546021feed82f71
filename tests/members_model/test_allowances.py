"""What members may do and how much quota they have left is read once, the same way, for the
owner's table, /me/members and the member API; and those member lists come in pages."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from guestlist.core.audit import Actor
from guestlist.invites import services as invites
from guestlist.members import permissions
from guestlist.members.allowances import allowances
from guestlist.members.logins import ensure_user
from guestlist.members.models import Member
from guestlist.members.views import INVITES_PAGE_SIZE, MEMBERS_PAGE_SIZE
from guestlist.plex.models import MediaServer
from tests.members_model.conftest import MakeMember, owner_invite, site

CREATE, VIEW, MANAGE_USERS, MANAGE_INVITES = (
    permissions.CREATE_INVITES,
    permissions.VIEW_INVITES,
    permissions.MANAGE_USERS,
    permissions.MANAGE_INVITES,
)


def bystanders(server: MediaServer, count: int, *, perms: tuple[str, ...] = ()) -> list[Member]:
    """Members made straight in the database: enough rows to fill pages, without Plex."""
    made = []
    start = Member.objects.count()
    for number in range(start, start + count):
        member = Member.objects.create(
            server=server,
            person_key=f"email:bystander{number}@example.com",
            email=f"bystander{number}@example.com",
            username=f"bystander{number}",
            status=Member.Status.ACTIVE,
        )
        user = ensure_user(member, actor=Actor.system("test"))
        permissions.set_user_permissions(user, list(perms))
        made.append(member)
    return made


def grant_through_group(user: User, *perms: str) -> None:
    group, _ = Group.objects.get_or_create(name="helpers")
    group.permissions.set(Permission.objects.filter(content_type__app_label="members", codename__in=perms))
    user.groups.add(group)


def test_a_permission_given_through_a_group_counts_everywhere_alike(
    make_member: MakeMember, owner_client: Client, server: MediaServer
) -> None:
    manager = make_member("alice", perms=[MANAGE_USERS])
    bob = make_member("bob", perms=[VIEW])
    grant_through_group(bob.user, MANAGE_INVITES)
    site(default_quota_limit=3, default_quota_days=0)

    assert permissions.perms_of(User.objects.get(pk=bob.user.pk)) == {VIEW, MANAGE_INVITES}
    table = allowances([Member.objects.get(pk=bob.member.pk)])[bob.member.pk]
    assert table.permissions == [MANAGE_INVITES, VIEW]
    assert table.quota.exempt and table.limit is None

    listed = manager.get("/api/me/members").json()["items"]
    shown = next(item for item in listed if item["id"] == bob.member.pk)
    assert shown["permissions"] == [MANAGE_INVITES, VIEW]
    assert shown["quota"]["exempt"] is True
    assert bob.get("/api/me").json()["quota"]["exempt"] is True
    page = owner_client.get("/users").content.decode()
    assert "Manage Invites" in page


def test_an_inactive_account_may_do_nothing_whatever_it_was_granted(make_member: MakeMember) -> None:
    bob = make_member("bob", perms=[CREATE, VIEW])
    User.objects.filter(pk=bob.user.pk).update(is_active=False)

    assert permissions.perms_of(User.objects.get(pk=bob.user.pk)) == frozenset()
    assert allowances([Member.objects.get(pk=bob.member.pk)])[bob.member.pk].permissions == []


def test_quota_use_is_counted_per_window_the_same_for_one_member_or_many(make_member: MakeMember, owner: User) -> None:
    site(default_quota_limit=5, default_quota_days=30)
    alice = make_member("alice", perms=[CREATE, VIEW])
    bob = make_member("bob", perms=[CREATE, VIEW])
    for _ in range(2):
        assert alice.post("/api/me/invites").status_code == 201
    assert bob.post("/api/me/invites").status_code == 201
    Member.objects.filter(pk=bob.member.pk).update(invite_quota_limit=1, invite_quota_days=0)

    found = allowances(list(Member.objects.filter(pk__in=[alice.member.pk, bob.member.pk])))
    assert (found[alice.member.pk].used, found[alice.member.pk].limit) == (2, 5)
    assert (found[bob.member.pk].used, found[bob.member.pk].limit) == (1, 1)
    assert alice.get("/api/me").json()["quota"]["used"] == 2
    assert bob.get("/api/me").json()["quota"]["remaining"] == 0


def test_the_member_lists_under_me_read_rights_in_the_same_number_of_queries_for_any_length(
    make_member: MakeMember, server: MediaServer
) -> None:
    manager = make_member("alice", perms=[MANAGE_USERS])
    bystanders(server, 2, perms=(CREATE,))
    with CaptureQueriesContext(connection) as few_api:
        assert manager.get("/api/me/members").status_code == 200
    with CaptureQueriesContext(connection) as few_page:
        assert manager.get("/me/members").status_code == 200
    bystanders(server, 12, perms=(CREATE, VIEW))
    with CaptureQueriesContext(connection) as many_api:
        assert len(manager.get("/api/me/members").json()["items"]) == 15
    with CaptureQueriesContext(connection) as many_page:
        assert manager.get("/me/members").status_code == 200

    assert len(many_api.captured_queries) == len(few_api.captured_queries)
    assert len(many_page.captured_queries) == len(few_page.captured_queries)


def test_me_members_comes_in_pages_instead_of_stopping_short(make_member: MakeMember, server: MediaServer) -> None:
    manager = make_member("alice", perms=[MANAGE_USERS])
    bystanders(server, MEMBERS_PAGE_SIZE)
    first = manager.get("/me/members").content.decode()
    assert "Page 1 of 2" in first and "?page=2" in first
    second = manager.get("/me/members", page=2).content.decode()
    assert "Page 2 of 2" in second and 'rel="prev"' in second
    shown = first.count('class="card member-card"') + second.count('class="card member-card"')
    assert shown == MEMBERS_PAGE_SIZE + 1


def test_the_invite_lists_under_me_come_in_pages(make_member: MakeMember, owner: User, server: Any) -> None:
    alice = make_member("alice", perms=[CREATE, VIEW, MANAGE_INVITES])
    for _ in range(INVITES_PAGE_SIZE):
        owner_invite(owner)
    assert 'rel="next"' not in alice.get("/me/").content.decode()
    assert "Page 1 of 2" in alice.get("/me/all-invites").content.decode()
    assert "Page 2 of 2" in alice.get("/me/all-invites", page=2).content.decode()

    for _ in range(INVITES_PAGE_SIZE + 1):
        invites.create_invite({}, actor=Actor.system("test"), created_by=alice.user)
    own = alice.get("/me/").content.decode()
    assert "Page 1 of 2" in own and 'rel="next"' in own
