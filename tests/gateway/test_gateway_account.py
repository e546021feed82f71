"""The owner's account, the server and its libraries."""

from __future__ import annotations

from collections.abc import Callable

import plexapi
import pytest

from guestlist.plex.errors import PlexTokenRejected
from guestlist.plex.gateway import LibraryInfo, PlexAccount, PlexGateway, ServerInfo
from guestlist.plexsim import PlexSimulator
from guestlist.plexsim.state import Account, Server

CLIENT_ID = "guestlist-test-install"
MACHINE = "abc123machine"
Calls = Callable[[], list[tuple[str, str, str]]]


def test_it_reads_the_owners_account_in_one_request(
    sim: PlexSimulator, gateway: PlexGateway, owner: Account, calls: Calls
) -> None:
    account = gateway.owner_account()

    assert account == PlexAccount(
        id=owner.id,
        uuid=owner.uuid,
        username="owner",
        email="owner@example.com",
        title="owner",
        thumb=f"{sim.plex_tv_url}/__sim/avatars/owner.svg",
        has_plex_pass=True,
        email_confirmed=True,
    )
    assert calls() == [("GET", "plex.tv", "/api/v2/user")]
    headers = sim.request_log()[0]["headers"]
    assert headers["X-Plex-Product"] == "Guestlist"
    assert headers["X-Plex-Client-Identifier"] == CLIENT_ID


def test_it_introduces_itself_to_plexapi_by_changing_its_headers_in_place() -> None:
    headers = plexapi.BASE_HEADERS

    PlexGateway("some-token", client_identifier="install-42", plex_tv_url="http://x")

    assert plexapi.BASE_HEADERS is headers
    assert headers["X-Plex-Client-Identifier"] == "install-42"
    assert headers["X-Plex-Product"] == "Guestlist"


@pytest.mark.parametrize("token", ["", "   "])
def test_it_refuses_an_empty_owner_token(token: str) -> None:
    with pytest.raises(PlexTokenRejected) as raised:
        PlexGateway(token, client_identifier=CLIENT_ID)

    assert raised.value.whose == "owner"


def test_it_reads_the_server_from_the_pms(gateway: PlexGateway, calls: Calls) -> None:
    assert gateway.server_info() == ServerInfo(
        machine_identifier=MACHINE, name="FakePMS", version="1.41.3.9314-a0bfb8370"
    )
    assert calls() == [("GET", "pms", "/")]


def test_it_pairs_pms_section_keys_with_plex_tv_ids(gateway: PlexGateway, calls: Calls) -> None:
    libraries = gateway.libraries()

    assert libraries == [
        LibraryInfo(key=1, global_id=9001, title="Movies", type="movie"),
        LibraryInfo(key=2, global_id=9002, title="TV Shows", type="show"),
        LibraryInfo(key=3, global_id=9003, title="Music", type="artist"),
        LibraryInfo(key=4, global_id=9004, title="Photos", type="photo"),
    ]
    assert calls() == [
        ("GET", "plex.tv", f"/api/servers/{MACHINE}"),
        ("GET", "pms", "/"),
        ("GET", "pms", "/library"),
        ("GET", "pms", "/library/sections"),
    ]


def test_it_lists_libraries_from_plex_tv_alone_without_a_server_url(
    sim: PlexSimulator, owner: Account, server: Server, calls: Calls
) -> None:
    gateway = PlexGateway(
        owner.token,
        client_identifier=CLIENT_ID,
        machine_identifier=MACHINE,
        plex_tv_url=sim.plex_tv_url,
    )

    assert [library.key for library in gateway.libraries()] == [1, 2, 3, 4]
    assert calls() == [("GET", "plex.tv", f"/api/servers/{MACHINE}")]


def test_it_asks_the_pms_for_the_machine_identifier_when_not_given(
    sim: PlexSimulator, owner: Account, server: Server, calls: Calls
) -> None:
    gateway = PlexGateway(
        owner.token,
        client_identifier=CLIENT_ID,
        server_url=sim.pms_url,
        plex_tv_url=sim.plex_tv_url,
    )

    gateway.users()

    assert calls()[0] == ("GET", "pms", "/")
