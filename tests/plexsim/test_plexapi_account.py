"""Real plexapi 4.18.3, unmodified, against the simulator: accounts, PINs, the PMS."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from plexapi.exceptions import BadRequest, NotFound, Unauthorized
from plexapi.myplex import MyPlexAccount, MyPlexPinLogin
from plexapi.server import PlexServer

from guestlist.plexsim import PlexSimulator
from guestlist.plexsim.state import Account, Server

_STRANGER = "not-a-known-token"


def test_it_serves_the_account_plexapi_reads(account: Any, owner: Account) -> None:
    assert account.id == owner.id
    assert account.username == "owner"
    assert account.email == "owner@example.com"
    assert account.subscriptionActive is True
    assert "plexpass" in account.roles
    assert account.authToken == "owner-token-0001"


def test_it_reads_the_token_from_the_query_string_too(sim: PlexSimulator, owner: Account) -> None:
    response = requests.get(f"{sim.plex_tv_url}/api/v2/user?X-Plex-Token={owner.token}", timeout=5)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/xml; charset=utf-8"


def test_it_answers_json_to_the_user_route_when_asked(sim: PlexSimulator, owner: Account) -> None:
    response = requests.get(
        f"{sim.plex_tv_url}/api/v2/user",
        headers={"X-Plex-Token": owner.token, "Accept": "application/json"},
        timeout=5,
    )

    assert response.json()["username"] == "owner"
    assert response.json()["subscription"]["active"] is True


def test_it_refuses_a_bad_token_with_plex_code_1001(session: requests.Session, owner: Account) -> None:
    with pytest.raises(Unauthorized) as raised:
        MyPlexAccount(token=_STRANGER, session=session, timeout=5)

    assert 'code="1001"' in str(raised.value)
    assert "User could not be authenticated" in str(raised.value)


def test_it_runs_the_pin_flow_plexapi_uses(sim: PlexSimulator, session: requests.Session, owner: Account) -> None:
    friend = sim.add_account("carol")
    login = MyPlexPinLogin(session=session, oauth=True, requestTimeout=5)
    login.oauthUrl()

    assert login.checkLogin() is False

    token = sim.approve_pin(int(str(login._id)), friend)

    assert login.checkLogin() is True
    assert login.token == token
    assert MyPlexAccount(token=token, session=session).username == "carol"


@pytest.mark.parametrize("strong", ["True", "true", "1"])
def test_it_accepts_every_spelling_of_strong(sim: PlexSimulator, strong: str) -> None:
    response = requests.post(
        f"{sim.plex_tv_url}/api/v2/pins?strong={strong}",
        headers={"X-Plex-Client-Identifier": "client-1"},
        timeout=5,
    )

    assert response.status_code == 201
    assert len(response.text.split('code="')[1].split('"')[0]) == 25


def test_it_forgets_a_pin_once_it_expires(sim: PlexSimulator) -> None:
    sim.configure(pin_lifetime_seconds=0)
    created = requests.post(
        f"{sim.plex_tv_url}/api/v2/pins",
        headers={"X-Plex-Client-Identifier": "client-1", "Accept": "application/json"},
        timeout=5,
    ).json()

    response = requests.get(
        f"{sim.plex_tv_url}/api/v2/pins/{created['id']}",
        headers={"X-Plex-Client-Identifier": "client-1"},
        timeout=5,
    )

    assert response.status_code == 404
    assert 'code="1020"' in response.text


def test_it_signs_a_token_out(sim: PlexSimulator, session: requests.Session, owner: Account) -> None:
    token = sim.approve_pin(_new_pin(sim), owner)
    MyPlexAccount(token=token, session=session).signout()

    with pytest.raises(Unauthorized):
        MyPlexAccount(token=token, session=session)
    assert MyPlexAccount(token=owner.token, session=session).username == "owner"


def test_it_plays_the_pms_plexserver_reads(
    sim: PlexSimulator, session: requests.Session, server: Server, owner: Account
) -> None:
    plex = PlexServer(sim.pms_url, owner.token, session=session, timeout=5)

    assert plex.machineIdentifier == "abc123machine"
    assert plex.friendlyName == "FakePMS"
    sections = plex.library.sections()
    assert [(s.key, s.title, s.type) for s in sections] == [
        (1, "Movies", "movie"),
        (2, "TV Shows", "show"),
        (3, "Music", "artist"),
        (4, "Photos", "photo"),
    ]
    assert plex.library.section("tv shows").key == 2
    assert plex.identity().machineIdentifier == "abc123machine"


def test_the_pms_refuses_a_stranger_with_an_html_401(
    sim: PlexSimulator, session: requests.Session, server: Server
) -> None:
    with pytest.raises(Unauthorized):
        PlexServer(sim.pms_url, "wrong", session=session, timeout=5)

    response = requests.get(f"{sim.pms_url}/library/sections/", timeout=5)
    assert response.status_code == 401
    assert response.headers["Content-Type"].startswith("text/html")


def test_it_lists_the_server_as_a_resource_that_connects(account: Any) -> None:
    resource = account.resource("FakePMS")

    assert resource.clientIdentifier == "abc123machine"
    assert resource.connect(timeout=5).friendlyName == "FakePMS"


def test_unknown_routes_are_404_in_plex_shapes(account: Any) -> None:
    with pytest.raises(NotFound) as v2:
        account.query("https://plex.tv/api/v2/nothing-here")
    with pytest.raises(NotFound) as v1:
        account.query("https://plex.tv/nothing-here")

    assert 'code="1002"' in str(v2.value)
    assert "doesn't exist" in str(v1.value)


def test_a_pin_needs_a_client_identifier(sim: PlexSimulator) -> None:
    response = requests.post(f"{sim.plex_tv_url}/api/v2/pins", timeout=5)

    assert response.status_code == 400


def test_a_pin_cannot_be_read_by_another_client(sim: PlexSimulator) -> None:
    pin_id = _new_pin(sim)

    response = requests.get(
        f"{sim.plex_tv_url}/api/v2/pins/{pin_id}",
        headers={"X-Plex-Client-Identifier": "someone-else"},
        timeout=5,
    )

    assert response.status_code == 404


def test_plexapi_sees_a_bad_request_when_the_pin_is_gone(sim: PlexSimulator, session: requests.Session) -> None:
    login = MyPlexPinLogin(session=session, oauth=True, requestTimeout=5)
    login.oauthUrl()
    sim.configure(pin_lifetime_seconds=0)
    sim.replace_state(_expire_pins(sim))

    with pytest.raises(BadRequest):
        login._checkLogin()


def _new_pin(sim: PlexSimulator) -> int:
    response = requests.post(
        f"{sim.plex_tv_url}/api/v2/pins",
        headers={"X-Plex-Client-Identifier": "client-1", "Accept": "application/json"},
        timeout=5,
    )
    return int(response.json()["id"])


def _expire_pins(sim: PlexSimulator) -> Any:
    state = sim.state
    for pin in state.pins:
        pin.expires_at = 0
    return state
