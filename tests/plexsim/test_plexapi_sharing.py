"""Real plexapi 4.18.3 sharing, Home and invite calls against the simulator."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from plexapi.exceptions import BadRequest

from guestlist.plexsim import PlexSimulator
from guestlist.plexsim.state import Account, Server


def _accept(sim: PlexSimulator, who: Account) -> None:
    pending = requests.get(
        f"{sim.plex_tv_url}/api/v2/shared_servers/invites/received/pending",
        headers={"X-Plex-Token": who.token, "X-Forwarded-Host": "clients.plex.tv"},
        timeout=5,
    ).json()
    share_id = pending[0]["sharedServers"][0]["id"]
    response = requests.post(
        f"{sim.plex_tv_url}/api/v2/shared_servers/{share_id}/accept",
        headers={"X-Plex-Token": who.token, "X-Forwarded-Host": "clients.plex.tv"},
        timeout=5,
    )
    assert response.status_code == 200


def test_invite_friend_posts_the_share_plexapi_builds(sim: PlexSimulator, account: Any, server: Server) -> None:
    sim.add_account("bob")

    account.inviteFriend(
        "bob@example.com",
        server.machine_identifier,
        sections=["Movies", "TV Shows"],
        allowSync=True,
    )

    post = sim.request_log()[-1]
    assert (post["method"], post["path"]) == (
        "POST",
        "/api/servers/abc123machine/shared_servers",
    )
    assert post["body"] == {
        "server_id": "abc123machine",
        "shared_server": {
            "library_section_ids": [9001, 9002],
            "invited_email": "bob@example.com",
        },
        "sharing_settings": {
            "allowSync": "1",
            "allowCameraUpload": "0",
            "allowChannels": "0",
            "filterMovies": "",
            "filterTelevision": "",
            "filterMusic": "",
        },
    }
    [share] = sim.shares_of(server)
    assert share.library_ids == [9001, 9002]
    assert share.allow_sync is True
    assert share.accepted is False


def test_users_leave_out_pending_invites_like_plex_tv(sim: PlexSimulator, account: Any, server: Server) -> None:
    bob = sim.add_account("bob")
    account.inviteFriend("bob", server.machine_identifier, sections=["Movies"])

    assert account.users() == []

    _accept(sim, bob)

    [user] = account.users()
    assert user.username == "bob"
    assert user.servers[0].machineIdentifier == "abc123machine"
    assert [(s.title, s.shared) for s in user.servers[0].sections()] == [
        ("Movies", True),
        ("TV Shows", False),
        ("Music", False),
        ("Photos", False),
    ]


def test_the_second_invite_is_refused_as_already_sharing(sim: PlexSimulator, account: Any, server: Server) -> None:
    sim.add_account("bob")
    account.inviteFriend("bob", server.machine_identifier)

    with pytest.raises(BadRequest) as raised:
        account.inviteFriend("bob@example.com", server.machine_identifier)

    assert 'status="You\'re already sharing this server with bob@example.com. Please edit your existing share."' in str(
        raised.value
    )


def test_an_unknown_section_is_plexapis_key_error(account: Any, server: Server) -> None:
    with pytest.raises(KeyError):
        account.inviteFriend("x@example.com", server.machine_identifier, ["Nope"])


def test_update_friend_changes_libraries_and_settings(sim: PlexSimulator, account: Any, server: Server) -> None:
    bob = sim.add_account("bob")
    account.inviteFriend("bob", server.machine_identifier, sections=["Movies"])
    _accept(sim, bob)

    account.updateFriend(
        "bob",
        server.machine_identifier,
        sections=["Music"],
        allowSync=True,
        allowChannels=False,
        filterMovies={"label": ["kids"]},
    )

    [share] = sim.shares_of(server)
    assert share.library_ids == [9003]
    assert share.allow_sync is True
    assert share.filter_movies == "label=kids"
    put = sim.request_log()[-1]
    assert (put["method"], put["path"]) == ("PUT", f"/api/v2/sharings/{bob.id}")
    assert put["query"] == {
        "allowChannels": "0",
        "allowSync": "1",
        "filterMovies": "label=kids",
    }


def test_remove_friend_drops_the_friend_and_their_shares(
    sim: PlexSimulator, account: Any, server: Server, owner: Account
) -> None:
    bob = sim.add_account("bob")
    account.inviteFriend("bob", server.machine_identifier)
    _accept(sim, bob)

    account.removeFriend("bob")

    assert account.users() == []
    assert sim.shares_of(server) == []
    assert sim.friends(owner) == []


def test_create_home_user_makes_a_managed_user_with_libraries(
    sim: PlexSimulator, account: Any, server: Server, owner: Account
) -> None:
    account.createHomeUser("New Kid", server.machine_identifier, sections=["Movies"])

    [kid] = sim.home_members(owner)
    assert (kid.title, kid.managed) == ("New Kid", True)
    [share] = sim.shares_of(server)
    assert (share.invited_id, share.accepted) == (kid.id, True)
    [user] = account.users()
    assert (user.title, user.home, user.restricted) == ("New Kid", True, "1")

    account.removeHomeUser("New Kid")

    assert sim.home_members(owner) == []
    assert sim.shares_of(server) == []


def test_create_existing_user_keeps_a_plus_in_the_address(
    sim: PlexSimulator, account: Any, server: Server, owner: Account
) -> None:
    fresh = sim.add_account("fresh", "fresh+tag@example.com")

    account.createExistingUser("fresh+tag@example.com", server.machine_identifier, sections=["Movies"])

    home_post = next(e for e in sim.request_log() if e["path"] == "/api/home/users")
    # plexapi sends the address raw; the "+" must not turn into a space.
    assert home_post["query_string"] == "invitedEmail=fresh+tag@example.com"
    assert [m.id for m in sim.home_members(owner)] == [fresh.id]
    assert sim.shares_of(server)[0].accepted is True


def test_a_home_invite_needs_the_owners_plex_pass(sim: PlexSimulator, session: requests.Session) -> None:
    from plexapi.myplex import MyPlexAccount

    free = sim.add_account("free")
    free_server = sim.add_server(free, "FreePMS")
    sim.add_account("guest")
    account = MyPlexAccount(token=free.token, session=session)

    with pytest.raises(BadRequest) as raised:
        account.createExistingUser("guest", free_server.machine_identifier)

    assert "Invite a user requires a Plex Pass" in str(raised.value)
    account.createHomeUser("Kid", free_server.machine_identifier)
    assert [m.title for m in sim.home_members(free)] == ["Kid"]


def test_a_plex_home_holds_fifteen_people_at_most(
    sim: PlexSimulator, account: Any, server: Server, owner: Account
) -> None:
    for number in range(14):
        account.createHomeUser(f"Kid {number}", server.machine_identifier)

    with pytest.raises(BadRequest) as raised:
        account.createHomeUser("One too many", server.machine_identifier)

    assert "Plex Home is full" in str(raised.value)
    assert len(sim.home_members(owner)) == 14


def test_legacy_invite_routes_are_gone_like_on_plex_tv(account: Any) -> None:
    with pytest.raises(BadRequest) as raised:
        account.pendingInvites()

    assert "(410)" in str(raised.value)
    assert "This endpoint was deprecated and removed" in str(raised.value)


def test_legacy_invite_routes_can_be_served_for_old_clients(
    sim: PlexSimulator, account: Any, server: Server, session: requests.Session
) -> None:
    from plexapi.myplex import MyPlexAccount

    sim.configure(legacy_invites="serve")
    bob = sim.add_account("bob")
    account.inviteFriend("bob", server.machine_identifier)
    as_bob = MyPlexAccount(token=bob.token, session=session)

    [invite] = as_bob.pendingInvites(includeSent=False)
    assert invite.username == "owner"
    as_bob.acceptInvite(invite)

    assert sim.shares_of(server)[0].accepted is True
    assert [u.username for u in account.users()] == ["bob"]


def test_sharing_to_an_address_without_an_account_waits_for_the_sign_up(
    sim: PlexSimulator, account: Any, server: Server
) -> None:
    account.inviteFriend("Later@Example.com", server.machine_identifier)

    assert sim.emails()[0]["kind"] == "signup_invite"
    later = sim.add_account("later", "later@example.com")
    pending = requests.get(
        f"{sim.plex_tv_url}/api/v2/shared_servers/invites/received/pending",
        headers={"X-Plex-Token": later.token},
        timeout=5,
    ).json()

    assert pending[0]["sharedServers"][0]["invitedId"] == later.id
    assert pending[0]["owner"]["username"] == "owner"
    assert sim.shares_of(server)[0].invited_email == "Later@Example.com"
