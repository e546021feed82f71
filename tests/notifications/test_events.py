"""Every event is written where it truly happens, once, and reaches the destinations that want it."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from guestlist.core.audit import Actor
from guestlist.members import services as members
from guestlist.members import sync, trials
from guestlist.members.models import Member
from guestlist.notifications.models import Delivery, Event
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from tests.invites.test_redeem_email import make_invite, redeem
from tests.lifecycle.conftest import accept_in_plex, member_of, new_invite, redeem_email, remove_in_plex
from tests.members_model.conftest import MakeMember, make_member, owner_invite, quick_password_hashing
from tests.notifications.conftest import Receiver, add_destination

ACTOR = Actor.system()


def types() -> list[str]:
    return list(Event.objects.order_by("id").values_list("type", flat=True))


def data_of(event_type: str) -> dict[str, Any]:
    payload: dict[str, Any] = Event.objects.get(type=event_type).payload
    assert payload["type"] == event_type
    assert payload["id"].startswith("msg_") and payload["timestamp"]
    data: dict[str, Any] = payload["data"]
    return data


def test_a_redemption_records_created_redeemed_and_joined(api: Client, client: Client, server: MediaServer) -> None:
    invite = make_invite(api)
    assert redeem(client, invite["code"]).status_code == 201
    assert types() == ["invite.created", "invite.redeemed", "member.joined"]
    joined = data_of("member.joined")
    assert joined["member"]["email"] == "guest@example.com"
    assert joined["invite"]["code"] == invite["code"]
    assert joined["server"]["name"] == "Guestlist Test"
    assert joined["url"].endswith(f"/users/{joined['member']['id']}")
    # The same shape as the API answers.
    shown = api.get(f"/api/invites/{invite['id']}").json()["users"][0]
    assert {key: joined["member"][key] for key in ("id", "email", "status", "invite_id")} == {
        key: shown[key] for key in ("id", "email", "status", "invite_id")
    }


def test_plex_refusing_for_good_records_a_failed_redemption(
    api: Client, client: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    invite = make_invite(api)
    sim.inject_fault(
        "POST",
        "/api/servers/*/shared_servers",
        status=400,
        times=1,
        body='<Response code="400" status="Something is wrong with this user"/>',
    )
    assert redeem(client, invite["code"]).status_code == 502
    assert "member.joined" not in types()
    failed = data_of("invite.redemption_failed")
    assert failed["error_code"] == "plex_refused"
    assert failed["invite"]["id"] == invite["id"]


def test_an_admin_removal_records_member_removed_once_plex_confirms(server: MediaServer, sim: PlexSimulator) -> None:
    redeem_email(new_invite())
    member = member_of()
    outcome = members.remove_member(member, actor=ACTOR)
    assert outcome.done
    assert types().count("member.removed") == 1
    assert data_of("member.removed")["member"]["status"] == "removed"


def test_expiry_records_expiring_soon_then_expired(server: MediaServer, sim: PlexSimulator) -> None:
    from guestlist.members import expiry

    redeem_email(new_invite(user_expires_in_days=2))
    expiry.run()
    assert types().count("member.expiring_soon") == 1
    Member.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    expiry.run()
    assert types().count("member.expired") == 1
    assert data_of("member.expired")["member"]["status"] == "expired"


def test_the_sync_records_a_member_removed_in_plex(server: MediaServer, sim: PlexSimulator) -> None:
    for name in ("guest", "alice"):  # an answer in which nobody has access is never believed
        redeem_email(new_invite(), f"{name}@example.com")
        accept_in_plex(sim, name)
    sync.sync_now(actor=ACTOR)
    remove_in_plex(sim, "guest")
    sync.sync_now(actor=ACTOR)
    assert types().count("member.removed_in_plex") == 1
    sync.sync_now(actor=ACTOR)
    assert types().count("member.removed_in_plex") == 1


def test_an_ended_trial_is_recorded(server: MediaServer, sim: PlexSimulator) -> None:
    redeem_email(new_invite(trial=3))
    member = member_of()
    assert member.in_trial
    Member.objects.filter(pk=member.pk).update(trial_ends_at=timezone.now() - timedelta(minutes=1))
    trials.run()
    assert data_of("trial.ended")["outcome"] == "promote"


def test_a_trial_members_extension_request_is_recorded(
    server: MediaServer, owner: User, make_member: MakeMember
) -> None:
    alice = make_member("alice", invite=owner_invite(owner, trial=5))
    assert alice.post("/api/me/trial/extension", {"message": "One more week?"}).status_code == 201
    requested = data_of("trial.extension_requested")
    assert requested["message"] == "One more week?"
    assert requested["member"]["id"] == alice.member.pk


def test_the_connection_check_tells_once_per_change(server: MediaServer, sim: PlexSimulator) -> None:
    sim.inject_fault("GET", "/", status=500, host="pms", times=None)
    sync.sync_job()
    sync.sync_job()
    assert types().count("plex.unreachable") == 1
    sim.clear_faults()
    sync.sync_job()
    assert types().count("plex.reachable") == 1


def test_a_rejected_owner_token_is_told(server: MediaServer, sim: PlexSimulator) -> None:
    MediaServer.objects.filter(pk=server.pk).update(token_ok=True)
    sim.inject_fault("GET", "/api/v2/user*", status=401, times=None)
    sync.sync_job()
    assert "plex.token_rejected" in types()


def test_a_destination_gets_only_the_events_it_picked(api: Client, server: MediaServer, receiver: Receiver) -> None:
    hook = add_destination(api, kind="webhook", url=receiver.url(), events=["member.joined"])
    off = add_destination(api, kind="webhook", url=receiver.url("/off"), events=["invite.created"])
    api.patch(f"/api/notifications/destinations/{off['id']}", data={"enabled": False}, content_type="application/json")
    receiver.secret = hook["secret"]
    redeem_email(new_invite())
    assert list(Delivery.objects.values_list("event__type", "destination_id")) == [("member.joined", hook["id"])]


def test_a_redemption_is_not_slowed_by_a_dead_destination(
    api: Client, client: Client, server: MediaServer, receiver: Receiver
) -> None:
    fast_invite = make_invite(api, usage_limit=None)
    started = time.monotonic()
    assert redeem(client, fast_invite["code"], email="alice@example.com").status_code == 201
    without = time.monotonic() - started

    receiver.stall_seconds = 20  # answers nothing for 20 s: a dead destination
    add_destination(api, kind="webhook", url=receiver.url())
    add_destination(api, kind="apprise", url=f"json://127.0.0.1:{receiver.port}/stalled")
    started = time.monotonic()
    assert redeem(client, fast_invite["code"], email="bob@example.com").status_code == 201
    with_dead = time.monotonic() - started

    assert with_dead < without + 1.0, (without, with_dead)
    assert receiver.requests == []
    assert Delivery.objects.filter(status="pending").count() >= 4


__all__ = ["make_member", "quick_password_hashing"]
