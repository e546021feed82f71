"""The signed-in account's servers (plex.tv resources), offered by the setup wizard."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from guestlist.plex.errors import PlexTokenRejected, PlexUnavailable
from guestlist.plex.gateway import PlexGateway, PlexResource
from guestlist.plex.records import PlexConnection
from guestlist.plex.redaction import redact
from guestlist.plexsim import PlexSimulator
from guestlist.plexsim.state import Account, Server

CLIENT_ID = "guestlist-test-install"
MACHINE = "abc123machine"
Calls = Callable[[], list[tuple[str, str, str]]]


def gateway_for(sim: PlexSimulator, token: str) -> PlexGateway:
    return PlexGateway(token, client_identifier=CLIENT_ID, plex_tv_url=sim.plex_tv_url, timeout=2)


def test_it_lists_the_owned_server_with_its_connection_and_token_in_one_request(
    sim: PlexSimulator, owner: Account, server: Server, calls: Calls
) -> None:
    resources = gateway_for(sim, owner.token).resources()

    assert resources == [
        PlexResource(
            name="FakePMS",
            client_identifier=MACHINE,
            product_version="1.41.3.9314-a0bfb8370",
            owned=True,
            provides=("server",),
            connections=(PlexConnection(uri=sim.pms_url, local=True, relay=False),),
            access_token=owner.token,
        )
    ]
    assert resources[0].is_server
    assert calls() == [("GET", "plex.tv", "/api/v2/resources")]
    entry = sim.request_log()[0]
    assert entry["query"] == {"includeHttps": "1", "includeRelay": "1", "includeIPv6": "1"}
    assert entry["headers"]["Accept"] == "application/json"
    assert entry["headers"]["X-Plex-Client-Identifier"] == CLIENT_ID


def test_a_server_shared_with_the_account_is_listed_as_not_owned(
    sim: PlexSimulator, owner: Account, server: Server
) -> None:
    friend = sim.add_account("friend", "friend@example.com")
    sim.share(server, friend, accepted=True)

    resources = gateway_for(sim, friend.token).resources()

    assert [(r.name, r.owned) for r in resources] == [("FakePMS", False)]


def test_an_account_without_servers_has_no_resources(sim: PlexSimulator, server: Server) -> None:
    loner = sim.add_account("loner", "loner@example.com")

    assert gateway_for(sim, loner.token).resources() == []


def test_the_access_token_never_shows_in_the_records_repr(sim: PlexSimulator, owner: Account, server: Server) -> None:
    (resource,) = gateway_for(sim, owner.token).resources()

    assert owner.token not in repr(resource)


def test_a_rejected_token_is_the_owners_problem(sim: PlexSimulator, server: Server) -> None:
    with pytest.raises(PlexTokenRejected) as raised:
        gateway_for(sim, "not-a-real-token").resources()

    assert raised.value.whose == "owner"


def test_a_plex_outage_is_transient(sim: PlexSimulator, owner: Account, server: Server) -> None:
    sim.inject_fault("GET", "/api/v2/resources", status=503)

    with pytest.raises(PlexUnavailable) as raised:
        gateway_for(sim, owner.token).resources()

    assert raised.value.transient


def test_the_access_token_is_scrubbed_wherever_it_shows_up(sim: PlexSimulator, owner: Account, server: Server) -> None:
    friend = sim.add_account("friend", "friend@example.com")
    share = sim.share(server, friend, accepted=True)
    (resource,) = gateway_for(sim, friend.token).resources()
    assert resource.access_token == share.access_token

    assert share.access_token not in redact(f"connecting with {resource.access_token}")
