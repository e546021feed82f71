"""The session that sends plex.tv's traffic to a simulator instead."""

from __future__ import annotations

import requests

from guestlist.plex.transport import auth_page_base, build_session
from guestlist.plexsim import PlexSimulator
from guestlist.plexsim.state import Account


def test_it_sends_plex_tv_requests_to_the_simulator_under_their_own_names(sim: PlexSimulator, owner: Account) -> None:
    session = build_session(sim.plex_tv_url)

    response = session.get(
        "https://clients.plex.tv/api/v2/user?a=1",
        headers={"X-Plex-Token": owner.token},
        timeout=5,
    )

    assert response.status_code == 200
    assert response.url == "https://clients.plex.tv/api/v2/user?a=1"
    entry = sim.request_log()[-1]
    assert (entry["host"], entry["path"], entry["query"]) == (
        "clients.plex.tv",
        "/api/v2/user",
        {"a": "1"},
    )
    assert session.trust_env is False


def test_it_leaves_other_hosts_alone(sim: PlexSimulator, server: object) -> None:
    session = build_session(sim.plex_tv_url)

    response = session.get(f"{sim.pms_url}/identity", timeout=5)

    assert response.status_code == 200
    assert sim.request_log()[-1]["host"] == "pms"


def test_without_a_simulator_it_is_a_plain_session() -> None:
    session = build_session(None)

    assert isinstance(session, requests.Session)
    assert session.trust_env is True
    assert type(session.get_adapter("https://plex.tv/api")) is requests.adapters.HTTPAdapter


def test_the_sign_in_page_follows_the_simulator() -> None:
    assert auth_page_base(None) == "https://app.plex.tv/auth"
    assert auth_page_base("http://127.0.0.1:9/") == "http://127.0.0.1:9/auth"
