"""The owner's side in the dashboard: the members table and page show role, quota and trial
and change them; the settings page holds the members' model; the invite list's "created
by" filter lists members."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.test import Client

from guestlist.core.models import SiteSettings
from guestlist.members import permissions
from guestlist.members.models import Member
from guestlist.members.permissions import perms_of
from tests.members_model.conftest import MakeMember, owner_invite, site

CREATE, VIEW = permissions.CREATE_INVITES, permissions.VIEW_INVITES


def test_the_members_table_shows_role_quota_use_and_trial(
    owner_client: Client, make_member: MakeMember, owner: User
) -> None:
    site(default_quota_limit=4, default_quota_days=30)
    alice = make_member("alice", perms=[CREATE, VIEW])
    alice.post("/api/me/invites")
    make_member("bob", invite=owner_invite(owner, trial=5))
    page = owner_client.get("/users").content.decode()
    assert "Create Invites" in page and "View Invites" in page
    assert "1 / 4" in page
    assert "badge trial" in page


def test_the_members_table_does_not_query_per_row(
    owner_client: Client, make_member: MakeMember, django_assert_max_num_queries: Any
) -> None:
    for name in ("alice", "bob", "carol", "guest"):
        make_member(name, perms=[CREATE])
    with django_assert_max_num_queries(20):
        assert owner_client.get("/users").status_code == 200


def test_the_owner_changes_permissions_quota_and_trial_on_the_member_page(
    owner_client: Client, make_member: MakeMember, owner: User
) -> None:
    alice = make_member("alice", invite=owner_invite(owner, trial=5))
    page = owner_client.get(f"/users/{alice.member.pk}").content.decode()
    assert "Sign-in and permissions" in page and "Invite quota" in page and "In a trial until" in page

    owner_client.post(f"/users/{alice.member.pk}/permissions", {"rights-permissions": [CREATE, VIEW]})
    assert perms_of(User.objects.get(pk=alice.user.pk)) == {CREATE, VIEW}
    owner_client.post(f"/users/{alice.member.pk}/quota", {"limit": "2", "days": "0"})
    member = Member.objects.get(pk=alice.member.pk)
    assert (member.invite_quota_limit, member.invite_quota_days) == (2, 0)
    alice.post("/api/me/trial/extension", {"message": "more please"})
    assert "more please" in owner_client.get(f"/users/{alice.member.pk}").content.decode()
    owner_client.post(f"/users/{alice.member.pk}/trial", {"action": "approve", "days": "3"})
    owner_client.post(f"/users/{alice.member.pk}/trial", {"action": "end"})
    assert not Member.objects.get(pk=alice.member.pk).in_trial
    assert "The trial ended on" in owner_client.get(f"/users/{alice.member.pk}").content.decode()


def test_the_settings_page_holds_local_accounts_default_permissions_quota_and_trials(
    owner_client: Client, server: Any
) -> None:
    assert "Allow local accounts" in owner_client.get("/settings/members").content.decode()
    response = owner_client.post(
        "/settings/members",
        {
            "local_accounts_enabled": "on",
            "default_member_permissions": [CREATE, VIEW],
            "default_quota_limit": "3",
            "default_quota_days": "0",
            "trial_enabled": "on",
            "trial_days": "14",
            "trial_outcome": "deactivate",
        },
    )
    assert response.status_code == 302
    saved = SiteSettings.load()
    assert saved.local_accounts_enabled and saved.trial_enabled
    assert saved.default_member_permissions == [CREATE, VIEW]
    assert (saved.default_quota_limit, saved.default_quota_days) == (3, 0)
    assert (saved.trial_days, saved.trial_outcome) == (14, "deactivate")


def test_the_invite_lists_created_by_filter_includes_members(
    owner_client: Client, make_member: MakeMember, owner: User
) -> None:
    alice = make_member("alice", perms=[CREATE])
    code = alice.post("/api/me/invites").json()["code"]
    owner_invite(owner, description="the owner's")
    page = owner_client.get("/invites").content.decode()
    assert '<option value="alice">alice</option>' in page
    filtered = owner_client.get("/invites", {"created_by": "alice"}).content.decode()
    assert code in filtered
    assert "the owner&#x27;s" not in filtered and "the owner's" not in filtered


def test_the_member_area_speaks_german(make_member: MakeMember, owner: User) -> None:
    site(default_quota_limit=3, default_quota_days=30)
    alice = make_member("alice", perms=[CREATE, VIEW])
    alice.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "de-DE,de;q=0.9"
    alice.post("/api/me/invites")
    page = alice.get("/me/").content.decode()
    assert '<html lang="de">' in page
    assert "Deine Mitgliedschaft" in page and "Einen Freund einladen" in page
    assert "2 von 3 Einladungen übrig für 30 Tage." in page
    assert "Link kopieren" in page and "Eingelöst von" in page
    trial = make_member("bob", invite=owner_invite(owner, trial=5))
    trial.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "de"
    assert "Mitglieder in der Probezeit können noch keine Einladungen erstellen." in trial.get("/me/").content.decode()
