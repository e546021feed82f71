"""The invitee's side: PIN sign-in and accepting the invite with their own token."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypedDict

import pytest

from guestlist.plex.errors import (
    PinExpired,
    PlexTokenRejected,
    PlexUnavailable,
    PlexUnexpected,
)
from guestlist.plex.gateway import (
    PendingInvite,
    PlexGateway,
    PlexInviteeGateway,
    ShareSettings,
)
from guestlist.plexsim import PlexSimulator
from guestlist.plexsim.state import Account, Server

CLIENT_ID = "guestlist-test-install"
MACHINE = "abc123machine"
PENDING = "/api/v2/shared_servers/invites/received/pending"
Calls = Callable[[], list[tuple[str, str, str]]]


class Quick(TypedDict):
    attempts: int
    delay: float


QUICK: Quick = {"attempts": 4, "delay": 0.01}


def test_it_creates_a_strong_pin_without_any_token(sim: PlexSimulator, invitee: PlexInviteeGateway) -> None:
    pin = invitee.create_pin()

    [request] = sim.request_log()
    assert (request["method"], request["path"], request["query"]) == (
        "POST",
        "/api/v2/pins",
        {"strong": "true"},
    )
    assert request["account"] is None
    assert request["headers"]["X-Plex-Client-Identifier"] == CLIENT_ID
    assert len(pin.code) == 25
    assert pin.auth_token is None
    assert pin.expires_at.tzinfo is not None


def test_it_sees_the_token_once_the_pin_is_approved(sim: PlexSimulator, invitee: PlexInviteeGateway) -> None:
    pin = invitee.create_pin()
    alice = sim.add_account("alice")
    assert invitee.check_pin(pin.id).auth_token is None

    token = sim.approve_pin(pin.id, alice)

    assert invitee.check_pin(pin.id).auth_token == token
    assert invitee.account_for_token(token).username == "alice"


def test_an_expired_pin_is_pin_expired(sim: PlexSimulator, invitee: PlexInviteeGateway) -> None:
    sim.configure(pin_lifetime_seconds=0)
    pin = invitee.create_pin()

    with pytest.raises(PinExpired):
        invitee.check_pin(pin.id)


def test_the_sign_in_page_is_plexs_or_the_simulators(sim: PlexSimulator) -> None:
    real = PlexInviteeGateway(client_identifier="abc")
    simulated = PlexInviteeGateway(client_identifier="abc", plex_tv_url=sim.plex_tv_url)

    assert real.auth_url("CODE", forward_url="https://g.example/back?x=1") == (
        "https://app.plex.tv/auth#?clientID=abc&code=CODE"
        "&context%5Bdevice%5D%5Bproduct%5D=Guestlist"
        "&forwardUrl=https%3A%2F%2Fg.example%2Fback%3Fx%3D1"
    )
    assert simulated.auth_url("CODE", forward_url=None) == (
        f"{sim.plex_tv_url}/auth#?clientID=abc&code=CODE&context%5Bdevice%5D%5Bproduct%5D=Guestlist"
    )


def test_a_bad_user_token_is_the_users_and_not_worth_retrying(
    invitee: PlexInviteeGateway,
) -> None:
    with pytest.raises(PlexTokenRejected) as raised:
        invitee.account_for_token("not-a-real-token")

    assert raised.value.whose == "user"
    assert raised.value.transient is False


def _invited(sim: PlexSimulator, gateway: PlexGateway, name: str = "alice") -> Account:
    person = sim.add_account(name)
    gateway.share(name, ShareSettings(library_keys=(1,)))
    sim.clear_request_log()
    return person


def test_it_accepts_our_invite_and_trusts_plexs_definite_answer(
    sim: PlexSimulator,
    gateway: PlexGateway,
    invitee: PlexInviteeGateway,
    owner: Account,
    server: Server,
    calls: Calls,
) -> None:
    alice = _invited(sim, gateway)
    share = sim.shares_of(server)[0]

    accepted = invitee.accept_invite(alice.token, owner_account_id=owner.id, machine_identifier=MACHINE, **QUICK)

    assert accepted is True
    assert calls() == [
        ("GET", "clients.plex.tv", PENDING),
        ("POST", "clients.plex.tv", f"/api/v2/shared_servers/{share.id}/accept"),
    ]
    assert all(entry["account"] == "alice" for entry in sim.request_log())
    assert sim.shares_of(server)[0].accepted is True
    assert [u.username for u in gateway.users()] == ["alice"]


def test_an_accept_answer_that_does_not_say_accepted_is_checked_by_listing_again(
    sim: PlexSimulator,
    gateway: PlexGateway,
    invitee: PlexInviteeGateway,
    owner: Account,
    server: Server,
    calls: Calls,
) -> None:
    alice = _invited(sim, gateway)
    share = sim.shares_of(server)[0]
    sim.inject_fault("POST", f"/api/v2/shared_servers/{share.id}/accept", status=200, body="", times=1)

    accepted = invitee.accept_invite(alice.token, owner_account_id=owner.id, machine_identifier=MACHINE, **QUICK)

    # The empty answer did nothing (the fault stood in for Plex), so the second list still
    # shows the invite, and the next try accepts it for real.
    assert accepted is True
    assert [path for _, _, path in calls()] == [
        PENDING,
        f"/api/v2/shared_servers/{share.id}/accept",
        PENDING,
        PENDING,
        f"/api/v2/shared_servers/{share.id}/accept",
    ]
    assert sim.shares_of(server)[0].accepted is True


def test_it_accepts_an_invite_that_only_shows_up_on_a_later_try(
    sim: PlexSimulator,
    gateway: PlexGateway,
    invitee: PlexInviteeGateway,
    owner: Account,
    server: Server,
    calls: Calls,
) -> None:
    sim.configure(pending_visible_after_polls=2)
    alice = _invited(sim, gateway)

    accepted = invitee.accept_invite(alice.token, owner_account_id=owner.id, machine_identifier=MACHINE, **QUICK)

    assert accepted is True
    assert [path for _, _, path in calls()].count(PENDING) == 3
    assert sim.shares_of(server)[0].accepted is True


def test_it_gives_up_when_the_invite_never_shows_up(
    sim: PlexSimulator,
    gateway: PlexGateway,
    invitee: PlexInviteeGateway,
    owner: Account,
    server: Server,
) -> None:
    sim.configure(pending_visible_after_polls=100)
    alice = _invited(sim, gateway)

    accepted = invitee.accept_invite(alice.token, owner_account_id=owner.id, machine_identifier=MACHINE, **QUICK)

    assert accepted is False
    assert sim.shares_of(server)[0].accepted is False


def test_it_picks_our_servers_invite_among_several(
    sim: PlexSimulator,
    gateway: PlexGateway,
    invitee: PlexInviteeGateway,
    owner: Account,
    server: Server,
) -> None:
    alice = sim.add_account("alice")
    other_owner = sim.add_account("other-owner")
    theirs = sim.add_server(other_owner, "Theirs")
    sim.share(theirs, alice)
    our_other = sim.add_server(owner, "Our other server")
    sim.share(our_other, alice)
    gateway.share("alice", ShareSettings(library_keys=(1,)))

    pending = invitee.pending_invites(alice.token)
    accepted = invitee.accept_invite(alice.token, owner_account_id=owner.id, machine_identifier=MACHINE, **QUICK)

    assert len(pending) == 3
    assert (
        PendingInvite(
            share_id=sim.shares_of(server)[0].id,
            owner_id=owner.id,
            owner_username="owner",
            machine_identifier=MACHINE,
        )
        in pending
    )
    assert accepted is True
    assert sim.shares_of(server)[0].accepted is True
    assert sim.shares_of(theirs)[0].accepted is False
    assert sim.shares_of(our_other)[0].accepted is False


def test_it_rides_out_a_passing_plex_failure(
    sim: PlexSimulator,
    gateway: PlexGateway,
    invitee: PlexInviteeGateway,
    owner: Account,
) -> None:
    alice = _invited(sim, gateway)
    sim.inject_fault("POST", "/api/v2/shared_servers/*/accept", status=503, times=1)

    assert invitee.accept_invite(alice.token, owner_account_id=owner.id, machine_identifier=MACHINE, **QUICK)


def test_a_lasting_plex_failure_comes_out_typed_after_the_retries(
    sim: PlexSimulator,
    gateway: PlexGateway,
    invitee: PlexInviteeGateway,
    owner: Account,
) -> None:
    alice = _invited(sim, gateway)
    sim.inject_fault("GET", PENDING, status=500, times=None)

    with pytest.raises(PlexUnavailable):
        invitee.accept_invite(alice.token, owner_account_id=owner.id, machine_identifier=MACHINE, **QUICK)

    assert len(sim.request_log()) == 4


def test_an_unverified_email_stops_the_accept_with_plexs_words(
    sim: PlexSimulator,
    gateway: PlexGateway,
    invitee: PlexInviteeGateway,
    owner: Account,
) -> None:
    bob = sim.add_account("bob", email_verified=False)
    gateway.share("bob", ShareSettings(library_keys=()))

    with pytest.raises(PlexUnexpected) as raised:
        invitee.accept_invite(bob.token, owner_account_id=owner.id, machine_identifier=MACHINE, **QUICK)

    assert raised.value.plex_text is not None
    assert "verify your email" in raised.value.plex_text
