"""The fixed cast every test uses.

- owner: the first admin (Django superuser), who connected the Plex server;
- admin2: a second admin;
- outsider: a signed-in account that is not an admin and must be refused;
- guest: a Plex account (in the simulator) that redeems invites.

Plex is the simulator over real HTTP on 127.0.0.1: one per test session, reset per test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

os.environ["PLEXAPI_CONFIG_PATH"] = os.devnull

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import translation

from guestlist.accounts import services as accounts
from guestlist.core.audit import Actor
from guestlist.plex import gateway as plex_gateway
from guestlist.plex import services as plex_services
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from guestlist.plexsim.state import Account

PASSWORD = "correct horse battery staple"
OWNER_PLEX_TOKEN = "owner-plex-token-0123456789"
SERVER_NAME = "Guestlist Test"
MACHINE_ID = "guestlist-test-machine"


@pytest.fixture(scope="session")
def plexsim() -> Iterator[PlexSimulator]:
    simulator = PlexSimulator().start()
    yield simulator
    simulator.stop()


@pytest.fixture
def sim(plexsim: PlexSimulator, settings: Any) -> Iterator[PlexSimulator]:
    """The simulator, empty but for the owner's Plex account and server, and a few guests."""
    plexsim.reset()
    plex_gateway.forget_section_maps()
    owner = plexsim.add_account("plexowner", "owner@example.com", plex_pass=True, token=OWNER_PLEX_TOKEN)
    plexsim.add_server(owner, SERVER_NAME, machine_identifier=MACHINE_ID)
    for name in ("guest", "alice", "bob", "carol"):
        plexsim.add_account(name, f"{name}@example.com")
    settings.PLEX_TV_URL = plexsim.plex_tv_url
    yield plexsim
    plexsim.clear_faults()


@pytest.fixture(autouse=True)
def settings_read_fresh(settings: Any) -> None:
    """Tests change settings rows directly; production caches them for a couple of seconds."""
    settings.SITE_SETTINGS_CACHE_SECONDS = 0
    settings.PIN_POLL_MIN_SECONDS = 0


@pytest.fixture(autouse=True)
def code_misses_forgotten() -> None:
    """The invite pages count unknown codes per address in memory; each test starts afresh."""
    from guestlist.invites.views import CODE_MISSES

    CODE_MISSES.clear()


@pytest.fixture(autouse=True)
def content_options_forgotten() -> None:
    """A server's labels and ratings are kept in memory for minutes; each test reads its own."""
    from guestlist.plex import content_options

    content_options.forget()


@pytest.fixture(autouse=True)
def language_reset() -> Iterator[None]:
    """A request in German leaves German active in the test's thread (Django's locale middleware
    activates it and nothing resets it); the next test's job-made mails would then come out in
    German. Every test starts from the default language, as the job runner always does."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def kept_counts_forgotten() -> None:
    """Tab counts and statistics are kept in memory until what they count changes; each test counts its own."""
    from guestlist.invites import kept_counts

    kept_counts.forget()


@pytest.fixture
def frozen_minute() -> Iterator[None]:
    """Keeps the clock inside one rate-limit window, so counting tests cannot straddle two."""
    import time_machine

    with time_machine.travel("2026-11-22 12:00:05+00:00", tick=False):
        yield


@pytest.fixture
def guest(sim: PlexSimulator) -> Account:
    return sim.account("guest")


@pytest.fixture
def owner(db: None) -> User:
    return accounts.create_admin("owner", PASSWORD, email="owner@example.com")


@pytest.fixture
def admin2(owner: User) -> User:
    return accounts.create_admin("second", PASSWORD)


@pytest.fixture
def outsider(db: None) -> User:
    return User.objects.create_user("outsider", password=PASSWORD)


@pytest.fixture
def server(sim: PlexSimulator, owner: User) -> MediaServer:
    outcome = plex_services.connect_server(sim.pms_url, OWNER_PLEX_TOKEN, actor=Actor.admin(owner))
    return outcome.server


@pytest.fixture
def api_key(owner: User) -> str:
    return accounts.create_api_key("tests", created_by=owner)


@pytest.fixture
def api(api_key: str) -> Client:
    """A client that calls the admin API with an API key."""
    return Client(HTTP_X_API_KEY=api_key)


@pytest.fixture
def owner_client(owner: User) -> Client:
    client = Client()
    client.force_login(owner)
    return client


@pytest.fixture
def csrf_client(owner: User) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    return client
