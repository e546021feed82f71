"""The setup wizard's Plex steps: sign in with Plex and pick a server, or URL + token; then
the defaults. Re-runnable from Settings."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import User
from django.test import Client

from guestlist.accounts.setup import issue_setup_token
from guestlist.core.models import SiteSettings
from guestlist.plex.models import Library, MediaServer, PlexPin
from guestlist.plexsim import PlexSimulator
from tests.conftest import MACHINE_ID, OWNER_PLEX_TOKEN, PASSWORD, SERVER_NAME
from tests.dashboard.conftest import htmx

pytestmark = pytest.mark.django_db


def start_sign_in(client: Client) -> tuple[PlexPin, dict[str, list[str]]]:
    response = client.post("/setup/plex/signin")
    assert response.status_code == 302
    location = response["Location"]
    pin = PlexPin.objects.get(purpose=PlexPin.Purpose.SETUP, state=PlexPin.State.WAITING)
    return pin, parse_qs(urlsplit(location).fragment.lstrip("?"))


def test_creating_the_owner_leads_to_the_plex_step(client: Client, sim: PlexSimulator) -> None:
    token = issue_setup_token()

    response = client.post(
        "/setup", {"token": token, "username": "ada", "email": "", "password": PASSWORD, "confirm": PASSWORD}
    )

    assert response["Location"] == "/setup/plex"
    page = client.get("/setup/plex").content.decode()
    assert "Sign in with Plex" in page and "Plex token" in page


def test_signing_in_with_plex_sends_the_owner_to_plex_and_back(admin_client: Client, sim: PlexSimulator) -> None:
    pin, params = start_sign_in(admin_client)

    assert params["code"] == [pin.code]
    assert params["forwardUrl"] == ["http://testserver/setup/plex/servers"]
    assert admin_client.session["guestlist_plex_setup_pin"] == pin.public_id


def test_while_plex_waits_the_page_polls_and_then_lists_the_owned_servers(
    admin_client: Client, sim: PlexSimulator
) -> None:
    pin, _params = start_sign_in(admin_client)

    waiting = admin_client.get("/setup/plex/servers").content.decode()
    assert 'hx-trigger="every 2s"' in waiting
    poll = admin_client.get("/setup/plex/servers", headers=htmx("plex-wait"))
    assert poll.status_code == 200 and "<html" not in poll.content.decode()

    sim.approve_pin(pin.plex_pin_id, "plexowner")
    done = admin_client.get("/setup/plex/servers", headers=htmx("plex-wait"))
    assert done.status_code == 204 and done["HX-Refresh"] == "true"

    page = admin_client.get("/setup/plex/servers").content.decode()
    assert "Signed in to Plex as <strong>plexowner</strong>." in page
    assert f"Connect {SERVER_NAME}" in page
    assert f'value="{MACHINE_ID}"' in page
    assert OWNER_PLEX_TOKEN not in page


def test_picking_the_server_connects_it_and_moves_on_to_the_defaults(
    admin_client: Client, sim: PlexSimulator, owner: User
) -> None:
    pin, _params = start_sign_in(admin_client)
    sim.approve_pin(pin.plex_pin_id, "plexowner")

    response = admin_client.post("/setup/plex/servers", {"machine_identifier": MACHINE_ID, "url": ""})

    assert response["Location"] == "/setup/defaults"
    server = MediaServer.objects.get()
    assert server.base_url == sim.pms_url
    assert "guestlist_plex_setup_pin" not in admin_client.session
    pin.refresh_from_db()
    assert pin.token_encrypted == "" and pin.state == PlexPin.State.USED


def test_an_unreachable_address_is_explained_on_the_servers_page(
    admin_client: Client, sim: PlexSimulator, owner: User
) -> None:
    pin, _params = start_sign_in(admin_client)
    sim.approve_pin(pin.plex_pin_id, "plexowner")

    response = admin_client.post("/setup/plex/servers", {"machine_identifier": MACHINE_ID, "url": "http://127.0.0.1:9"})

    assert response.status_code == 200
    assert "Guestlist could not reach the server at any of its addresses" in response.content.decode()
    assert not MediaServer.objects.exists()


def test_the_servers_page_without_a_sign_in_starts_over(admin_client: Client, owner: User) -> None:
    response = admin_client.get("/setup/plex/servers")

    assert response["Location"] == "/setup/plex"


def test_an_expired_sign_in_starts_over_with_a_message(admin_client: Client, sim: PlexSimulator) -> None:
    pin, _params = start_sign_in(admin_client)
    PlexPin.objects.filter(pk=pin.pk).update(state=PlexPin.State.EXPIRED)

    response = admin_client.get("/setup/plex/servers", follow=True)

    assert response.redirect_chain[-1][0] == "/setup/plex"
    assert "The Plex sign-in expired; start again." in response.content.decode()


def test_a_sign_in_from_another_browser_cannot_be_finished_here(
    admin_client: Client, sim: PlexSimulator, owner: User
) -> None:
    pin, _params = start_sign_in(admin_client)
    sim.approve_pin(pin.plex_pin_id, "plexowner")
    other = Client()
    other.force_login(owner)

    response = other.post("/setup/plex/servers", {"machine_identifier": MACHINE_ID, "url": ""})

    assert response["Location"] == "/setup/plex"
    assert not MediaServer.objects.exists()


def test_connecting_by_url_and_token(admin_client: Client, sim: PlexSimulator, owner: User) -> None:
    response = admin_client.post("/setup/plex", {"url": sim.pms_url, "token": OWNER_PLEX_TOKEN, "name": "Living room"})

    assert response["Location"] == "/setup/defaults"
    assert MediaServer.objects.get().name == "Living room"


def test_a_wrong_token_is_explained_and_never_echoed(admin_client: Client, sim: PlexSimulator, owner: User) -> None:
    response = admin_client.post("/setup/plex", {"url": sim.pms_url, "token": "wrong-token-123456"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Plex rejected the server owner&#x27;s token" in page
    assert "wrong-token-123456" not in page
    assert not MediaServer.objects.exists()


def test_the_defaults_step_finishes_setup(admin_client: Client, server: MediaServer) -> None:
    response = admin_client.post(
        "/setup/defaults",
        {
            "signup_enabled": "on",
            "default_usage_limit": "2",
            "default_libraries": [f"{server.pk}:1"],
        },
        follow=True,
    )

    assert response.redirect_chain[-1][0] == "/"
    assert "Guestlist is ready." in response.content.decode()
    site = SiteSettings.load()
    assert site.signup_enabled and not site.email_redemption_enabled
    assert site.default_usage_limit == 2
    assert list(Library.objects.filter(is_default=True).values_list("key", flat=True)) == [1]


def test_the_defaults_step_needs_a_server_first(admin_client: Client, owner: User) -> None:
    assert admin_client.get("/setup/defaults")["Location"] == "/setup/plex"


def test_setup_can_be_run_again_to_reconnect(admin_client: Client, sim: PlexSimulator, server: MediaServer) -> None:
    page = admin_client.get("/setup/plex").content.decode()
    assert "Connected now: Guestlist Test." in page

    admin_client.post("/setup/plex", {"url": sim.pms_url + "/", "token": OWNER_PLEX_TOKEN})

    assert MediaServer.objects.count() == 1
