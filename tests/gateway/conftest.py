from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from guestlist.plex.gateway import PlexGateway, PlexInviteeGateway, forget_section_maps
from guestlist.plexsim import PlexSimulator
from guestlist.plexsim.state import Account, Server

CLIENT_ID = "guestlist-test-install"
MACHINE = "abc123machine"

Calls = Callable[[], list[tuple[str, str, str]]]


@pytest.fixture
def sim() -> Iterator[PlexSimulator]:
    simulator = PlexSimulator().start()
    yield simulator
    simulator.stop()


@pytest.fixture(autouse=True)
def cold_section_maps() -> Iterator[None]:
    forget_section_maps()
    yield
    forget_section_maps()


@pytest.fixture
def owner(sim: PlexSimulator) -> Account:
    return sim.add_account("owner", "owner@example.com", plex_pass=True)


@pytest.fixture
def server(sim: PlexSimulator, owner: Account) -> Server:
    return sim.add_server(owner, "FakePMS", machine_identifier=MACHINE)


@pytest.fixture
def gateway(sim: PlexSimulator, owner: Account, server: Server) -> PlexGateway:
    return PlexGateway(
        owner.token,
        client_identifier=CLIENT_ID,
        server_url=sim.pms_url,
        machine_identifier=MACHINE,
        plex_tv_url=sim.plex_tv_url,
        timeout=2,
    )


@pytest.fixture
def invitee(sim: PlexSimulator) -> PlexInviteeGateway:
    return PlexInviteeGateway(client_identifier=CLIENT_ID, plex_tv_url=sim.plex_tv_url, timeout=2)


@pytest.fixture
def calls(sim: PlexSimulator) -> Calls:
    """The (method, host, path) of every request the simulator saw so far."""

    def made() -> list[tuple[str, str, str]]:
        return [(e["method"], e["host"], e["path"]) for e in sim.request_log()]

    return made
