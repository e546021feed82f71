"""Signing in as a member (Plex, or a local password), local accounts made while redeeming,
and linking Plex to them later."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from guestlist.invites.models import Invite, Redemption
from guestlist.members.models import Member
from guestlist.plex.models import PlexPin
from guestlist.plexsim import PlexSimulator
from tests.lifecycle.conftest import shares_of
from tests.members_model.conftest import MakeMember, owner_invite, site

PASSWORD = "a long local passphrase"


def plex_sign_in(client: Client, sim: PlexSimulator, who: str | None, *, flow: str = "login") -> Any:
    started = client.post("/login/plex", {"flow": flow})
    assert started.status_code == 303, started.content
    assert started["Location"].startswith(sim.plex_tv_url)
    public_id = client.session["member_plex_pin"]["id"]
    if who is not None:
        sim.approve_pin(PlexPin.objects.get(public_id=public_id).plex_pin_id, who)
    return client.post("/login/plex/continue", {"round": "1"})


def signed_in_user(client: Client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.filter(pk=user_id).first() if user_id else None


def test_a_member_signs_in_with_plex_and_lands_on_their_page(
    client: Client, make_member: MakeMember, sim: PlexSimulator
) -> None:
    alice = make_member("alice")
    assert client.get("/login/plex/continue").status_code == 302, "nothing started: back to the login page"
    response = plex_sign_in(client, sim, "alice")
    assert response.status_code == 302
    assert response["Location"] == "/me/"
    assert signed_in_user(client) == alice.user
    pin = PlexPin.objects.get()
    assert pin.state == "used" and pin.token_encrypted == ""
    assert sim.account("alice").token not in str(dict(client.session))
    assert "alice" in client.get("/me/").content.decode()


def test_a_plex_sign_in_not_confirmed_yet_waits(client: Client, make_member: MakeMember, sim: PlexSimulator) -> None:
    make_member("alice")
    response = plex_sign_in(client, sim, None)
    assert response.status_code == 202
    assert "has not confirmed" in response.content.decode()
    assert signed_in_user(client) is None


def test_a_plex_account_without_membership_is_refused(client: Client, server: Any, sim: PlexSimulator) -> None:
    response = plex_sign_in(client, sim, "carol")
    assert response.status_code == 403
    page = response.content.decode()
    # Never a member: told how to join, not that a membership ended.
    assert "has no membership here. Got an invite?" in page
    assert 'href="/join"' in page
    assert "any more" not in page and "ended" not in page
    assert signed_in_user(client) is None


def test_an_expired_member_cannot_sign_in_with_plex(
    client: Client, make_member: MakeMember, sim: PlexSimulator
) -> None:
    alice = make_member("alice")
    Member.objects.filter(pk=alice.member.pk).update(status="expired")
    assert plex_sign_in(client, sim, "alice").status_code == 403


def test_the_owners_plex_account_signs_in_to_the_dashboard(
    client: Client, owner: User, server: Any, sim: PlexSimulator
) -> None:
    response = plex_sign_in(client, sim, "plexowner")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_user(client) == owner
    assert client.get("/").status_code == 200


def test_passwords_sign_members_in_only_while_local_accounts_are_on(
    client: Client, owner: User, make_member: MakeMember
) -> None:
    alice = make_member("alice")
    alice.user.set_password(PASSWORD)
    alice.user.save()
    refused = client.post("/login", {"username": alice.user.username, "password": PASSWORD})
    assert refused.status_code == 200
    assert "switched off" in refused.content.decode()
    site(local_accounts_enabled=True)
    signed = client.post("/login", {"username": alice.user.username, "password": PASSWORD, "next": "/invites"})
    assert signed.status_code == 302
    assert signed["Location"] == "/me/", "a member never lands on the dashboard"
    assert client.get("/").status_code == 403
    admin = Client()
    to_dashboard = admin.post("/login", {"username": "owner", "password": "correct horse battery staple"})
    assert to_dashboard["Location"] == "/"


def test_sign_in_is_rate_limited_per_username_across_addresses(client: Client, settings: Any, db: None) -> None:
    settings.RATE_LIMITS_ENABLED = True
    # Empty passwords count against the limit without being wrong ones (those lock sooner).
    for number in range(10):
        response = client.post("/login", {"username": "alice", "password": ""}, REMOTE_ADDR=f"10.0.0.{number}")
        assert response.status_code == 200
    limited = client.post("/login", {"username": "Alice", "password": ""}, REMOTE_ADDR="10.0.1.1")
    assert limited.status_code == 429
    assert limited["Retry-After"]


# -- local accounts ---------------------------------------------------------------------


@pytest.fixture
def local_on(server: Any) -> None:
    site(local_accounts_enabled=True)


def test_a_local_account_is_made_while_redeeming_and_nothing_is_shared_yet(
    client: Client, owner: User, local_on: None, sim: PlexSimulator, settings: Any
) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    invite = owner_invite(owner)
    page = client.get(f"/invite/{invite.code}").content.decode()
    assert "Create an account with a password" in page
    response = client.post(
        f"/invite/{invite.code}/local", {"email": "alice@example.com", "username": "alice_local", "password": PASSWORD}
    )
    assert response.status_code == 303, response.content
    assert response["Location"] == "/me/"
    member = Member.objects.get()
    assert member.status == "unlinked"
    assert member.user is not None and member.user.username == "alice_local"
    assert member.user.password.startswith("argon2")
    assert not member.user.is_staff
    assert not shares_of(sim, "alice@example.com") and not shares_of(sim, "alice")
    assert Invite.objects.get().used_count == 1
    assert Redemption.objects.get().state == "pending"
    assert Redemption.objects.get().method == "local"
    assert signed_in_user(client) == member.user
    assert "Link my Plex account" in client.get("/me/").content.decode()


def test_linking_the_plex_account_with_the_same_email_shares_the_server(
    client: Client, owner: User, local_on: None, sim: PlexSimulator
) -> None:
    invite = owner_invite(owner, libraries=[1], allow_sync=True)
    client.post(
        f"/invite/{invite.code}/local", {"email": "Alice@Example.com", "username": "ally", "password": PASSWORD}
    )
    mismatch = plex_sign_in(client, sim, "bob", flow="link")
    assert mismatch.status_code == 302
    assert Member.objects.get().status == "unlinked"
    assert "uses your e-mail address" in client.get("/me/").content.decode()

    linked = plex_sign_in(client, sim, "alice", flow="link")
    assert linked.status_code == 302
    assert linked["Location"] == "/me/"
    member = Member.objects.get()
    assert member.status == "active"
    assert member.plex_id == sim.account("alice").id
    share = shares_of(sim, "alice")
    assert len(share) == 1 and share[0].accepted
    redemption = Redemption.objects.get()
    assert redemption.state == "done"
    assert redemption.user_token_encrypted == ""
    assert Invite.objects.get().used_count == 1
    assert signed_in_user(client) == member.user, "linking keeps them signed in as themselves"


def test_the_local_path_through_the_api(client: Client, owner: User, server: Any) -> None:
    invite = owner_invite(owner)
    body = {"code": invite.code, "email": "dora@example.com", "username": "dora", "password": PASSWORD}
    closed = client.post("/api/invites/redeem", data=body, content_type="application/json")
    assert closed.status_code == 410
    assert closed.json()["error"] == "local_accounts_disabled"
    site(local_accounts_enabled=True)
    weak = client.post("/api/invites/redeem", data={**body, "password": "short"}, content_type="application/json")
    assert weak.status_code == 422
    made = client.post("/api/invites/redeem", data=body, content_type="application/json")
    assert made.status_code == 201, made.content
    assert made.json()["status"] == "unlinked"
    taken = client.post(
        "/api/invites/redeem", data={**body, "email": "eve@example.com"}, content_type="application/json"
    )
    assert taken.status_code == 409
    assert taken.json()["error"] == "username_taken"
    assert Invite.objects.get().used_count == 1


def test_an_unlinked_local_account_expires_without_asking_plex(
    client: Client, owner: User, local_on: None, sim: PlexSimulator
) -> None:
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from guestlist.members import expiry

    invite = owner_invite(owner, user_expires_in_days=3)
    client.post(f"/invite/{invite.code}/local", {"email": "dora@example.com", "username": "dora", "password": PASSWORD})
    requests_before = len(sim.request_log())
    with time_machine.travel(timezone.now() + timedelta(days=3, minutes=1), tick=False):
        assert expiry.run().startswith("1 expired")
    member = Member.objects.get()
    assert member.status == "expired"
    assert len(sim.request_log()) == requests_before, "nothing was shared, so Plex is not asked"
    assert Redemption.objects.get().state == "done"
    assert Invite.objects.get().used_count == 1
    assert client.get("/me/").status_code == 403


def test_a_password_sign_in_is_in_the_audit_log(client: Client, make_member: MakeMember) -> None:
    from guestlist.core.models import AuditEvent

    site(local_accounts_enabled=True)
    alice = make_member("alice")
    alice.user.set_password(PASSWORD)
    alice.user.save()
    client.post("/login", {"username": alice.user.username, "password": PASSWORD})
    event = AuditEvent.objects.get(action="member.sign_in")
    assert event.details == {"method": "password"}
    assert event.actor_label == "alice"


def test_a_local_account_links_plex_through_the_api_too(
    client: Client, owner: User, local_on: None, sim: PlexSimulator
) -> None:
    invite = owner_invite(owner, libraries=[1])
    body = {"code": invite.code, "email": "alice@example.com", "username": "ally", "password": PASSWORD}
    assert client.post("/api/invites/redeem", data=body, content_type="application/json").status_code == 201
    signed_out = client.post("/api/me/plex-link")
    assert signed_out.status_code == 401
    assert "Sign in first" in signed_out.json()["message"]
    assert client.post("/login", {"username": "ally", "password": PASSWORD}).status_code == 302
    api = client

    nothing_started = api.post("/api/me/plex-link/check")
    assert nothing_started.status_code == 404

    started = api.post("/api/me/plex-link")
    assert started.status_code == 201, started.content
    assert started.json()["auth_url"].startswith(sim.plex_tv_url)
    assert "token" not in started.content.decode().lower()
    waiting = api.post("/api/me/plex-link/check")
    assert waiting.status_code == 202
    assert Member.objects.get().status == "unlinked"

    public_id = api.session["member_plex_pin"]["id"]
    sim.approve_pin(PlexPin.objects.get(public_id=public_id).plex_pin_id, "alice")
    linked = api.post("/api/me/plex-link/check")
    assert linked.status_code == 200, linked.content
    assert linked.json()["status"] == "active"
    assert len(shares_of(sim, "alice")) == 1 and shares_of(sim, "alice")[0].accepted
    assert Redemption.objects.get().user_token_encrypted == ""
    again = api.post("/api/me/plex-link")
    assert again.status_code == 409
    assert again.json()["error"] == "already_linked"


def test_linking_through_the_api_refuses_another_plex_account(
    client: Client, owner: User, local_on: None, sim: PlexSimulator
) -> None:
    invite = owner_invite(owner)
    body = {"code": invite.code, "email": "alice@example.com", "username": "ally", "password": PASSWORD}
    client.post("/api/invites/redeem", data=body, content_type="application/json")
    client.post("/login", {"username": "ally", "password": PASSWORD})
    started = client.post("/api/me/plex-link")
    assert started.status_code == 201, started.content
    sim.approve_pin(PlexPin.objects.get(public_id=client.session["member_plex_pin"]["id"]).plex_pin_id, "bob")
    refused = client.post("/api/me/plex-link/check")
    assert refused.status_code == 409
    assert refused.json()["error"] == "email_mismatch"
    assert Member.objects.get().status == "unlinked"
    assert not shares_of(sim, "bob")
    assert client.post("/api/me/plex-link/check").status_code == 404, "a spent PIN is forgotten"
