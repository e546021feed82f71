"""A second Plex server ("Guestlist HD") on the owner's Plex account, beside the cast's
"Guestlist Test" (here: the 4K server). The simulator plays it on a PMS of its own."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from guestlist.core.audit import Actor
from guestlist.invites.models import Invite
from guestlist.invites.redemption import Identity, RedeemResult, redeem
from guestlist.invites.services import create_invite
from guestlist.plex import services as plex_services
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from tests.conftest import OWNER_PLEX_TOKEN
from tests.notifications.conftest import smtp  # noqa: F401 - the real SMTP server fixture, shared

HD_NAME = "Guestlist HD"
HD_MACHINE_ID = "guestlist-hd-machine"
# plex.tv's share call for the HD server: a fault here is "the HD server cannot be shared now".
HD_SHARES = f"/api/servers/{HD_MACHINE_ID}/shared_servers*"


@pytest.fixture
def hd_server(sim: PlexSimulator, server: MediaServer, owner: User) -> MediaServer:
    sim.add_server("plexowner", HD_NAME, machine_identifier=HD_MACHINE_ID, libraries=(("Movies HD", "movie"),))
    url = sim.serve_pms(HD_MACHINE_ID)
    return plex_services.connect_server(url, OWNER_PLEX_TOKEN, actor=Actor.admin(owner)).server


def both_servers_invite(server: MediaServer, hd_server: MediaServer, **fields: Any) -> Invite:
    """The "4K + HD" invite: Movies and TV Shows on the 4K server, everything on HD."""
    servers = [{"server_id": server.pk, "libraries": [1, 2]}, {"server_id": hd_server.pk, "libraries": "all"}]
    return create_invite({"servers": servers, **fields}, actor=Actor.system())


def redeem_with_plex(sim: PlexSimulator, invite: Invite, who: str = "guest") -> RedeemResult:
    """Redeem as a person signed in with Plex (their token accepts the shares for them)."""
    account = sim.account(who)
    identity = Identity(
        method="oauth", email=account.email, username=account.username, plex_id=account.id, token=account.tokens[0]
    )
    return redeem(invite.code, identity, actor=Actor.redeemer(account.email))


def shares_on(sim: PlexSimulator, machine_identifier: str, who: str = "guest") -> list[Any]:
    account = sim.account(who)
    return [share for share in sim.shares_of(machine_identifier) if share.invited_id == account.id]
