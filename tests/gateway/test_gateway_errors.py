"""Every way Plex says no, mapped to the gateway's typed errors."""

from __future__ import annotations

import socket

import pytest

from guestlist.plex.errors import (
    PlexError,
    PlexNotFound,
    PlexRateLimited,
    PlexTokenRejected,
    PlexUnavailable,
    PlexUnexpected,
)
from guestlist.plex.gateway import PlexGateway, ShareSettings
from guestlist.plexsim import PlexSimulator
from guestlist.plexsim.state import Account, Server

CLIENT_ID = "guestlist-test-install"
MACHINE = "abc123machine"


def test_a_401_with_code_1001_is_the_owners_token_rejected(sim: PlexSimulator, gateway: PlexGateway) -> None:
    sim.inject_fault("GET", "/api/v2/user", status=401)

    with pytest.raises(PlexTokenRejected) as raised:
        gateway.owner_account()

    assert raised.value.whose == "owner"
    assert raised.value.transient is True
    assert raised.value.status == 401
    assert raised.value.plex_text == "User could not be authenticated"


def test_a_422_invalid_token_is_a_rejected_token_too(sim: PlexSimulator, gateway: PlexGateway) -> None:
    sim.inject_fault("POST", "/api/servers/*/shared_servers", status=422)

    with pytest.raises(PlexTokenRejected) as raised:
        gateway.share("bob@example.com", ShareSettings(library_keys=()))

    assert raised.value.plex_text == "Invalid token"


def test_a_token_plex_no_longer_knows_is_rejected(sim: PlexSimulator, owner: Account, server: Server) -> None:
    gateway = PlexGateway("revoked-token", client_identifier=CLIENT_ID, plex_tv_url=sim.plex_tv_url)

    with pytest.raises(PlexTokenRejected):
        gateway.owner_account()


def test_a_429_is_rate_limited_with_plexs_retry_after(sim: PlexSimulator, gateway: PlexGateway) -> None:
    sim.inject_fault("GET", "/api/users/", status=429)

    with pytest.raises(PlexRateLimited) as raised:
        gateway.users()

    assert raised.value.retry_after == 1.0
    assert raised.value.transient is True
    assert raised.value.plex_text == "API rate limit exceeded"


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_server_error_is_unavailable(sim: PlexSimulator, gateway: PlexGateway, status: int) -> None:
    sim.inject_fault("POST", "/api/servers/*/shared_servers", status=status)

    with pytest.raises(PlexUnavailable) as raised:
        gateway.share("bob@example.com", ShareSettings(library_keys=()))

    assert raised.value.status == status


def test_a_plex_that_answers_too_slowly_is_unavailable(sim: PlexSimulator, owner: Account, server: Server) -> None:
    gateway = PlexGateway(
        owner.token,
        client_identifier=CLIENT_ID,
        machine_identifier=MACHINE,
        plex_tv_url=sim.plex_tv_url,
        timeout=0.2,
    )
    sim.inject_fault("GET", "/api/v2/user", latency_ms=1500)
    sim.inject_fault("GET", "/api/users/", latency_ms=1500)

    with pytest.raises(PlexUnavailable):
        gateway.owner_account()
    with pytest.raises(PlexUnavailable):
        gateway.users()


def test_a_plex_nobody_listens_for_is_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    gateway = PlexGateway(
        "some-token",
        client_identifier=CLIENT_ID,
        server_url=closed,
        machine_identifier=MACHINE,
        plex_tv_url=closed,
        timeout=1,
    )

    for operation in (gateway.owner_account, gateway.users, gateway.server_info):
        with pytest.raises(PlexUnavailable):
            operation()


def test_the_pms_refusing_the_token_is_the_owners_token_rejected(sim: PlexSimulator, server: Server) -> None:
    gateway = PlexGateway("not-the-owners", client_identifier=CLIENT_ID, server_url=sim.pms_url)

    with pytest.raises(PlexTokenRejected):
        gateway.server_info()


def test_an_unknown_server_is_not_found(sim: PlexSimulator, owner: Account) -> None:
    gateway = PlexGateway(
        owner.token,
        client_identifier=CLIENT_ID,
        machine_identifier="no-such-server",
        plex_tv_url=sim.plex_tv_url,
    )

    with pytest.raises(PlexNotFound):
        gateway.libraries()


def test_any_other_refusal_is_unexpected_and_carries_plexs_words(sim: PlexSimulator, gateway: PlexGateway) -> None:
    sim.inject_fault(
        "POST",
        "/api/servers/*/shared_servers",
        status=400,
        body='<Response code="400" status="Invalid email address"/>',
    )

    with pytest.raises(PlexUnexpected) as raised:
        gateway.share("not-an-address", ShareSettings(library_keys=()))

    assert raised.value.plex_text == "Invalid email address"
    assert "Invalid email address" in str(raised.value)


def test_an_answer_that_cannot_be_read_is_unexpected(sim: PlexSimulator, gateway: PlexGateway) -> None:
    sim.inject_fault("GET", "/api/v2/user", status=200, body="<user id='1'")

    with pytest.raises(PlexUnexpected):
        gateway.owner_account()


def test_typed_errors_hide_the_exception_they_replace(sim: PlexSimulator, gateway: PlexGateway) -> None:
    sim.inject_fault("GET", "/api/v2/user", status=401)

    with pytest.raises(PlexError) as raised:
        gateway.owner_account()

    assert raised.value.__suppress_context__ is True
    assert raised.value.__cause__ is None
