"""A Plex e-mail counts only when Plex says it is confirmed (audit 1.2).

Anyone can type someone else's address into a new Plex account; plex.tv then reports it
with ``confirmed="0"`` until the mail's link is followed. Such an account must not take the
membership (and the rights) of the person invited by e-mail, nor sign in as the owner, nor
link itself to someone's local account.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.test import Client

from guestlist.members.models import Member
from guestlist.plexsim import PlexSimulator
from tests.dashboard.conftest import join_by_email
from tests.lifecycle.conftest import shares_of
from tests.members_model.conftest import owner_invite, site
from tests.members_model.test_signin_and_local_accounts import PASSWORD, plex_sign_in, signed_in_user


def test_the_simulator_reports_whether_an_email_is_confirmed(sim: PlexSimulator) -> None:
    from guestlist.plex.invitee import PlexInviteeGateway

    gateway = PlexInviteeGateway(client_identifier="test", plex_tv_url=sim.plex_tv_url)
    mallory = sim.add_account("mallory", "victim@example.com", email_verified=False)
    assert gateway.account_for_token(mallory.token).email_confirmed is False
    sim.confirm_email(mallory)
    assert gateway.account_for_token(mallory.token).email_confirmed is True


def test_an_unconfirmed_email_does_not_claim_a_pending_membership(
    client: Client, owner: User, server: Any, sim: PlexSimulator
) -> None:
    victim = join_by_email(owner_invite(owner), "victim@example.com")
    sim.add_account("mallory", "victim@example.com", email_verified=False)

    response = plex_sign_in(client, sim, "mallory")

    assert response.status_code == 403
    assert "not confirmed" in response.content.decode()
    assert signed_in_user(client) is None
    victim.refresh_from_db()
    assert victim.plex_id is None and victim.user_id is None


def test_a_confirmed_email_still_finds_the_pending_membership(
    client: Client, owner: User, server: Any, sim: PlexSimulator
) -> None:
    victim = join_by_email(owner_invite(owner), "victim@example.com")
    sim.add_account("victor", "victim@example.com")

    response = plex_sign_in(client, sim, "victor")

    assert response.status_code == 302
    victim.refresh_from_db()
    assert victim.plex_id == sim.account("victor").id
    assert signed_in_user(client) == victim.user


def test_an_unconfirmed_owner_email_does_not_sign_in_as_the_owner(
    client: Client, owner: User, server: Any, sim: PlexSimulator
) -> None:
    sim.add_account("impostor", "owner@example.com", email_verified=False)

    response = plex_sign_in(client, sim, "impostor")

    assert response.status_code == 403
    assert signed_in_user(client) is None


def test_linking_a_local_account_needs_a_confirmed_email(
    client: Client, owner: User, server: Any, sim: PlexSimulator
) -> None:
    site(local_accounts_enabled=True)
    invite = owner_invite(owner)
    client.post(f"/invite/{invite.code}/local", {"email": "dora@example.com", "username": "dora", "password": PASSWORD})
    sim.add_account("dora_plex", "dora@example.com", email_verified=False)

    refused = plex_sign_in(client, sim, "dora_plex", flow="link")

    assert refused.status_code == 302
    assert Member.objects.get().status == "unlinked"
    assert not shares_of(sim, "dora_plex")
    assert "not confirmed" in client.get("/me/").content.decode()
