"""Connecting Plex during setup by signing in with Plex (the PIN flow) instead of a token."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from guestlist.core.audit import Actor
from guestlist.core.errors import Gone, NotFound, PlexRefused, PlexUnavailableError
from guestlist.plex import setup_signin
from guestlist.plex.models import Library, MediaServer, PlexPin
from guestlist.plexsim import PlexSimulator
from tests.conftest import MACHINE_ID, OWNER_PLEX_TOKEN, SERVER_NAME

pytestmark = pytest.mark.django_db


def signed_in(sim: PlexSimulator, account: str = "plexowner") -> PlexPin:
    started = setup_signin.start(forward_url="http://testserver/setup/plex/servers")
    sim.approve_pin(started.pin.plex_pin_id, account)
    return started.pin


def test_it_starts_a_pin_and_points_at_plexs_sign_in_page(sim: PlexSimulator) -> None:
    started = setup_signin.start(forward_url="http://testserver/setup/plex/servers")

    assert started.pin.purpose == PlexPin.Purpose.SETUP
    assert started.auth_url.startswith(f"{sim.plex_tv_url}/auth#?")
    assert f"code={started.pin.code}" in started.auth_url
    assert "forwardUrl=http%3A%2F%2Ftestserver%2Fsetup%2Fplex%2Fservers" in started.auth_url
    assert started.pin.token_encrypted == ""


def test_it_waits_until_plex_says_the_pin_is_signed_in(sim: PlexSimulator) -> None:
    started = setup_signin.start()

    assert setup_signin.poll(started.pin.public_id).waiting


def test_once_signed_in_it_lists_the_servers_the_account_owns(sim: PlexSimulator) -> None:
    pin = signed_in(sim)

    result = setup_signin.poll(pin.public_id)

    assert not result.waiting
    assert result.account is not None and result.account.username == "plexowner"
    assert [(s.name, s.client_identifier) for s in result.servers] == [(SERVER_NAME, MACHINE_ID)]
    pin.refresh_from_db()
    assert pin.state == PlexPin.State.SIGNED_IN
    assert pin.token_encrypted and OWNER_PLEX_TOKEN not in pin.token_encrypted


def test_servers_only_shared_with_the_account_are_not_offered(sim: PlexSimulator) -> None:
    sim.share(MACHINE_ID, sim.account("guest"), accepted=True)
    pin = signed_in(sim, "guest")

    assert setup_signin.poll(pin.public_id).servers == []


def test_connecting_stores_the_server_with_its_libraries_and_wipes_the_sign_in_token(
    sim: PlexSimulator, owner: User
) -> None:
    pin = signed_in(sim)

    outcome = setup_signin.connect(pin.public_id, MACHINE_ID, actor=Actor.admin(owner))

    server = MediaServer.objects.get()
    assert outcome.server == server and outcome.created
    assert server.base_url == sim.pms_url
    assert server.owner_username == "plexowner"
    assert Library.objects.filter(server=server).count() == 4
    pin.refresh_from_db()
    assert pin.state == PlexPin.State.USED
    assert pin.token_encrypted == ""
    with pytest.raises(Gone):
        setup_signin.poll(pin.public_id)


def test_an_address_typed_by_the_owner_wins_over_plexs(sim: PlexSimulator, owner: User) -> None:
    pin = signed_in(sim)

    setup_signin.connect(pin.public_id, MACHINE_ID, url=sim.pms_url + "/", actor=Actor.admin(owner))

    assert MediaServer.objects.get().base_url == sim.pms_url


def test_an_unreachable_server_says_which_addresses_were_tried(sim: PlexSimulator, owner: User) -> None:
    pin = signed_in(sim)

    with pytest.raises(PlexUnavailableError) as raised:
        setup_signin.connect(pin.public_id, MACHINE_ID, url="http://127.0.0.1:9", actor=Actor.admin(owner))

    assert raised.value.code == "server_unreachable"
    assert "http://127.0.0.1:9" in raised.value.message
    assert not MediaServer.objects.exists()
    pin.refresh_from_db()
    assert pin.state == PlexPin.State.SIGNED_IN  # they may try another address


def test_it_refuses_a_server_the_account_does_not_own(sim: PlexSimulator, owner: User) -> None:
    pin = signed_in(sim)

    with pytest.raises(NotFound):
        setup_signin.connect(pin.public_id, "someone-elses-machine", actor=Actor.admin(owner))


def test_connecting_before_the_sign_in_finished_is_refused(sim: PlexSimulator, owner: User) -> None:
    started = setup_signin.start()

    with pytest.raises(Gone) as raised:
        setup_signin.connect(started.pin.public_id, MACHINE_ID, actor=Actor.admin(owner))

    assert raised.value.code == "pin_waiting"


def test_an_expired_sign_in_is_refused_and_its_token_wiped(sim: PlexSimulator) -> None:
    pin = signed_in(sim)
    setup_signin.poll(pin.public_id)

    later = timezone.now() + timedelta(minutes=16)
    with pytest.raises(Gone):
        setup_signin.poll(pin.public_id, now=later)

    pin.refresh_from_db()
    assert pin.state == PlexPin.State.EXPIRED
    assert pin.token_encrypted == ""


def test_stale_setup_tokens_are_wiped_when_a_new_sign_in_starts(sim: PlexSimulator) -> None:
    pin = signed_in(sim)
    setup_signin.poll(pin.public_id)
    PlexPin.objects.filter(pk=pin.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    setup_signin.start()

    pin.refresh_from_db()
    assert pin.token_encrypted == ""


def test_an_unknown_sign_in_is_not_found(sim: PlexSimulator) -> None:
    with pytest.raises(NotFound):
        setup_signin.poll("nope")


def test_a_redeemers_pin_cannot_be_used_for_setup(sim: PlexSimulator) -> None:
    started = setup_signin.start()
    PlexPin.objects.filter(pk=started.pin.pk).update(purpose=PlexPin.Purpose.REDEEM)

    with pytest.raises(NotFound):
        setup_signin.poll(started.pin.public_id)


def test_plex_refusing_the_pin_is_reported(sim: PlexSimulator) -> None:
    sim.inject_fault("POST", "/api/v2/pins", status=400, body="<Response code='400' status='Bad PIN request'/>")

    with pytest.raises(PlexRefused):
        setup_signin.start()
