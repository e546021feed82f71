"""Honest about remote streaming (issue 22 §5): since 2025 a friend streams from outside the
owner's home only if the owner has Plex Pass or the friend pays for Plex's Remote Watch Pass.
The invite and welcome pages say which applies, from the owner's subscription as plex.tv
reports it (read at connecting and at every health check, kept on the server row)."""

from __future__ import annotations

from django.test import Client

from guestlist.plex import services as plex_services
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from tests.invites.test_redeem_email import make_invite
from tests.public.helpers import browser, redeem_by_email

INCLUDED = 'data-remote-streaming="included"'
PAID = 'data-remote-streaming="remote_watch_pass"'


def invite_page(client: Client, code: str, language: str = "en") -> str:
    response = client.get(f"/invite/{code}", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def validate(client: Client, code: str) -> dict[str, object]:
    response = client.post("/api/invites/validate", data={"code": code}, content_type="application/json")
    assert response.status_code == 200
    return dict(response.json())


def test_an_owner_with_plex_pass_is_read_when_connecting_and_the_invite_says_remote_streaming_is_included(
    client: Client, api: Client, server: MediaServer
) -> None:
    assert server.owner_plex_pass is True
    code = make_invite(api)["code"]
    html = invite_page(client, code)
    assert INCLUDED in html
    assert "has Plex Pass, so you can watch from anywhere at no cost" in html
    assert PAID not in html
    assert validate(client, code)["remote_streaming"] == "included"


def test_when_the_owners_plex_pass_lapses_the_next_health_check_tells_friends_they_need_a_remote_watch_pass(
    client: Client, api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    code = make_invite(api)["code"]
    assert INCLUDED in invite_page(client, code)  # now cached

    sim.set_plex_pass("plexowner", False)
    plex_services.check_health(server)
    server.refresh_from_db()
    assert server.owner_plex_pass is False

    html = invite_page(client, code)
    assert PAID in html
    assert "Remote Watch Pass" in html
    assert "inside the owner's home for free" in html
    assert validate(client, code)["remote_streaming"] == "remote_watch_pass"


def test_a_health_check_plex_cannot_answer_keeps_what_was_known(
    client: Client, api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    sim.inject_fault("GET", "/users/account*", status=500, times=10)
    sim.inject_fault("GET", "/api/v2/user*", status=500, times=10)
    plex_services.check_health(server)
    server.refresh_from_db()
    assert server.owner_plex_pass is True


def test_the_invite_page_says_it_in_german(client: Client, api: Client, server: MediaServer) -> None:
    code = make_invite(api)["code"]
    assert "von überall" in invite_page(client, code, "de")
    MediaServer.objects.filter(pk=server.pk).update(owner_plex_pass=False)
    html = invite_page(client, code, "de")
    assert PAID in html
    assert "Remote Watch Pass" in html
    assert "kostenlos" in html


def test_nothing_is_claimed_while_the_subscription_is_unknown(client: Client, api: Client, server: MediaServer) -> None:
    MediaServer.objects.filter(pk=server.pk).update(owner_plex_pass=None)
    code = make_invite(api)["code"]
    html = invite_page(client, code)
    assert "data-remote-streaming" not in html
    assert validate(client, code)["remote_streaming"] is None


def test_the_welcome_page_says_which_applies(api: Client, server: MediaServer) -> None:
    MediaServer.objects.filter(pk=server.pk).update(owner_plex_pass=False)
    invite = make_invite(api)
    client = browser()
    response = redeem_by_email(client, invite["code"])
    assert response.status_code == 303
    html = client.get(response["Location"]).content.decode()
    assert PAID in html
    german = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Remote Watch Pass" in german
    assert "nur im Zuhause" in german


def test_the_simulator_sends_the_subscription_as_plex_tv_does(sim: PlexSimulator, server: MediaServer) -> None:
    owner = plex_services.gateway_for(server).owner_account()
    assert owner.has_plex_pass is True
    sim.set_plex_pass("plexowner", False)
    assert plex_services.gateway_for(server).owner_account().has_plex_pass is False
