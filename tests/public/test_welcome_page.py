"""The page after redeeming: reached by a signed link, never by a guessed one."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.core import signing
from django.test import Client
from django.utils import timezone

from guestlist.core.models import SiteSettings
from guestlist.invites import welcome
from guestlist.members.models import Member
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from tests.invites.test_redeem_email import make_invite
from tests.public.helpers import browser, redeem_by_email


def redeemed(api: Client, **fields: object) -> tuple[Client, str]:
    invite = make_invite(api, **fields)
    client = browser()
    response = redeem_by_email(client, invite["code"])
    assert response.status_code == 303
    return client, str(response["Location"])


def test_a_forged_or_edited_link_shows_nothing(client: Client, api: Client, server: MediaServer) -> None:
    _, link = redeemed(api)
    member = Member.objects.get()
    token = link.removeprefix("/welcome/")
    assert client.get(f"/welcome/{token[:-2]}xx").status_code == 404
    assert client.get("/welcome/1").status_code == 404
    other_id = signing.dumps({"m": member.pk, "v": "plex"}, salt="another purpose", compress=True)
    assert client.get(f"/welcome/{other_id}").status_code == 404
    assert client.get(link).status_code == 200


def test_a_link_for_a_member_that_is_gone_shows_nothing(client: Client, api: Client, server: MediaServer) -> None:
    redeemed(api)
    forged = welcome.token_for(Member(pk=999_999), via=welcome.VIA_EMAIL)
    assert client.get(f"/welcome/{forged}").status_code == 404


def test_an_old_link_has_expired(client: Client, api: Client, server: MediaServer) -> None:
    _, link = redeemed(api)
    with time_machine.travel(timezone.now() + welcome.LIFETIME + timedelta(minutes=1)):
        response = client.get(link)
    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()
    assert "guest@example.com" not in response.content.decode()


def test_the_owners_text_is_markdown_made_safe(client: Client, api: Client, server: MediaServer) -> None:
    SiteSettings.objects.filter(pk=1).update(
        welcome_markdown="## House rules\n\n**No sharing**, please.\n\n<script>alert(1)</script>"
        '<img src="x" onerror="alert(2)">'
    )
    _, link = redeemed(api)
    html = client.get(link).content.decode()
    assert "<h2>House rules</h2>" in html
    assert "<strong>No sharing</strong>" in html
    assert "alert(1)</script>" not in html
    assert "onerror" not in html
    assert "Be kind to the server" not in html


def test_without_owner_text_a_friendly_default_is_shown(client: Client, api: Client, server: MediaServer) -> None:
    _, link = redeemed(api)
    html = client.get(link).content.decode()
    assert "Be kind to the server" in html
    assert "app.plex.tv" in html
    assert "plex.tv/link" in html


def test_it_shows_when_access_ends_or_that_it_does_not(client: Client, api: Client, server: MediaServer) -> None:
    _, link = redeemed(api, user_expires_in_days=30)
    member = Member.objects.get()
    assert member.expires_at is not None
    html = client.get(link).content.decode()
    assert f'datetime="{member.expires_at.isoformat()}"' in html
    Member.objects.update(expires_at=None)
    assert "Does not expire" in client.get(link).content.decode()


def test_after_removal_the_page_says_access_has_ended(client: Client, api: Client, server: MediaServer) -> None:
    _, link = redeemed(api)
    assert api.delete(f"/api/users/{Member.objects.get().pk}").status_code == 204
    html = client.get(link).content.decode()
    assert 'data-state="ended"' in html
    assert "This access has ended" in html


def test_the_email_path_never_greets_by_a_plex_name(
    client: Client, api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    _, link = redeemed(api)
    Member.objects.update(username="secret-plex-name")
    html = client.get(link).content.decode()
    assert "secret-plex-name" not in html
    assert "Welcome!" in html


def test_plex_being_down_keeps_the_redemption_and_says_so(
    client: Client, api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    invite = make_invite(api)
    client = browser()
    # Plex answers the access check, then fails the share itself.
    sim.inject_fault("POST", "/api/v2/shared_servers*", status=503, times=None)
    sim.inject_fault("POST", "/api/servers/*/shared_servers*", status=503, times=None)
    response = redeem_by_email(client, invite["code"])
    sim.clear_faults()
    assert response.status_code == 303, response.content
    html = client.get(response["Location"]).content.decode()
    assert 'data-state="saved"' in html
    assert "Your invite is saved and finishes on its own" in html


def test_the_welcome_page_speaks_german(client: Client, api: Client, server: MediaServer) -> None:
    _, link = redeemed(api)
    html = client.get(link, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Öffne die E-Mail von Plex" in html
    assert "Loslegen" in html
