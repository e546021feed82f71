"""Friends: sharing, updating, removing and listing, checked request by request."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from guestlist.plex.errors import PlexNotFound
from guestlist.plex.gateway import PlexGateway, ShareResult, ShareSettings
from guestlist.plexsim import PlexSimulator
from guestlist.plexsim.state import Account, Server

MACHINE = "abc123machine"
SHARES = f"/api/servers/{MACHINE}/shared_servers"
Calls = Callable[[], list[tuple[str, str, str]]]


def test_it_shares_with_the_body_plexapi_sends(
    sim: PlexSimulator, gateway: PlexGateway, server: Server, calls: Calls
) -> None:
    bob = sim.add_account("bob")

    result = gateway.share("bob@example.com", ShareSettings(library_keys=(1, 3), allow_sync=True))

    [share] = sim.shares_of(server)
    assert result == ShareResult(share_id=share.id, user_id=bob.id, already_shared=False)
    assert calls() == [
        ("GET", "plex.tv", f"/api/servers/{MACHINE}"),
        ("POST", "plex.tv", SHARES),
    ]
    assert sim.request_log()[-1]["body"] == {
        "server_id": MACHINE,
        "shared_server": {
            "library_section_ids": [9001, 9003],
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
    assert (share.library_ids, share.allow_sync, share.accepted) == (
        [9001, 9003],
        True,
        False,
    )
    assert sim.emails()[0]["to"] == "bob@example.com"


def test_a_warm_section_map_makes_a_share_one_round_trip(
    sim: PlexSimulator, gateway: PlexGateway, calls: Calls
) -> None:
    gateway.libraries()
    sim.clear_request_log()

    gateway.share("carol@example.com", ShareSettings(library_keys=(2,)))
    gateway.share("dave@example.com", ShareSettings(library_keys=(1,)))

    assert calls() == [("POST", "plex.tv", SHARES), ("POST", "plex.tv", SHARES)]


def test_no_library_keys_shares_every_library_there_is(
    sim: PlexSimulator, gateway: PlexGateway, server: Server
) -> None:
    gateway.share("new@example.com", ShareSettings(library_keys=()))

    assert sim.shares_of(server)[0].library_ids == [9001, 9002, 9003, 9004]


def test_it_refuses_an_unknown_library_before_touching_the_share(
    sim: PlexSimulator, gateway: PlexGateway, calls: Calls
) -> None:
    with pytest.raises(PlexNotFound):
        gateway.share("bob@example.com", ShareSettings(library_keys=(42,)))

    assert all(method == "GET" for method, _, _ in calls())


def test_it_updates_the_share_when_plex_says_already_sharing(
    sim: PlexSimulator, gateway: PlexGateway, server: Server, calls: Calls
) -> None:
    bob = sim.add_account("bob")
    first = gateway.share("bob", ShareSettings(library_keys=(1,)))
    sim.clear_request_log()

    again = gateway.share("bob@example.com", ShareSettings(library_keys=(2, 4), allow_channels=True))

    assert again == ShareResult(share_id=first.share_id, user_id=bob.id, already_shared=True)
    assert calls() == [
        ("POST", "plex.tv", SHARES),
        ("GET", "plex.tv", SHARES),
        ("POST", "clients.plex.tv", f"/api/v2/shared_servers/{first.share_id}"),
    ]
    assert sim.request_log()[0]["status"] == 400
    assert sim.request_log()[-1]["body"] == {
        "settings": {
            "allowSync": False,
            "allowChannels": True,
            "allowCameraUpload": False,
            "filterMovies": "",
            "filterTelevision": "",
            "filterMusic": "",
        },
        "librarySectionIds": [9002, 9004],
    }
    [share] = sim.shares_of(server)
    assert (share.library_ids, share.allow_channels) == ([9002, 9004], True)


def test_users_lists_friends_and_home_members_with_our_share(
    sim: PlexSimulator, gateway: PlexGateway, server: Server, owner: Account
) -> None:
    bob = sim.add_account("bob")
    carol = sim.add_account("carol")
    sim.share(server, bob, library_keys=(1, 2), accepted=True, allow_sync=True)
    sim.share(server, carol, accepted=True)
    sim.set_last_seen(bob, 1_700_000_000)
    elsewhere = sim.add_server(owner, "Other")
    dave = sim.add_account("dave")
    sim.share(elsewhere, dave, accepted=True)
    sim.add_account("pending-pat")
    gateway.share("pending-pat", ShareSettings(library_keys=(1,)))
    kid = gateway.create_managed_user("Kid", ShareSettings(library_keys=(3,)))

    users = {user.username or user.title: user for user in gateway.users()}

    assert set(users) == {"bob", "carol", "dave", "Kid"}
    assert users["bob"].library_keys == (1, 2)
    assert users["bob"].allow_sync is True
    assert users["bob"].last_seen_at is not None
    assert users["bob"].last_seen_at.timestamp() == 1_700_000_000
    assert users["carol"].library_keys == ()
    assert (users["dave"].share_id, users["dave"].library_keys) == (None, None)
    assert users["Kid"].share_id == kid.share_id
    assert (users["Kid"].home, users["Kid"].managed) == (True, True)
    assert (users["bob"].home, users["bob"].managed) == (False, False)


def test_users_takes_two_requests_with_a_warm_map(sim: PlexSimulator, gateway: PlexGateway, calls: Calls) -> None:
    gateway.libraries()
    sim.clear_request_log()

    gateway.users()

    assert calls() == [("GET", "plex.tv", "/api/users/"), ("GET", "plex.tv", SHARES)]


def test_it_updates_a_share_through_the_v2_route(
    sim: PlexSimulator, gateway: PlexGateway, server: Server, calls: Calls
) -> None:
    bob = sim.add_account("bob")
    sim.share(server, bob, library_keys=(1,), accepted=True)

    gateway.update_share(bob.id, ShareSettings(library_keys=(3,), allow_camera_upload=True))

    share = sim.shares_of(server)[0]
    assert calls()[-2:] == [
        ("GET", "plex.tv", SHARES),
        ("POST", "clients.plex.tv", f"/api/v2/shared_servers/{share.id}"),
    ]
    assert (share.library_ids, share.allow_camera_upload) == ([9003], True)


def test_updating_someone_without_a_share_is_not_found(sim: PlexSimulator, gateway: PlexGateway) -> None:
    bob = sim.add_account("bob")

    with pytest.raises(PlexNotFound):
        gateway.update_share(bob.id, ShareSettings(library_keys=()))


def test_it_removes_only_the_share_of_our_server(
    sim: PlexSimulator,
    gateway: PlexGateway,
    server: Server,
    owner: Account,
    calls: Calls,
) -> None:
    bob = sim.add_account("bob")
    share = sim.share(server, bob, accepted=True)
    other = sim.add_server(owner, "Other")
    sim.share(other, bob, accepted=True)

    gateway.remove_share(bob.id)

    assert calls()[-2:] == [
        ("GET", "plex.tv", SHARES),
        ("DELETE", "plex.tv", f"{SHARES}/{share.id}"),
    ]
    assert sim.shares_of(server) == []
    assert len(sim.shares_of(other)) == 1


def test_it_cancels_a_pending_invite_to_an_address(sim: PlexSimulator, gateway: PlexGateway, server: Server) -> None:
    gateway.share("nobody-yet@example.com", ShareSettings(library_keys=()))

    gateway.remove_share(email="Nobody-Yet@example.com")

    assert sim.shares_of(server) == []


def test_removing_someone_who_has_no_share_is_not_found(sim: PlexSimulator, gateway: PlexGateway) -> None:
    bob = sim.add_account("bob")

    with pytest.raises(PlexNotFound):
        gateway.remove_share(bob.id)
