"""No token, the owner's or a user's, ever reaches a log line or an error message."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

import pytest

from guestlist.plex.errors import PlexError
from guestlist.plex.gateway import PlexGateway, PlexInviteeGateway, ShareSettings
from guestlist.plex.redaction import install_log_filter, redact, remember_secret
from guestlist.plexsim import PlexSimulator
from guestlist.plexsim.state import Account

MACHINE = "abc123machine"


def test_the_token_never_appears_in_logs_or_errors(
    sim: PlexSimulator,
    gateway: PlexGateway,
    invitee: PlexInviteeGateway,
    owner: Account,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    alice = sim.add_account("alice")
    pin = invitee.create_pin()
    user_token = sim.approve_pin(pin.id, alice)
    failures: list[str] = []

    def attempt(action: Callable[[], object]) -> None:
        try:
            action()
        except PlexError as error:
            failures.append(f"{error!s} {error.plex_text} {error!r}")

    gateway.owner_account()
    gateway.libraries()
    gateway.share("alice", ShareSettings(library_keys=(1,)))
    invitee.check_pin(pin.id)
    invitee.account_for_token(user_token)
    invitee.accept_invite(user_token, owner_account_id=owner.id, machine_identifier=MACHINE, delay=0.01)
    gateway.users()
    # Failures whose bodies echo the tokens back, as a confused proxy might.
    for token in (owner.token, user_token):
        sim.inject_fault(
            "*",
            "*",
            status=400,
            body=f'<Response status="bad X-Plex-Token={token} authToken={token}"/>',
        )
        attempt(gateway.owner_account)
        sim.inject_fault("*", "*", status=401, body=f"token {token} is revoked")
        attempt(functools.partial(invitee.account_for_token, token))
    sim.inject_fault("GET", "/api/users/", latency_ms=3000)
    attempt(gateway.users)

    assert len(failures) == 5
    everything = caplog.text + "\n".join(failures)
    assert owner.token not in everything
    assert user_token not in everything
    assert "urllib3" in {record.name.split(".")[0] for record in caplog.records}


def test_the_filter_scrubs_tokens_in_urls_and_bodies(
    caplog: pytest.LogCaptureFixture,
) -> None:
    install_log_filter()
    caplog.set_level(logging.DEBUG)

    logging.getLogger("urllib3.connectionpool").debug('"GET /api/v2/user?X-Plex-Token=%s HTTP/1.1" 200', "abcDEF123456")
    logging.getLogger("plexapi").debug('<user authToken="%s"/>', "zyxWVU987654")

    assert "abcDEF123456" not in caplog.text
    assert "zyxWVU987654" not in caplog.text
    assert "X-Plex-Token=<redacted>" in caplog.text


def test_a_remembered_token_is_scrubbed_anywhere() -> None:
    remember_secret("plain-secret-value")

    assert redact("oops plain-secret-value leaked") == "oops <redacted> leaked"
