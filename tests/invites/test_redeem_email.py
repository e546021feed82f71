from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from guestlist.core.models import AuditEvent, SiteSettings
from guestlist.invites.models import Invite, Redemption
from guestlist.members.models import Member
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from guestlist.plexwork.models import PlexOperation
from tests.conftest import MACHINE_ID


def make_invite(api: Client, **fields: Any) -> dict[str, Any]:
    response = api.post("/api/invites/", data=fields, content_type="application/json")
    assert response.status_code == 201, response.content
    return dict(response.json())


def redeem(client: Client, code: str, email: str = "guest@example.com", **extra: Any) -> Any:
    return client.post(
        "/api/invites/redeem", data={"code": code, "email": email, **extra}, content_type="application/json"
    )


def assert_invariants() -> None:
    for invite in Invite.objects.all():
        live = Redemption.objects.filter(invite=invite, state__in=("pending", "done")).count()
        assert invite.used_count == live, f"{invite.code}: used_count {invite.used_count} != {live} live redemptions"


def shares_for(sim: PlexSimulator, email: str) -> list[Any]:
    """Shares of the test server for this address, by its account when it has one."""
    accounts = [account for account in sim.state.accounts if account.email.lower() == email]
    ids = {account.id for account in accounts}
    return [
        share
        for share in sim.shares_of(MACHINE_ID)
        if (share.invited_email or "").lower() == email or share.invited_id in ids
    ]


def test_it_redeems_by_email_and_plex_sends_the_invitation(
    client: Client, api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    invite = make_invite(api, libraries=[1, 2], allow_sync=True)
    response = redeem(client, invite["code"].lower())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["email"] == "guest@example.com"
    assert body["status"] == "pending"
    assert body["is_active"] is True
    member = Member.objects.get()
    assert member.library_keys == [1, 2]
    shares = shares_for(sim, "guest@example.com")
    assert len(shares) == 1
    assert shares[0].allow_sync is True
    assert any(mail["to"] == "guest@example.com" for mail in sim.emails())
    assert Invite.objects.get().used_count == 1
    assert Redemption.objects.get().state == "done"
    assert AuditEvent.objects.filter(action="invite.redeem").exists()
    assert_invariants()


def test_redeeming_the_same_invite_again_returns_the_same_membership(
    client: Client, api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    invite = make_invite(api, usage_limit=3)
    first = redeem(client, invite["code"])
    again = redeem(client, invite["code"], "GUEST@example.com")
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert Invite.objects.get().used_count == 1
    assert len(shares_for(sim, "guest@example.com")) == 1


def test_it_refuses_an_unknown_code(client: Client, server: MediaServer) -> None:
    response = redeem(client, "NOPE1234")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": "Invite code not found"}


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"is_active": False}, "disabled", "Invite code is not active"),
        ({"expires_at": timezone.now() - timedelta(minutes=1)}, "expired", "Invite code has expired"),
        ({"used_count": 1}, "used_up", "Invite code is not active"),
    ],
)
def test_it_refuses_an_unusable_invite_with_410(
    client: Client, api: Client, server: MediaServer, change: dict[str, Any], error: str, message: str
) -> None:
    invite = make_invite(api)
    Invite.objects.filter(pk=invite["id"]).update(**change)
    response = redeem(client, invite["code"])
    assert response.status_code == 410
    assert response.json()["error"] == error
    assert response.json()["message"] == message
    assert not Member.objects.exists()


def test_it_refuses_while_sign_up_is_off(client: Client, api: Client, server: MediaServer) -> None:
    invite = make_invite(api)
    SiteSettings.objects.filter(pk=1).update(signup_enabled=False)
    assert redeem(client, invite["code"]).json()["error"] == "signup_disabled"


def test_the_owner_may_turn_the_email_path_off(client: Client, api: Client, server: MediaServer) -> None:
    invite = make_invite(api)
    SiteSettings.objects.filter(pk=1).update(email_redemption_enabled=False)
    response = redeem(client, invite["code"])
    assert response.status_code == 410
    assert response.json()["error"] == "signup_disabled"


def test_it_refuses_the_owners_own_address(client: Client, api: Client, server: MediaServer) -> None:
    invite = make_invite(api)
    response = redeem(client, invite["code"], "OWNER@example.com")
    assert response.status_code == 409
    assert response.json()["error"] == "owner_account"


def test_someone_shared_by_hand_already_has_access(
    client: Client, api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    by_hand = sim.share(MACHINE_ID, sim.account("alice"), library_keys=(1,), accepted=True)
    invite = make_invite(api, allow_sync=not by_hand.allow_sync)
    response = redeem(client, invite["code"], "alice@example.com")
    assert response.status_code == 409
    assert response.json() == {"error": "already_member", "message": "You already have access to this Plex server"}
    assert Invite.objects.get().used_count == 0
    assert not Member.objects.exists()
    # Their own share is left exactly as the owner made it.
    [share] = shares_for(sim, "alice@example.com")
    assert (share.library_ids, share.allow_sync) == (by_hand.library_ids, by_hand.allow_sync)
    assert Redemption.objects.get().error_code == "already_member"


def test_a_member_redeeming_another_invite_already_has_access(client: Client, api: Client, server: MediaServer) -> None:
    first, second = make_invite(api), make_invite(api)
    assert redeem(client, first["code"]).status_code == 201
    response = redeem(client, second["code"])
    assert response.status_code == 409
    assert response.json()["error"] == "already_member"
    assert Invite.objects.get(pk=second["id"]).used_count == 0


def test_it_rejects_a_body_with_both_email_and_pin(client: Client, api: Client, server: MediaServer) -> None:
    invite = make_invite(api)
    response = redeem(client, invite["code"], pin_id="abc")
    assert response.status_code == 422
    assert response.json()["error"] == "invalid"


def test_it_rejects_something_that_is_not_an_email(client: Client, api: Client, server: MediaServer) -> None:
    invite = make_invite(api)
    response = redeem(client, invite["code"], "not-an-address")
    assert response.status_code == 422
    assert Invite.objects.get().used_count == 0


def test_a_plex_outage_mid_redemption_keeps_the_use_and_finishes_later(
    client: Client, api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    from guestlist.plexwork import outbox

    invite = make_invite(api)
    sim.inject_fault("POST", "/api/servers/*/shared_servers", status=503, times=1)
    response = redeem(client, invite["code"])
    assert response.status_code == 202
    assert response.json()["status"] == "pending"
    assert Invite.objects.get().used_count == 1
    assert Redemption.objects.get().state == "pending"
    assert not shares_for(sim, "guest@example.com")
    assert_invariants()
    PlexOperation.objects.update(next_attempt_at=timezone.now())
    outbox.process_due()
    assert Redemption.objects.get().state == "done"
    assert len(shares_for(sim, "guest@example.com")) == 1
    assert Invite.objects.get().used_count == 1
    assert_invariants()


def test_plex_refusing_for_good_gives_the_use_back(
    client: Client, api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    invite = make_invite(api)
    sim.inject_fault(
        "POST",
        "/api/servers/*/shared_servers",
        status=400,
        times=1,
        body='<Response code="400" status="Something is wrong with this user"/>',
    )
    response = redeem(client, invite["code"])
    assert response.status_code == 502
    assert response.json()["error"] == "plex_refused"
    assert "Something is wrong" in response.json()["message"]
    assert Invite.objects.get().used_count == 0
    assert Redemption.objects.get().state == "failed"
    assert not Member.objects.exists()
    assert_invariants()
    assert redeem(client, invite["code"]).status_code == 201


def test_plex_down_at_the_share_keeps_the_use_and_says_it_will_finish(
    client: Client, api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    # The e-mail path asks Plex nothing before claiming the use: the share call is its
    # first call, and its failure leaves owed work, never a lost use.
    invite = make_invite(api)
    sim.inject_fault("POST", "/api/servers/*/shared_servers", status=500, times=None)
    response = redeem(client, invite["code"])
    assert response.status_code == 202
    assert response.json()["status"] == "pending"
    assert Invite.objects.get().used_count == 1
    assert Member.objects.get().status == "pending"
    assert PlexOperation.objects.get().state == "queued"


def test_someone_with_a_pending_invitation_from_the_owner_is_adopted_not_refused(
    client: Client, api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    sim.share(MACHINE_ID, sim.account("alice"), library_keys=(1,))
    invite = make_invite(api)
    response = redeem(client, invite["code"], "alice@example.com")
    assert response.status_code == 201
    assert len(shares_for(sim, "alice@example.com")) == 1
    assert Invite.objects.get().used_count == 1


def test_a_plex_home_invite_without_plex_pass_is_refused_and_the_use_given_back(
    client: Client, api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    owner = sim.account("plexowner")
    owner.plex_pass = False
    invite = make_invite(api, plex_home=True)
    response = redeem(client, invite["code"])
    assert response.status_code == 502
    assert response.json()["error"] == "plex_pass_required"
    assert "Plex Pass" in response.json()["message"]
    assert Invite.objects.get().used_count == 0
    assert_invariants()


def test_a_plex_home_invite_adds_the_address_to_the_home(
    client: Client, api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    invite = make_invite(api, plex_home=True)
    response = redeem(client, invite["code"])
    assert response.status_code == 201, response.content
    assert Member.objects.get().is_home
    assert [account.username for account in sim.home_members("plexowner")] == ["guest"]


def test_a_removed_member_can_be_invited_again(
    client: Client, api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    first = make_invite(api)
    member_id = redeem(client, first["code"]).json()["id"]
    assert api.delete(f"/api/users/{member_id}").status_code == 204
    assert not shares_for(sim, "guest@example.com")
    second = make_invite(api)
    response = redeem(client, second["code"])
    assert response.status_code == 201
    assert response.json()["id"] == member_id
    assert Member.objects.get().status == "pending"
    assert len(shares_for(sim, "guest@example.com")) == 1
