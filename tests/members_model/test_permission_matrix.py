"""Each permission × each action, through the member API and through the pages.

The member under test ("alice") holds one set of permissions; "bob" (Create Invites)
owns an unused invite; "carol" is a member without permissions, the one Manage Users
acts on. Admin pages and the admin API refuse every member whatever they hold.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from guestlist.invites.models import Invite
from guestlist.members import permissions
from guestlist.members.permissions import perms_of
from tests.members_model.conftest import MakeMember, Person

VIEW, CREATE, ADVANCED = permissions.VIEW_INVITES, permissions.CREATE_INVITES, permissions.ADVANCED_INVITES
MANAGE_INVITES, MANAGE_USERS = permissions.MANAGE_INVITES, permissions.MANAGE_USERS

SETS: dict[str, tuple[str, ...]] = {
    "none": (),
    "view": (VIEW,),
    "create": (CREATE,),
    "advanced_only": (ADVANCED,),
    "create_advanced": (CREATE, ADVANCED),
    "manage_invites": (MANAGE_INVITES,),
    "manage_users": (MANAGE_USERS,),
}

ACTIONS = (
    "create_basic",
    "create_advanced",
    "create_plex_home",
    "list_own",
    "list_all",
    "view_other",
    "edit_other",
    "delete_other",
    "list_members",
    "member_expiry",
    "member_permissions",
    "admin_api",
)
# The API's answer for each set, in the order of ACTIONS.
API: dict[str, tuple[int, ...]] = {
    #                   basic adv  home own  all  view edit del  mem  exp  perm admin
    "none": (403, 403, 403, 403, 403, 404, 403, 404, 403, 403, 403, 403),
    "view": (403, 403, 403, 200, 403, 404, 403, 404, 403, 403, 403, 403),
    "create": (201, 403, 403, 403, 403, 404, 403, 404, 403, 403, 403, 403),
    "advanced_only": (403, 403, 403, 403, 403, 404, 403, 404, 403, 403, 403, 403),
    "create_advanced": (201, 201, 403, 403, 403, 404, 403, 404, 403, 403, 403, 403),
    "manage_invites": (201, 403, 403, 200, 200, 200, 200, 204, 403, 403, 403, 403),
    "manage_users": (403, 403, 403, 403, 403, 404, 403, 404, 200, 200, 200, 403),
}
ERROR_CODES = {
    ("create_advanced", "create"): "advanced_invites_required",
    ("create_advanced", "manage_invites"): "advanced_invites_required",
    ("create_plex_home", "create"): "owner_only",
    ("create_plex_home", "create_advanced"): "owner_only",
    ("create_plex_home", "manage_invites"): "owner_only",
    ("create_basic", "none"): "permission_denied",
    ("list_all", "view"): "permission_denied",
    ("admin_api", "manage_users"): "forbidden",
}


@pytest.fixture
def cast(make_member: MakeMember) -> dict[str, Any]:
    bob = make_member("bob", perms=[CREATE])
    made = bob.post("/api/me/invites")
    assert made.status_code == 201, made.content
    carol = make_member("carol")
    return {"bob": bob, "carol": carol, "bobs_invite": made.json()["id"]}


def call_api(alice: Person, action: str, cast: dict[str, Any]) -> Any:
    other, carol = cast["bobs_invite"], cast["carol"].member.pk
    return {
        "create_basic": lambda: alice.post("/api/me/invites"),
        "create_advanced": lambda: alice.post("/api/me/invites", {"usage_limit": 3, "expires_in_days": 7}),
        "create_plex_home": lambda: alice.post("/api/me/invites", {"plex_home": True}),
        "list_own": lambda: alice.get("/api/me/invites"),
        "list_all": lambda: alice.get("/api/me/invites", scope="all"),
        "view_other": lambda: alice.get(f"/api/me/invites/{other}"),
        "edit_other": lambda: alice.patch(f"/api/me/invites/{other}", {"is_active": False}),
        "delete_other": lambda: alice.delete(f"/api/me/invites/{other}"),
        "list_members": lambda: alice.get("/api/me/members"),
        "member_expiry": lambda: alice.put(f"/api/me/members/{carol}/expiration", {"expires_at": None}),
        "member_permissions": lambda: alice.put(f"/api/me/members/{carol}/permissions", {"permissions": [VIEW]}),
        "admin_api": lambda: alice.get("/api/invites/"),
    }[action]()


@pytest.mark.parametrize("perm_set", list(SETS))
def test_the_member_api_answers_each_permission_as_the_table_says(
    perm_set: str, make_member: MakeMember, cast: dict[str, Any]
) -> None:
    alice = make_member("alice", perms=SETS[perm_set])
    for action, expected in zip(ACTIONS, API[perm_set], strict=True):
        response = call_api(alice, action, cast)
        assert response.status_code == expected, f"{perm_set} × {action}: {response.status_code} {response.content!r}"
        code = ERROR_CODES.get((action, perm_set))
        if code is not None:
            assert response.json()["error"] == code, f"{perm_set} × {action}"
    # What happened is what the answers said.
    invite_exists = Invite.objects.filter(pk=cast["bobs_invite"]).exists()
    assert invite_exists == (perm_set != "manage_invites")
    carol_user = User.objects.get(pk=cast["carol"].user.pk)
    assert (VIEW in perms_of(carol_user)) == (perm_set == "manage_users")


def test_a_basic_invite_is_single_use_never_expiring_with_the_default_libraries(make_member: MakeMember) -> None:
    alice = make_member("alice", perms=[CREATE])
    body = alice.post("/api/me/invites", {"description": "for my sister"}).json()
    assert body["usage_limit"] == 1
    assert body["expires_at"] is None
    assert body["libraries"] == "default"
    assert body["plex_home"] is False
    assert body["created_by"] == "alice"
    assert body["description"] == "for my sister"


def test_advanced_invites_choose_usage_expiry_libraries_and_features(make_member: MakeMember) -> None:
    alice = make_member("alice", perms=[CREATE, ADVANCED])
    body = alice.post(
        "/api/me/invites",
        {"usage_limit": 5, "expires_in_days": 14, "libraries": [1], "allow_sync": True, "allow_channels": True},
    ).json()
    assert body["usage_limit"] == 5
    assert body["expires_at"] is not None
    assert body["libraries"] == [1]
    assert body["allow_sync"] is True and body["allow_channels"] is True
    refused = alice.post("/api/me/invites", {"code": "MYOWNCODE1"})
    assert refused.status_code == 403
    assert refused.json()["error"] == "field_not_allowed"


def test_the_owner_alone_makes_plex_home_invites(api: Any, server: Any) -> None:
    response = api.post("/api/invites/", data={"plex_home": True}, content_type="application/json")
    assert response.status_code == 201


# -- the pages --------------------------------------------------------------------------

PAGES: dict[str, dict[str, object]] = {
    # created: invites alice made with the basic and the advanced form; sees: sections and pages
    "none": {"created": 0, "own_list": False, "all_page": 403, "members_page": 403, "deleted": False, "granted": False},
    "view": {"created": 0, "own_list": True, "all_page": 403, "members_page": 403, "deleted": False, "granted": False},
    "create": {
        "created": 1,
        "own_list": False,
        "all_page": 403,
        "members_page": 403,
        "deleted": False,
        "granted": False,
    },
    "create_advanced": {
        "created": 2,
        "own_list": False,
        "all_page": 403,
        "members_page": 403,
        "deleted": False,
        "granted": False,
    },
    "manage_invites": {
        "created": 1,
        "own_list": True,
        "all_page": 200,
        "members_page": 403,
        "deleted": True,
        "granted": False,
    },
    "manage_users": {
        "created": 0,
        "own_list": False,
        "all_page": 403,
        "members_page": 200,
        "deleted": False,
        "granted": True,
    },
}


@pytest.mark.parametrize("perm_set", list(PAGES))
def test_the_member_pages_follow_the_same_table(perm_set: str, make_member: MakeMember, cast: dict[str, Any]) -> None:
    expected = PAGES[perm_set]
    alice = make_member("alice", perms=SETS[perm_set])

    home = alice.get("/me/")
    assert home.status_code == 200
    assert ('id="list-title"' in home.content.decode()) == expected["own_list"]
    assert ('id="basic-invite"' in home.content.decode()) == (expected["created"] != 0)

    alice.form("/me/invites/new", {"mode": "basic"})
    alice.form("/me/invites/new", {"mode": "advanced", "usage_limit": "3", "library_mode": "default"})
    assert Invite.objects.filter(created_by=alice.user).count() == expected["created"]

    assert alice.get("/me/all-invites").status_code == expected["all_page"]
    assert alice.get("/me/members").status_code == expected["members_page"]
    alice.form(f"/me/invites/{cast['bobs_invite']}/delete", {"back": "all"})
    assert (not Invite.objects.filter(pk=cast["bobs_invite"]).exists()) == expected["deleted"]
    carol = cast["carol"]
    alice.form(f"/me/members/{carol.member.pk}/permissions", {f"m{carol.member.pk}-permissions": [VIEW]})
    assert (VIEW in perms_of(User.objects.get(pk=carol.user.pk))) == expected["granted"]

    # The admin dashboard stays closed to every member.
    assert alice.get("/").status_code == 403
    assert alice.get("/invites").status_code == 403


def test_manage_users_holders_cannot_hand_out_manage_users_or_change_themselves(make_member: MakeMember) -> None:
    alice = make_member("alice", perms=[MANAGE_USERS])
    carol = make_member("carol")
    refused = alice.put(f"/api/me/members/{carol.member.pk}/permissions", {"permissions": [MANAGE_USERS]})
    assert refused.status_code == 403
    assert refused.json()["error"] == "owner_only"
    own = alice.put(f"/api/me/members/{alice.member.pk}/permissions", {"permissions": [VIEW, MANAGE_USERS]})
    assert own.status_code == 403
    assert own.json()["error"] == "own_membership"


def test_the_owner_sets_any_permission_through_the_admin_api(api: Any, make_member: MakeMember) -> None:
    carol = make_member("carol")
    response = api.put(
        f"/api/users/{carol.member.pk}/permissions",
        data={"permissions": [MANAGE_USERS, CREATE]},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["permissions"] == [MANAGE_USERS, CREATE]
    bad = api.put(
        f"/api/users/{carol.member.pk}/permissions", data={"permissions": ["root"]}, content_type="application/json"
    )
    assert bad.status_code == 422


def test_member_sessions_need_the_csrf_token_to_write(make_member: MakeMember) -> None:
    from django.test import Client

    alice = make_member("alice", perms=[CREATE])
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice.user)
    response = strict.post("/api/me/invites", data={}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"] == "csrf_failed"


def test_the_member_api_needs_a_session(client: Any, api: Any) -> None:
    assert client.get("/api/me").status_code == 401
    assert client.get("/api/me/invites").json()["error"] == "unauthorized"
    # An API key is for the admin API only.
    assert api.get("/api/me").status_code == 401


def test_a_signed_in_account_without_membership_is_refused(outsider: User) -> None:
    from django.test import Client

    client = Client()
    client.force_login(outsider)
    response = client.get("/api/me")
    assert response.status_code == 403
    assert response.json()["error"] == "not_a_member"
    assert client.get("/me/").status_code == 403


def test_manage_invites_without_advanced_invites_edits_only_status_and_description(make_member: MakeMember) -> None:
    bob = make_member("bob", perms=[CREATE])
    invite_id = bob.post("/api/me/invites").json()["id"]
    alice = make_member("alice", perms=[MANAGE_INVITES])
    assert alice.patch(f"/api/me/invites/{invite_id}", {"description": "checked"}).status_code == 200
    refused = alice.patch(f"/api/me/invites/{invite_id}", {"usage_limit": 9})
    assert refused.status_code == 403
    assert refused.json()["error"] == "advanced_invites_required"
    both = make_member("carol", perms=[MANAGE_INVITES, ADVANCED])
    assert both.patch(f"/api/me/invites/{invite_id}", {"usage_limit": 9}).json()["usage_limit"] == 9
    assert both.patch(f"/api/me/invites/{invite_id}", {"plex_home": True}).status_code == 403


def test_a_member_sees_their_own_invite_with_who_redeemed_it_and_its_qr(make_member: MakeMember, sim: Any) -> None:
    from tests.dashboard.conftest import join

    alice = make_member("alice", perms=[CREATE, VIEW])
    made = alice.post("/api/me/invites").json()
    join(sim, Invite.objects.get(pk=made["id"]), "guest")
    listed = alice.get("/api/me/invites").json()
    assert listed["total"] == 1
    assert listed["items"][0]["redeemed_by"] == ["guest"]
    assert listed["items"][0]["status"] == "redeemed"
    qr = alice.get(f"/api/me/invites/{made['id']}/qr")
    assert qr.status_code == 200 and qr["Content-Type"].startswith("image/svg")
    assert alice.client.get(listed["items"][0]["qr_url"]).status_code == 200
    assert alice.get(f"/me/invites/{made['id']}/qr.svg").status_code == 200
    refused = alice.delete(f"/api/me/invites/{made['id']}")
    assert refused.status_code == 403
    assert refused.json()["error"] == "invite_used"


def test_an_admins_session_uses_the_member_api_with_every_permission(owner: User, server: Any) -> None:
    from django.test import Client

    client = Client()
    client.force_login(owner)
    me = client.get("/api/me").json()
    assert me["is_admin"] is True
    assert me["member"] is None
    assert me["permissions"] == list(permissions.ALL)
    assert me["quota"]["exempt"] is True
    assert client.get("/me/").status_code == 302, "admins have the dashboard"


def test_the_member_invite_list_reads_who_redeemed_in_one_query_whatever_its_length(
    make_member: MakeMember, sim: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.dashboard.conftest import join

    alice = make_member("alice", perms=[CREATE, VIEW, ADVANCED])
    first = alice.post("/api/me/invites", {"usage_limit": 5}).json()
    join(sim, Invite.objects.get(pk=first["id"]), "guest")
    with CaptureQueriesContext(connection) as one:
        assert alice.get("/api/me/invites").json()["items"][0]["redeemed_by"] == ["guest"]
    for _ in range(4):
        alice.post("/api/me/invites", {"usage_limit": 5})
    with CaptureQueriesContext(connection) as five:
        assert len(alice.get("/api/me/invites").json()["items"]) == 5
    assert len(five.captured_queries) == len(one.captured_queries)
