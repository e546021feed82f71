"""Suspend instead of remove (issue 22 §2): when access ends the friend keeps their accepted
share, narrowed to the owner's suspension library, and a renewal gives their libraries back
with no new invitation. Removal stays the default. Everything goes through the outbox and is
recorded only once Plex confirms."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from guestlist.core.audit import Actor
from guestlist.core.models import AuditEvent, SiteSettings
from guestlist.invites.models import Redemption
from guestlist.invites.redemption import Identity, redeem
from guestlist.members import expiry, suspension, trials
from guestlist.members.models import Member
from guestlist.members.permissions import Caller
from guestlist.members.services import remove_member, set_expiry
from guestlist.members.sync import sync_now
from guestlist.notifications.models import Event
from guestlist.plex.models import Library, MediaServer
from guestlist.plexsim import PlexSimulator
from guestlist.plexwork.models import PlexOperation
from tests.lifecycle.conftest import (
    accept_in_plex,
    later,
    member_of,
    new_invite,
    redeem_email,
    remove_in_plex,
    run_owed_work,
    shares_of,
)

DAYS = timedelta(days=1)
RENEW_KEY = 4  # the simulator's fourth library stands in for "Renew your access"


def global_ids(server: MediaServer, *keys: int) -> list[int]:
    return sorted(
        gid for gid in Library.objects.filter(server=server, key__in=keys).values_list("global_id", flat=True) if gid
    )


def suspend_on_end(*, library: int | None = RENEW_KEY) -> None:
    site = SiteSettings.load()
    site.access_end = "suspend"
    site.suspend_library_key = library
    site.save()


def active_friend(sim: PlexSimulator, *, days: int = 30, libraries: str = "1,2") -> Member:
    """Someone who redeemed an invite to Movies and TV, accepted it, and is known to be active."""
    redeem_email(new_invite(user_expires_in_days=days, libraries=libraries, allow_sync=True))
    accept_in_plex(sim, "guest")
    sync_now(actor=Actor.system())
    member = member_of()
    assert member.status == "active"
    return member


def only_share(sim: PlexSimulator) -> Any:
    shares = shares_of(sim, "guest")
    assert len(shares) == 1
    return shares[0]


def actions(member: Member) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="member", object_id=str(member.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_an_expired_member_is_suspended_and_restored_by_a_renewal_without_a_new_invitation(
    server: MediaServer, sim: PlexSimulator
) -> None:
    suspend_on_end()
    member = active_friend(sim)
    share_before = only_share(sim)
    assert share_before.library_ids == global_ids(server, 1, 2)

    with later(timezone.now() + 31 * DAYS):
        assert expiry.run().startswith("1 expired")
    member = member_of()
    assert member.status == "suspended"
    assert member.suspended_at is not None
    assert member.suspended_share == {
        "library_keys": [1, 2],
        "allow_sync": True,
        "allow_channels": False,
        "allow_camera_upload": False,
    }
    share = only_share(sim)
    assert (share.id, share.accepted) == (share_before.id, True)
    assert share.library_ids == global_ids(server, RENEW_KEY)
    assert member.library_keys == [RENEW_KEY]
    assert "member.suspended" in actions(member)
    assert "member.expired" not in actions(member)
    assert Event.objects.filter(type="member.suspended").count() == 1

    emails_before = len(sim.emails())
    with later(timezone.now() + 32 * DAYS):
        set_expiry(member, timezone.now() + 30 * DAYS, actor=Actor.system())
    member = member_of()
    assert member.status == "active"
    assert (member.suspended_share, member.suspended_at) == (None, None)
    assert member.library_keys == [1, 2]
    share = only_share(sim)
    assert (share.id, share.accepted, share.allow_sync) == (share_before.id, True, True)
    assert share.library_ids == global_ids(server, 1, 2)
    assert len(sim.emails()) == emails_before  # no new invitation mailed by Plex
    assert "member.restored" in actions(member)
    assert Event.objects.filter(type="member.restored").count() == 1


def test_removal_stays_the_default(server: MediaServer, sim: PlexSimulator) -> None:
    SiteSettings.objects.filter(pk=1).update(suspend_library_key=RENEW_KEY)
    active_friend(sim)
    with later(timezone.now() + 31 * DAYS):
        expiry.run()
    assert member_of().status == "expired"
    assert not shares_of(sim, "guest")


def test_a_members_own_choice_overrides_the_setting_both_ways(server: MediaServer, sim: PlexSimulator) -> None:
    suspend_on_end()
    member = active_friend(sim)
    suspension.set_access_end(member, "remove", actor=Actor.system())
    with later(timezone.now() + 31 * DAYS):
        expiry.run()
    assert member_of().status == "expired"
    assert not shares_of(sim, "guest")


def test_a_member_may_be_suspended_though_the_owner_removes_by_default(server: MediaServer, sim: PlexSimulator) -> None:
    SiteSettings.objects.filter(pk=1).update(suspend_library_key=RENEW_KEY)
    member = active_friend(sim)
    suspension.set_access_end(member, "suspend", actor=Actor.system())
    with later(timezone.now() + 31 * DAYS):
        expiry.run()
    assert member_of().status == "suspended"
    assert only_share(sim).library_ids == global_ids(server, RENEW_KEY)


def test_someone_who_never_accepted_is_removed_instead_and_the_audit_says_why(
    server: MediaServer, sim: PlexSimulator
) -> None:
    suspend_on_end()
    redeem_email(new_invite(user_expires_in_days=1))
    with later(timezone.now() + 2 * DAYS):
        expiry.run()
    member = member_of()
    assert member.status == "expired"
    assert not shares_of(sim, "guest")
    skipped = AuditEvent.objects.get(action="member.suspend_skipped", object_id=str(member.pk))
    assert skipped.details["why"] == "no accepted share"


def test_without_a_suspension_library_the_member_is_removed(server: MediaServer, sim: PlexSimulator) -> None:
    SiteSettings.objects.filter(pk=1).update(access_end="suspend", suspend_library_key=None)
    active_friend(sim)
    with later(timezone.now() + 31 * DAYS):
        expiry.run()
    assert member_of().status == "expired"


def test_a_suspension_plex_cannot_confirm_waits_and_a_renewal_calls_it_off(
    server: MediaServer, sim: PlexSimulator
) -> None:
    suspend_on_end()
    active_friend(sim)
    sim.inject_fault("POST", "/api/v2/shared_servers/*", status=500, times=50)
    with later(timezone.now() + 31 * DAYS):
        assert "1 waiting for Plex" in expiry.run()
        member = member_of()
        assert member.status == "suspending"
        set_expiry(member, timezone.now() + 30 * DAYS, actor=Actor.system())
    member = member_of()
    assert member.status == "active"
    assert not PlexOperation.objects.filter(state="queued").exists()
    assert only_share(sim).library_ids == global_ids(server, 1, 2)
    assert "member.suspension_called_off" in actions(member)


def test_a_suspension_is_retried_until_plex_confirms_it(server: MediaServer, sim: PlexSimulator) -> None:
    suspend_on_end()
    active_friend(sim)
    sim.inject_fault("POST", "/api/v2/shared_servers/*", status=500, times=2)
    with later(timezone.now() + 31 * DAYS):
        expiry.run()
        assert member_of().status == "suspending"
        assert not Event.objects.filter(type="member.suspended").exists()
        run_owed_work()
    assert member_of().status == "suspended"
    assert only_share(sim).library_ids == global_ids(server, RENEW_KEY)


def test_a_share_gone_from_plex_cannot_be_suspended_so_the_member_is_recorded_gone(
    server: MediaServer, sim: PlexSimulator
) -> None:
    suspend_on_end()
    active_friend(sim)
    remove_in_plex(sim, "guest")
    with later(timezone.now() + 31 * DAYS):
        expiry.run()
        run_owed_work()
    member = member_of()
    assert member.status == "expired"
    assert "member.suspend_failed" in actions(member)


def test_redeeming_a_new_invite_restores_a_suspended_friend_with_its_libraries(
    server: MediaServer, sim: PlexSimulator
) -> None:
    suspend_on_end()
    active_friend(sim)
    share_id = only_share(sim).id
    with later(timezone.now() + 31 * DAYS):
        expiry.run()
        assert member_of().status == "suspended"
        renewal = new_invite(libraries="1,2,3", user_expires_in_days=90)
        result = redeem_email(renewal)
    assert result.outcome == "created"
    member = member_of()
    assert member.status == "active"
    assert member.invite_id == renewal.pk
    assert member.library_keys == [1, 2, 3]
    share = only_share(sim)
    assert (share.id, share.accepted) == (share_id, True)
    assert share.library_ids == global_ids(server, 1, 2, 3)
    assert Redemption.objects.get(invite=renewal).state == "done"
    renewal.refresh_from_db()
    assert renewal.used_count == 1


def test_a_suspended_friend_signing_in_with_plex_gets_their_share_back_at_once(
    server: MediaServer, sim: PlexSimulator
) -> None:
    suspend_on_end()
    active_friend(sim)
    with later(timezone.now() + 31 * DAYS):
        expiry.run()
    guest = sim.account("guest")
    result = redeem(
        new_invite(libraries="1").code,
        Identity(method="oauth", email=guest.email, username=guest.username, plex_id=guest.id, token=guest.token),
        actor=Actor.redeemer(guest.email),
    )
    assert (result.outcome, result.member.status) == ("created", "active")
    assert only_share(sim).library_ids == global_ids(server, 1)


def test_a_trial_that_ends_deactivated_suspends_and_extending_it_restores(
    server: MediaServer, sim: PlexSimulator, owner: Any
) -> None:
    suspend_on_end()
    redeem_email(new_invite(trial=3, libraries="1,2"))
    accept_in_plex(sim, "guest")
    sync_now(actor=Actor.system())
    Member.objects.filter(email="guest@example.com").update(trial_outcome="deactivate")
    with later(timezone.now() + 4 * DAYS):
        assert "1 deactivated" in trials.run()
        member = member_of()
        assert member.status == "suspended"
        member = trials.act(Caller.admin(Actor.admin(owner), owner), member, "extend", days=7)
    assert member.status == "active"
    assert member.in_trial
    assert only_share(sim).library_ids == global_ids(server, 1, 2)


def test_removing_a_suspended_member_takes_the_share_away(server: MediaServer, sim: PlexSimulator) -> None:
    suspend_on_end()
    active_friend(sim)
    with later(timezone.now() + 31 * DAYS):
        expiry.run()
    outcome = remove_member(member_of(), actor=Actor.system(), reason="removed by admin")
    assert outcome.done
    assert member_of().status == "removed"
    assert not shares_of(sim, "guest")


def test_the_api_suspends_restores_and_lists_suspended_members(
    server: MediaServer, sim: PlexSimulator, api: Client
) -> None:
    SiteSettings.objects.filter(pk=1).update(suspend_library_key=RENEW_KEY)
    member = active_friend(sim)

    response = api.post(f"/api/users/{member.pk}/suspend")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["is_active"], body["libraries"]) == ("suspended", False, [RENEW_KEY])
    assert body["suspended_libraries"] == [1, 2]
    listed = api.get("/api/users/?status=suspended").json()
    assert [item["id"] for item in listed["items"]] == [member.pk]
    assert api.post(f"/api/users/{member.pk}/suspend").json()["error"] == "already_suspended"

    response = api.post(f"/api/users/{member.pk}/restore")
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["libraries"]) == ("active", [1, 2])
    assert api.post(f"/api/users/{member.pk}/restore").status_code == 409

    response = api.put(
        f"/api/users/{member.pk}/access-end", data={"access_end": "suspend"}, content_type="application/json"
    )
    assert response.json()["access_end"] == "suspend"
    assert api.put(
        f"/api/users/{member.pk}/access-end", data={"access_end": "vanish"}, content_type="application/json"
    ).status_code in (400, 422)


def test_suspending_by_hand_needs_a_suspension_library(server: MediaServer, sim: PlexSimulator, api: Client) -> None:
    member = active_friend(sim)
    response = api.post(f"/api/users/{member.pk}/suspend")
    assert response.status_code == 409
    assert response.json()["error"] == "no_suspension_library"


@pytest.mark.parametrize("choice", ["suspend", "remove"])
def test_the_sync_does_not_offer_a_suspended_friend_for_import(
    server: MediaServer, sim: PlexSimulator, choice: str
) -> None:
    from guestlist.members.sync import importable_friends

    suspend_on_end()
    member = active_friend(sim)
    suspension.set_access_end(member, choice, actor=Actor.system())
    with later(timezone.now() + 31 * DAYS):
        expiry.run()
    assert importable_friends(server) == []
