"""Plex Home: existing accounts, managed users, Plex Pass and the size limit."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from guestlist.plex.errors import PlexNotFound, PlexPassRequired, PlexUnexpected
from guestlist.plex.gateway import PlexGateway, ShareResult, ShareSettings
from guestlist.plexsim import PlexSimulator
from guestlist.plexsim.state import Account, Server

CLIENT_ID = "guestlist-test-install"
MACHINE = "abc123machine"
Calls = Callable[[], list[tuple[str, str, str]]]


def test_it_brings_an_existing_account_into_the_home_with_its_libraries(
    sim: PlexSimulator,
    gateway: PlexGateway,
    server: Server,
    owner: Account,
    calls: Calls,
) -> None:
    fresh = sim.add_account("fresh", "fresh+tag@example.com")

    result = gateway.add_home_user("fresh+tag@example.com", ShareSettings(library_keys=(1,)))

    [share] = sim.shares_of(server)
    assert result == ShareResult(share_id=share.id, user_id=fresh.id, already_shared=False, accepted=True)
    assert [m.id for m in sim.home_members(owner)] == [fresh.id]
    assert (share.accepted, share.library_ids) == (True, [9001])
    home_post = next(e for e in sim.request_log() if e["path"] == "/api/home/users")
    assert home_post["method"] == "POST"
    assert home_post["query_string"] == "invitedEmail=fresh%2Btag%40example.com"
    assert calls()[-1] == ("POST", "plex.tv", f"/api/servers/{MACHINE}/shared_servers")
    assert sim.request_log()[-1]["body"]["shared_server"] == {
        "library_section_ids": [9001],
        "invited_id": fresh.id,
    }


def test_it_reports_plexs_plex_pass_refusal_in_plexs_words(sim: PlexSimulator, server: Server) -> None:
    free = sim.add_account("free")
    free_server = sim.add_server(free, "FreePMS")
    sim.add_account("guest")
    gateway = PlexGateway(
        free.token,
        client_identifier=CLIENT_ID,
        machine_identifier=free_server.machine_identifier,
        plex_tv_url=sim.plex_tv_url,
    )

    with pytest.raises(PlexPassRequired) as raised:
        gateway.add_home_user("guest", ShareSettings(library_keys=()))

    assert raised.value.plex_text == "Invite a user requires a Plex Pass"
    assert raised.value.status == 400
    assert raised.value.transient is False
    assert sim.home_members(free) == []


def test_a_full_home_is_an_unexpected_refusal_with_plexs_words(sim: PlexSimulator, gateway: PlexGateway) -> None:
    sim.configure(max_home_size=2)
    gateway.create_managed_user("Kid", ShareSettings(library_keys=()))

    with pytest.raises(PlexUnexpected) as raised:
        gateway.create_managed_user("Another", ShareSettings(library_keys=()))

    assert raised.value.plex_text is not None
    assert "Plex Home is full" in raised.value.plex_text


def test_it_creates_a_managed_user_and_shares_with_it(
    sim: PlexSimulator, gateway: PlexGateway, server: Server, owner: Account
) -> None:
    result = gateway.create_managed_user("New Kid", ShareSettings(library_keys=(2,)))

    [kid] = sim.home_members(owner)
    assert (kid.title, kid.managed, kid.id) == ("New Kid", True, result.user_id)
    assert sim.shares_of(server)[0].library_ids == [9002]
    home_post = next(e for e in sim.request_log() if e["path"] == "/api/home/users")
    assert home_post["query_string"] == "title=New%20Kid"


def test_it_removes_a_home_member(
    sim: PlexSimulator,
    gateway: PlexGateway,
    server: Server,
    owner: Account,
    calls: Calls,
) -> None:
    result = gateway.create_managed_user("Kid", ShareSettings(library_keys=()))
    assert result.user_id is not None

    gateway.remove_home_user(result.user_id)

    assert calls()[-1] == ("DELETE", "plex.tv", f"/api/home/users/{result.user_id}")
    assert sim.home_members(owner) == []
    assert sim.shares_of(server) == []


def test_removing_someone_outside_the_home_is_not_found(sim: PlexSimulator, gateway: PlexGateway) -> None:
    stranger = sim.add_account("stranger")

    with pytest.raises(PlexNotFound):
        gateway.remove_home_user(stranger.id)
