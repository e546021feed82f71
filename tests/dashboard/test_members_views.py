"""The members manager: the table and its filters, expiry (one and many), Plex actions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from guestlist.core.audit import Actor
from guestlist.core.models import AuditEvent
from guestlist.invites.models import Invite
from guestlist.members.models import Member
from guestlist.members.sync import sync_now
from guestlist.plex import services as plex_services
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from guestlist.plexwork.models import PlexOperation
from tests.conftest import MACHINE_ID
from tests.dashboard.conftest import htmx, join, join_by_email, make_invite

pytestmark = pytest.mark.django_db


@pytest.fixture
def invite(server: MediaServer, owner: User) -> Invite:
    return make_invite(owner, usage_limit=10, libraries=[1, 2])


def shares_of(sim: PlexSimulator, username: str) -> list[object]:
    account = sim.account(username)
    return [share for share in sim.shares_of(MACHINE_ID) if share.invited_id == account.id]


def test_the_table_shows_avatar_name_email_invite_dates_and_badges(
    admin_client: Client, sim: PlexSimulator, invite: Invite
) -> None:
    member = join(sim, invite, "alice")
    member.expires_at = timezone.now() + timedelta(days=3)
    member.save()

    page = admin_client.get("/users").content.decode()

    assert f'src="{sim.plex_tv_url}/__sim/avatars/alice.svg"' in page
    assert "alice@example.com" in page
    assert f">{invite.code}</a>" in page
    assert '<span class="badge active">Active</span><span class="badge expiring">Expiring soon</span>' in page


def test_a_member_without_avatar_gets_their_initials(admin_client: Client, invite: Invite) -> None:
    join_by_email(invite, "zoe.quinn@example.com")

    page = admin_client.get("/users").content.decode()

    assert '<span class="avatar initials" aria-hidden="true">ZQ</span>' in page


def test_filters_and_search_narrow_the_table(admin_client: Client, sim: PlexSimulator, invite: Invite) -> None:
    soon = join(sim, invite, "alice")
    soon.expires_at = timezone.now() + timedelta(days=2)
    soon.save()
    later = join(sim, invite, "bob")
    later.expires_at = timezone.now() + timedelta(days=60)
    later.save()
    gone = join(sim, invite, "carol")
    Member.objects.filter(pk=gone.pk).update(status=Member.Status.REMOVED)
    lapsed = join(sim, invite, "guest")
    Member.objects.filter(pk=lapsed.pk).update(status=Member.Status.EXPIRED)

    def names(query: str) -> set[str]:
        page = admin_client.get(f"/users{query}").content.decode()
        return {name for name in ("alice", "bob", "carol", "guest") if f">{name}</a>" in page}

    assert names("") == {"alice", "bob", "carol", "guest"}
    assert names("?status=live") == {"alice", "bob"}
    assert names("?status=expiring") == {"alice"}
    assert names("?status=removed") == {"carol"}
    assert names("?status=expired") == {"guest"}
    assert names("?search=BOB@") == {"bob"}


def test_filtering_answers_htmx_with_a_fragment_and_fresh_counts(
    admin_client: Client, sim: PlexSimulator, invite: Invite
) -> None:
    join(sim, invite, "alice")
    join(sim, invite, "bob")

    html = admin_client.get("/users?search=alice", headers=htmx("member-results")).content.decode()

    assert "<html" not in html
    assert ">alice</a>" in html and ">bob</a>" not in html
    assert '<span class="count" id="count-all" hx-swap-oob="true">1</span>' in html


def test_bulk_extend_pushes_expiry_for_the_selection_only(
    admin_client: Client, sim: PlexSimulator, invite: Invite
) -> None:
    alice, bob, carol = (join(sim, invite, name) for name in ("alice", "bob", "carol"))
    start = timezone.now() + timedelta(days=5)
    Member.objects.filter(pk=alice.pk).update(expires_at=start)

    response = admin_client.post(
        "/users/bulk", {"ids": [alice.pk, bob.pk], "action": "extend_1m", "next": "/users?status=live"}
    )

    assert response["Location"] == "/users?status=live"
    for member in (alice, bob, carol):
        member.refresh_from_db()
    assert alice.expires_at is not None and 28 <= (alice.expires_at - start).days <= 31
    assert bob.expires_at is not None and 27 <= (bob.expires_at - timezone.now()).days <= 31
    assert carol.expires_at is None
    assert AuditEvent.objects.filter(action="member.expiry").count() == 2


def test_bulk_actions_leave_members_without_access_alone(
    admin_client: Client, sim: PlexSimulator, invite: Invite
) -> None:
    alice = join(sim, invite, "alice")
    gone = join(sim, invite, "bob")
    Member.objects.filter(pk=gone.pk).update(status=Member.Status.REMOVED)

    response = admin_client.post("/users/bulk", {"ids": [alice.pk, gone.pk], "action": "extend_1w"}, follow=True)

    gone.refresh_from_db()
    assert gone.expires_at is None
    assert "1 selected member has no access and was left alone." in response.content.decode()


def test_bulk_clear_and_remove(admin_client: Client, sim: PlexSimulator, invite: Invite) -> None:
    alice, bob = join(sim, invite, "alice"), join(sim, invite, "bob")
    Member.objects.filter(pk=alice.pk).update(expires_at=timezone.now() + timedelta(days=1))

    admin_client.post("/users/bulk", {"ids": [alice.pk], "action": "clear_expiry"})
    admin_client.post("/users/bulk", {"ids": [bob.pk], "action": "remove"})

    alice.refresh_from_db()
    bob.refresh_from_db()
    assert alice.expires_at is None
    assert bob.status == Member.Status.REMOVED
    assert shares_of(sim, "bob") == [] and len(shares_of(sim, "alice")) == 1


def test_bulk_without_a_selection_says_so(admin_client: Client, owner: User) -> None:
    response = admin_client.post("/users/bulk", {"action": "remove"}, follow=True)

    assert "Select at least one member and an action." in response.content.decode()


def test_bulk_refuses_to_redirect_elsewhere(admin_client: Client, sim: PlexSimulator, invite: Invite) -> None:
    alice = join(sim, invite, "alice")

    response = admin_client.post(
        "/users/bulk", {"ids": [alice.pk], "action": "extend_1w", "next": "https://evil.example/"}
    )

    assert response["Location"] == "/users"


def test_the_details_page_shows_access_and_history(admin_client: Client, sim: PlexSimulator, invite: Invite) -> None:
    member = join(sim, invite, "alice")

    page = admin_client.get(f"/users/{member.pk}").content.decode()

    assert "alice@example.com" in page
    assert "Movies" in page and "TV Shows" in page
    assert invite.code in page
    assert "Share the server" in page and "Accept the invite" in page
    assert "Remove access" in page and "Re-invite" not in page
    assert admin_client.get("/users/999").status_code == 404


def test_setting_and_clearing_expiry_answers_htmx_with_the_expiry_box(
    admin_client: Client, sim: PlexSimulator, invite: Invite
) -> None:
    member = join(sim, invite, "alice")

    response = admin_client.post(
        f"/users/{member.pk}/expiry",
        {"action": "set", "expires_at": "2030-05-06T07:08"},
        headers=htmx("member-expiry"),
    )

    member.refresh_from_db()
    assert member.expires_at is not None
    assert timezone.localtime(member.expires_at).strftime("%Y-%m-%d %H:%M") == "2030-05-06 07:08"
    html = response.content.decode()
    assert "<html" not in html and 'id="member-expiry"' in html
    assert "Access ends on" in html and "Expiry saved." in html

    admin_client.post(f"/users/{member.pk}/expiry", {"action": "clear"})
    member.refresh_from_db()
    assert member.expires_at is None

    admin_client.post(f"/users/{member.pk}/expiry", {"action": "extend_1y"})
    member.refresh_from_db()
    assert member.expires_at is not None and 364 <= (member.expires_at - timezone.now()).days <= 366


def test_setting_expiry_without_a_date_is_refused(admin_client: Client, sim: PlexSimulator, invite: Invite) -> None:
    member = join(sim, invite, "alice")

    html = admin_client.post(
        f"/users/{member.pk}/expiry", {"action": "set", "expires_at": ""}, headers=htmx("member-expiry")
    ).content.decode()

    assert "Pick a date, or use “Clear” for no expiry." in html
    member.refresh_from_db()
    assert member.expires_at is None


def test_removing_takes_the_share_away_on_plex(admin_client: Client, sim: PlexSimulator, invite: Invite) -> None:
    member = join(sim, invite, "alice")
    assert len(shares_of(sim, "alice")) == 1

    response = admin_client.post(f"/users/{member.pk}/remove", follow=True)

    member.refresh_from_db()
    assert member.status == Member.Status.REMOVED
    assert shares_of(sim, "alice") == []
    page = response.content.decode()
    assert "alice no longer has access to your server." in page
    assert "Re-invite" in page


def test_removing_while_plex_is_down_is_retried_and_says_so(
    admin_client: Client, sim: PlexSimulator, invite: Invite
) -> None:
    member = join(sim, invite, "alice")
    sim.inject_fault("*", "/api/servers/*", status=503, times=None)

    response = admin_client.post(f"/users/{member.pk}/remove", follow=True)

    member.refresh_from_db()
    assert member.status == Member.Status.REMOVING
    assert PlexOperation.objects.filter(member=member, kind="remove", state="queued").exists()
    assert "will be retried until it works" in response.content.decode()
    overview = admin_client.get("/").content.decode()
    assert "1 Plex change is waiting to be retried" in overview
    assert "1 member is still being removed" in overview


def test_refreshing_reads_the_member_from_plex(admin_client: Client, sim: PlexSimulator, invite: Invite) -> None:
    member = join_by_email(invite, "alice@example.com")
    server = invite.server
    plex_services.sign_in().accept_invite(
        sim.account("alice").token, owner_account_id=server.owner_plex_id or 0, machine_identifier=MACHINE_ID
    )

    response = admin_client.post(f"/users/{member.pk}/refresh", follow=True)

    member.refresh_from_db()
    assert member.username == "alice"
    assert member.thumb.endswith("/__sim/avatars/alice.svg")
    assert "Refreshed alice from Plex." in response.content.decode()


def test_refreshing_while_plex_is_down_explains(admin_client: Client, sim: PlexSimulator, invite: Invite) -> None:
    member = join(sim, invite, "alice")
    sim.inject_fault("GET", "/api/users/", status=503)

    response = admin_client.post(f"/users/{member.pk}/refresh", follow=True)

    assert "Plex is not answering right now" in response.content.decode()


def test_reinviting_a_removed_member_makes_a_personal_single_use_invite_with_their_access(
    admin_client: Client, sim: PlexSimulator, invite: Invite
) -> None:
    member = join(sim, invite, "alice")
    admin_client.post(f"/users/{member.pk}/remove")

    response = admin_client.post(f"/users/{member.pk}/reinvite")

    personal = Invite.objects.exclude(pk=invite.pk).get()
    assert response["Location"] == f"/invites/{personal.pk}"
    assert personal.usage_limit == 1
    assert personal.libraries == "1,2"
    assert personal.description == "Re-invite for alice"
    again = join_by_email(personal, "alice@example.com")
    assert again.pk == member.pk
    assert len(shares_of(sim, "alice")) == 1
    # Plex accepts a share to an existing friend by itself; the next sync notices.
    sync_now(actor=Actor.job("sync"))
    again.refresh_from_db()
    assert again.status == Member.Status.ACTIVE


def test_reinviting_someone_who_has_access_is_refused(admin_client: Client, sim: PlexSimulator, invite: Invite) -> None:
    member = join(sim, invite, "alice")

    response = admin_client.post(f"/users/{member.pk}/reinvite", follow=True)

    assert Invite.objects.count() == 1
    assert "This person already has access." in response.content.decode()


def test_sync_reports_what_changed(admin_client: Client, sim: PlexSimulator, invite: Invite) -> None:
    join(sim, invite, "alice")
    sim.share(MACHINE_ID, sim.account("carol"), accepted=True)

    plain = admin_client.post("/users/sync", follow=True).content.decode()
    imported = admin_client.post("/users/sync", {"import": "1"}, follow=True).content.decode()

    assert "0 imported" in plain
    assert "1 imported" in imported
    assert Member.objects.filter(username="carol").exists()


def test_sync_while_plex_is_down_changes_nobody(admin_client: Client, sim: PlexSimulator, invite: Invite) -> None:
    join(sim, invite, "alice")
    sim.inject_fault("GET", "/api/users/", status=500)

    response = admin_client.post("/users/sync", follow=True)

    assert "Plex is not answering right now" in response.content.decode()
    assert Member.objects.get().status == Member.Status.ACTIVE
