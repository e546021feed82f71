"""The Plex sign-in path of POST /api/invites/redeem, against the simulator."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from guestlist.invites.models import Invite, Redemption
from guestlist.members.models import Member
from guestlist.plex.models import MediaServer, PlexPin
from guestlist.plexsim import PlexSimulator
from guestlist.plexwork import outbox
from guestlist.plexwork.models import PlexOperation
from tests.conftest import MACHINE_ID, OWNER_PLEX_TOKEN
from tests.invites.test_redeem_email import assert_invariants, make_invite


def start(client: Client, code: str) -> dict[str, Any]:
    response = client.post("/api/invites/oauth/start", data={"code": code}, content_type="application/json")
    assert response.status_code == 201, response.content
    return dict(response.json())


def poll(client: Client, code: str, pin_id: str, **extra: Any) -> Any:
    return client.post(
        "/api/invites/redeem", data={"code": code, "pin_id": pin_id, **extra}, content_type="application/json"
    )


def sign_in(sim: PlexSimulator, pin_id: str, who: str) -> None:
    sim.approve_pin(PlexPin.objects.get(public_id=pin_id).plex_pin_id, who)


def share_of(sim: PlexSimulator, username: str) -> Any:
    account = sim.account(username)
    return next((s for s in sim.shares_of(MACHINE_ID) if s.invited_id == account.id), None)


def test_signing_in_with_plex_redeems_and_accepts_the_share_for_them(
    client: Client, api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    invite = make_invite(api, libraries=[1])
    started = start(client, invite["code"])
    assert started["auth_url"].startswith(f"{sim.plex_tv_url}/auth#?")
    assert "clientID=" in started["auth_url"]
    assert OWNER_PLEX_TOKEN not in str(started)
    waiting = poll(client, invite["code"], started["pin_id"])
    assert waiting.status_code == 202
    assert waiting.json()["status"] == "waiting_for_plex_sign_in"

    sign_in(sim, started["pin_id"], "guest")
    done = poll(client, invite["code"], started["pin_id"])
    assert done.status_code == 201, done.content
    member = done.json()
    guest = sim.account("guest")
    assert member["status"] == "active"
    assert member["email"] == "guest@example.com"
    assert member["username"] == "guest"
    assert member["plex_id"] == str(guest.id)
    assert "token" not in done.content.decode().lower()
    share = share_of(sim, "guest")
    assert share is not None and share.accepted
    assert Redemption.objects.get().user_token_encrypted == ""
    assert Redemption.objects.get().method == "oauth"
    assert_invariants()


def test_identity_fields_in_the_body_are_ignored(
    client: Client, api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    invite = make_invite(api)
    started = start(client, invite["code"])
    sign_in(sim, started["pin_id"], "guest")
    response = poll(
        client, invite["code"], started["pin_id"], username="mallory", plex_id="1", thumb="https://evil.example/x.png"
    )
    assert response.status_code == 201
    assert response.json()["username"] == "guest"
    assert Member.objects.get().email == "guest@example.com"
    assert "evil" not in Member.objects.get().thumb


def test_a_forged_email_next_to_a_pin_is_refused(client: Client, api: Client, server: MediaServer) -> None:
    invite = make_invite(api)
    started = start(client, invite["code"])
    response = poll(client, invite["code"], started["pin_id"], email="victim@example.com")
    assert response.status_code == 422
    assert not Member.objects.exists()


def test_polling_again_after_success_returns_the_same_member(
    client: Client, api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    invite = make_invite(api, usage_limit=5)
    started = start(client, invite["code"])
    sign_in(sim, started["pin_id"], "guest")
    first = poll(client, invite["code"], started["pin_id"])
    again = poll(client, invite["code"], started["pin_id"])
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert Invite.objects.get().used_count == 1


def test_a_pin_started_for_another_invite_is_a_conflict(client: Client, api: Client, server: MediaServer) -> None:
    one, other = make_invite(api), make_invite(api)
    started = start(client, one["code"])
    response = poll(client, other["code"], started["pin_id"])
    assert response.status_code == 409
    assert response.json()["error"] == "pin_mismatch"


def test_an_expired_pin_is_gone(client: Client, api: Client, server: MediaServer) -> None:
    invite = make_invite(api)
    started = start(client, invite["code"])
    PlexPin.objects.update(expires_at=timezone.now())
    response = poll(client, invite["code"], started["pin_id"])
    assert response.status_code == 410
    assert response.json()["error"] == "pin_expired"


def test_an_unknown_pin_is_not_found(client: Client, api: Client, server: MediaServer) -> None:
    invite = make_invite(api)
    assert poll(client, invite["code"], "made-up").status_code == 404


def test_the_server_owners_own_account_is_refused(
    client: Client, api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    invite = make_invite(api)
    started = start(client, invite["code"])
    sign_in(sim, started["pin_id"], "plexowner")
    response = poll(client, invite["code"], started["pin_id"])
    assert response.status_code == 409
    assert response.json()["error"] == "owner_account"
    assert Invite.objects.get().used_count == 0


def test_someone_who_already_has_access_is_told_so(
    client: Client, api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    sim.share(MACHINE_ID, sim.account("guest"), library_keys=(1,), accepted=True)
    invite = make_invite(api)
    started = start(client, invite["code"])
    sign_in(sim, started["pin_id"], "guest")
    response = poll(client, invite["code"], started["pin_id"])
    assert response.status_code == 409
    assert response.json()["message"] == "You already have access to this Plex server"


def test_starting_a_sign_in_for_an_unusable_invite_is_refused(client: Client, api: Client, server: MediaServer) -> None:
    invite = make_invite(api)
    Invite.objects.filter(pk=invite["id"]).update(is_active=False)
    response = client.post("/api/invites/oauth/start", data={"code": invite["code"]}, content_type="application/json")
    assert response.status_code == 410
    assert response.json()["error"] == "disabled"


def test_an_accept_that_plex_shows_late_finishes_in_the_background(
    client: Client, api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    sim.configure(pending_visible_after_polls=6)
    invite = make_invite(api)
    started = start(client, invite["code"])
    sign_in(sim, started["pin_id"], "guest")
    response = poll(client, invite["code"], started["pin_id"])
    assert response.status_code == 201
    assert response.json()["status"] == "pending"
    assert response.json()["message"]
    assert Redemption.objects.get().user_token_encrypted != ""
    for _ in range(3):
        PlexOperation.objects.filter(state="queued").update(next_attempt_at=timezone.now())
        outbox.process_due()
    assert Member.objects.get().status == "active"
    assert share_of(sim, "guest").accepted
    assert Redemption.objects.get().user_token_encrypted == ""


@pytest.mark.parametrize("status", [429, 503])
def test_plex_trouble_while_polling_is_a_503_to_retry(
    client: Client, api: Client, server: MediaServer, sim: PlexSimulator, status: int
) -> None:
    invite = make_invite(api)
    started = start(client, invite["code"])
    sim.inject_fault("GET", "/api/v2/pins/*", status=status, times=1)
    response = poll(client, invite["code"], started["pin_id"])
    assert response.status_code == 503
    assert response.json()["error"] == "plex_unavailable"
    assert response["Retry-After"]
    assert poll(client, invite["code"], started["pin_id"]).status_code == 202


def test_polling_again_while_plex_still_owes_the_share_stays_pending(
    client: Client, api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    invite = make_invite(api)
    started = start(client, invite["code"])
    sign_in(sim, started["pin_id"], "guest")
    sim.inject_fault("POST", "/api/servers/*/shared_servers", status=503, times=None)
    first = poll(client, invite["code"], started["pin_id"])
    again = poll(client, invite["code"], started["pin_id"])
    assert first.status_code == 202
    assert again.status_code == 202
    assert again.json()["id"] == first.json()["id"]
    assert Invite.objects.get().used_count == 1


def test_each_pin_is_put_to_plex_at_most_once_per_interval(
    client: Client, api: Client, server: MediaServer, sim: PlexSimulator, settings: Any
) -> None:
    settings.PIN_POLL_MIN_SECONDS = 60
    invite = make_invite(api)
    started = start(client, invite["code"])

    def pin_checks() -> list[dict[str, Any]]:
        return [r for r in sim.request_log() if r["method"] == "GET" and "/api/v2/pins/" in r["path"]]

    assert poll(client, invite["code"], started["pin_id"]).status_code == 202
    assert len(pin_checks()) == 1
    sign_in(sim, started["pin_id"], "guest")
    assert poll(client, invite["code"], started["pin_id"]).status_code == 202
    assert len(pin_checks()) == 1, "the second poll within the interval did not reach plex.tv"
    PlexPin.objects.update(last_polled_at=timezone.now() - timedelta(seconds=61))
    assert poll(client, invite["code"], started["pin_id"]).status_code == 201
