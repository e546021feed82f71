"""The simulator's own surface: faults, request log, state files, /auth, serve()."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from plexapi.exceptions import BadRequest

from guestlist.plexsim import PlexSimulator, SimState, serve
from guestlist.plexsim.state import Account, Server


def test_an_injected_fault_answers_the_given_status_the_given_number_of_times(sim: PlexSimulator, account: Any) -> None:
    sim.inject_fault("GET", "/api/users/", status=500, times=2)

    for _ in range(2):
        with pytest.raises(BadRequest) as raised:
            account.users()
        assert "(500)" in str(raised.value)

    assert account.users() == []


def test_a_fault_without_a_count_stays(sim: PlexSimulator, owner: Account) -> None:
    sim.inject_fault("GET", "/api/v2/*", status=429, times=None)

    for _ in range(3):
        response = requests.get(
            f"{sim.plex_tv_url}/api/v2/user",
            headers={"X-Plex-Token": owner.token},
            timeout=5,
        )
        assert response.status_code == 429
        assert 'code="1003"' in response.text

    sim.clear_faults()
    assert (
        requests.get(
            f"{sim.plex_tv_url}/api/v2/user",
            headers={"X-Plex-Token": owner.token},
            timeout=5,
        ).status_code
        == 200
    )


def test_a_latency_fault_slows_a_request_without_failing_it(sim: PlexSimulator, owner: Account) -> None:
    sim.inject_fault("GET", "/api/v2/user", latency_ms=300)
    started = time.monotonic()

    response = requests.get(
        f"{sim.plex_tv_url}/api/v2/user",
        headers={"X-Plex-Token": owner.token},
        timeout=5,
    )

    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3


def test_a_latency_longer_than_the_clients_timeout_times_it_out(sim: PlexSimulator, owner: Account) -> None:
    sim.inject_fault("GET", "/api/v2/user", latency_ms=2000)

    with pytest.raises(requests.Timeout):
        requests.get(
            f"{sim.plex_tv_url}/api/v2/user",
            headers={"X-Plex-Token": owner.token},
            timeout=0.2,
        )


def test_faults_can_be_set_over_http_with_a_glob_and_a_body(sim: PlexSimulator, owner: Account, server: Server) -> None:
    created = requests.post(
        f"{sim.plex_tv_url}/__sim/faults",
        json={
            "method": "POST",
            "path": "/api/servers/*/shared_servers",
            "status": 503,
            "latency_ms": 0,
            "times": 1,
            "body": "<html>down</html>",
        },
        timeout=5,
    )
    assert created.status_code == 200

    response = requests.post(
        f"{sim.plex_tv_url}/api/servers/abc123machine/shared_servers",
        headers={"X-Plex-Token": owner.token},
        json={"shared_server": {"invited_email": "x@example.com"}},
        timeout=5,
    )

    assert (response.status_code, response.text) == (503, "<html>down</html>")
    assert requests.get(f"{sim.plex_tv_url}/__sim/faults", timeout=5).json() == []
    assert requests.delete(f"{sim.plex_tv_url}/__sim/faults", timeout=5).ok


def test_the_request_log_names_the_account_but_never_the_token(sim: PlexSimulator, owner: Account) -> None:
    requests.get(
        f"{sim.plex_tv_url}/api/v2/user?X-Plex-Token={owner.token}&x=1",
        headers={"X-Forwarded-Host": "clients.plex.tv", "X-Plex-Product": "Guestlist"},
        timeout=5,
    )

    [entry] = requests.get(f"{sim.plex_tv_url}/__sim/requests", timeout=5).json()
    assert entry["method"] == "GET"
    assert entry["host"] == "clients.plex.tv"
    assert entry["path"] == "/api/v2/user"
    assert entry["query"] == {"x": "1"}
    assert entry["account"] == "owner"
    assert entry["headers"]["X-Plex-Product"] == "Guestlist"
    assert entry["status"] == 200
    assert owner.token not in json.dumps(entry)

    requests.delete(f"{sim.plex_tv_url}/__sim/requests", timeout=5)
    assert sim.request_log() == []


def test_the_virtual_host_can_come_from_a_path_prefix(sim: PlexSimulator, owner: Account) -> None:
    response = requests.get(
        f"{sim.plex_tv_url}/clients.plex.tv/api/v2/user",
        headers={"X-Plex-Token": owner.token},
        timeout=5,
    )

    assert response.status_code == 200
    assert sim.request_log()[-1]["host"] == "clients.plex.tv"


def test_the_state_survives_a_save_and_a_load(sim: PlexSimulator, account: Any, server: Server, tmp_path: Path) -> None:
    sim.add_account("bob")
    account.inviteFriend("bob", server.machine_identifier, sections=["Movies"])
    path = tmp_path / "state.json"

    sim.save(path)
    loaded = SimState.load(path)

    assert loaded.to_json() == sim.state.to_json()
    with PlexSimulator(loaded) as again:
        assert [s.library_ids for s in again.shares_of("abc123machine")] == [[9001]]


def test_reset_goes_back_to_the_state_at_start(sim: PlexSimulator, owner: Account) -> None:
    sim.add_account("bob")

    requests.post(f"{sim.plex_tv_url}/__sim/reset", timeout=5)

    assert sim.state.accounts == []


def test_the_auth_page_lists_accounts_as_named_buttons(sim: PlexSimulator, owner: Account) -> None:
    sim.add_account("alice")

    page = requests.get(f"{sim.plex_tv_url}/auth", timeout=5).text

    assert re.search(r'<button type="button" data-account="alice">.*alice', page)
    assert 'alt=""' in page
    assert "https://" not in page


def test_the_auth_page_approves_the_pin_it_was_opened_for(
    sim: PlexSimulator,
) -> None:
    alice = sim.add_account("alice")
    pin = requests.post(
        f"{sim.plex_tv_url}/api/v2/pins?strong=true",
        headers={"X-Plex-Client-Identifier": "client-9", "Accept": "application/json"},
        timeout=5,
    ).json()

    approved = requests.post(
        f"{sim.plex_tv_url}/__sim/auth/approve",
        json={"code": pin["code"], "clientID": "client-9", "account": "alice"},
        timeout=5,
    )
    polled = requests.get(
        f"{sim.plex_tv_url}/api/v2/pins/{pin['id']}",
        headers={"X-Plex-Client-Identifier": "client-9", "Accept": "application/json"},
        timeout=5,
    ).json()

    assert approved.status_code == 200
    assert polled["authToken"] in sim.account(alice).tokens


def test_the_auth_page_will_not_approve_a_pin_of_another_client(
    sim: PlexSimulator,
) -> None:
    sim.add_account("alice")
    pin = requests.post(
        f"{sim.plex_tv_url}/api/v2/pins",
        headers={"X-Plex-Client-Identifier": "client-9", "Accept": "application/json"},
        timeout=5,
    ).json()

    refused = requests.post(
        f"{sim.plex_tv_url}/__sim/auth/approve",
        json={"code": pin["code"], "clientID": "other", "account": "alice"},
        timeout=5,
    )

    assert refused.status_code == 404


def test_avatars_are_served_by_the_simulator(sim: PlexSimulator) -> None:
    response = requests.get(f"{sim.plex_tv_url}/__sim/avatars/alice.svg", timeout=5)

    assert response.headers["Content-Type"] == "image/svg+xml"
    assert response.text.startswith("<svg")


def test_the_demo_seed_has_an_owner_a_server_and_twelve_friends(
    sim: PlexSimulator,
) -> None:
    owner = sim.seed_demo()
    state = sim.state

    assert (owner.username, owner.token, owner.plex_pass) == (
        "demo-owner",
        "demo-owner-token",
        True,
    )
    [server] = state.servers
    assert server.name == "Guestlist Demo"
    assert [(lib.title, lib.type) for lib in server.libraries] == [
        ("Movies", "movie"),
        ("TV Shows", "show"),
        ("Music", "artist"),
        ("Photos", "photo"),
    ]
    friends = [a for a in state.accounts if a.id != owner.id]
    assert len(friends) == 12
    assert all(a.thumb.startswith("/__sim/avatars/") for a in friends)


def test_a_pending_invite_can_be_made_to_show_up_late(sim: PlexSimulator, account: Any, server: Server) -> None:
    sim.configure(pending_visible_after_polls=2)
    bob = sim.add_account("bob")
    account.inviteFriend("bob", server.machine_identifier)
    url = f"{sim.plex_tv_url}/api/v2/shared_servers/invites/received/pending"
    headers = {"X-Plex-Token": bob.token}

    seen = [len(requests.get(url, headers=headers, timeout=5).json()) for _ in range(3)]

    assert seen == [0, 0, 1]


def test_an_unverified_email_cannot_accept(sim: PlexSimulator, account: Any, server: Server) -> None:
    bob = sim.add_account("bob", email_verified=False)
    account.inviteFriend("bob", server.machine_identifier)
    share = sim.shares_of(server)[0]

    response = requests.post(
        f"{sim.plex_tv_url}/api/v2/shared_servers/{share.id}/accept",
        headers={"X-Plex-Token": bob.token},
        timeout=5,
    )

    assert response.status_code == 400
    assert "verify your email" in response.json()["errors"][0]["message"]


def test_it_copes_with_two_hundred_concurrent_requests(sim: PlexSimulator, owner: Account, server: Server) -> None:
    def invite(number: int) -> int:
        return requests.post(
            f"{sim.plex_tv_url}/api/servers/abc123machine/shared_servers",
            headers={"X-Plex-Token": owner.token},
            json={"shared_server": {"invited_email": f"guest{number}@example.com"}},
            timeout=10,
        ).status_code

    sim.configure(max_shares_per_server=None)
    with ThreadPoolExecutor(max_workers=200) as pool:
        statuses = list(pool.map(invite, range(200)))

    assert statuses == [200] * 200
    shares = sim.shares_of(server)
    assert len({s.id for s in shares}) == 200


def free_port_pair() -> int:
    """A port P with P + 1 free too: serve() takes both, and a busy P + 1 (some other
    connection's local port) would make it fail before its SIGTERM handler is in place."""
    for _attempt in range(50):
        with socket.socket() as first, socket.socket() as second:
            first.bind(("127.0.0.1", 0))
            port = int(first.getsockname()[1])
            try:
                second.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
            return port
    raise RuntimeError("no two neighbouring free ports")


def test_serve_runs_until_sigterm_and_saves_its_state_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port_pair()
    state_file = tmp_path / "sim.json"
    answers: list[int] = []

    def use_then_stop() -> None:
        # serve() blocks the main thread; this one plays the user, then sends SIGTERM.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not answers:
            try:
                response = requests.get(
                    f"http://127.0.0.1:{port}/api/v2/user",
                    headers={"X-Plex-Token": "demo-owner-token"},
                    timeout=1,
                )
                answers.append(response.status_code)
            except requests.ConnectionError:
                time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGTERM)

    helper = threading.Thread(target=use_then_stop)
    helper.start()
    serve("127.0.0.1", port, state_file, seed_demo=True)
    helper.join()

    assert answers == [200]
    printed = capsys.readouterr().out
    assert f"plex.tv at http://127.0.0.1:{port}, PMS at http://127.0.0.1:{port + 1}" in printed
    assert SimState.load(state_file).accounts[0].username == "demo-owner"
