from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

# plexapi reads its config file at import time; tests must never pick up a developer's.
os.environ["PLEXAPI_CONFIG_PATH"] = os.devnull

import pytest
import requests

from guestlist.plex.transport import build_session
from guestlist.plexsim import PlexSimulator
from guestlist.plexsim.state import Account, Server

OWNER_AUTH = "owner-token-0001"


@pytest.fixture
def sim() -> Iterator[PlexSimulator]:
    simulator = PlexSimulator().start()
    yield simulator
    simulator.stop()


@pytest.fixture
def owner(sim: PlexSimulator) -> Account:
    return sim.add_account("owner", "owner@example.com", plex_pass=True, token=OWNER_AUTH)


@pytest.fixture
def server(sim: PlexSimulator, owner: Account) -> Server:
    return sim.add_server(owner, "FakePMS", machine_identifier="abc123machine")


@pytest.fixture
def session(sim: PlexSimulator) -> requests.Session:
    return build_session(sim.plex_tv_url)


@pytest.fixture
def account(session: requests.Session, owner: Account, server: Server) -> Any:
    from plexapi.myplex import MyPlexAccount

    return MyPlexAccount(token=OWNER_AUTH, session=session, timeout=5)
