"""What a friend sees at /invite/CODE, /signup?icode=CODE and /join, before pressing anything."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from guestlist.core.models import SiteSettings
from guestlist.invites.models import Invite
from guestlist.plex.libraries import forget_cached_libraries
from guestlist.plex.models import Library, MediaServer, PlexPin
from guestlist.plexsim import PlexSimulator
from tests.conftest import OWNER_PLEX_TOKEN
from tests.invites.test_redeem_email import make_invite
from tests.public.helpers import csrf_token


def page(client: Client, path: str, **headers: Any) -> tuple[int, str]:
    response = client.get(path, **headers)
    return response.status_code, response.content.decode()


def test_the_page_shows_the_server_and_what_the_invite_grants(client: Client, api: Client, server: MediaServer) -> None:
    invite = make_invite(
        api, libraries=[1, 2], allow_sync=True, allow_channels=False, user_expires_in_days=30, expires_in_days=5
    )
    status, html = page(client, f"/invite/{invite['code'].lower()}")
    assert status == 200
    assert "Guestlist Test" in html
    assert "Movies, TV Shows" in html
    assert re.search(r"Downloads</span><span[^>]*>Yes<", html)
    assert re.search(r"Live TV</span><span[^>]*>No<", html)
    assert "1 month" in html  # 30 days, said as the dashboard says it
    expires = Invite.objects.get().expires_at
    assert expires is not None and f'datetime="{expires.isoformat()}"' in html
    assert "Sign in with Plex" in html
    assert "Open the e-mail from Plex and accept it" in html


def test_a_plex_home_invite_says_so(client: Client, api: Client, server: MediaServer) -> None:
    invite = make_invite(api, plex_home=True)
    html = page(client, f"/invite/{invite['code']}")[1]
    assert re.search(r"Plex Home</span><span[^>]*>Yes<", html)


def test_signup_with_icode_is_the_same_page(client: Client, api: Client, server: MediaServer) -> None:
    invite = make_invite(api)
    status, html = page(client, f"/signup?icode={invite['code'].lower()}")
    assert status == 200
    assert "Sign in with Plex" in html
    assert f'action="/invite/{invite["code"]}/plex"' in html
    assert client.get("/signup")["Location"] == "/join"


@pytest.mark.parametrize(
    "typed",
    ["{code}", "  {lower}  ", "http://testserver/invite/{lower}", "https://example.com/signup?icode={lower}"],
)
def test_join_takes_a_code_in_any_case_or_a_pasted_link(
    client: Client, api: Client, server: MediaServer, typed: str
) -> None:
    invite = make_invite(api)
    code = invite["code"]
    response = client.get("/join", {"code": typed.format(code=code, lower=code.lower())})
    assert response.status_code == 302
    assert response["Location"] == f"/invite/{code}"


def test_join_shows_a_form_and_refuses_nonsense(client: Client, server: MediaServer) -> None:
    status, html = page(client, "/join")
    assert status == 200
    assert 'name="code"' in html
    status, html = page(client, "/join?code=%3Cscript%3E")
    assert status == 404
    assert "Invite code not found" in html
    assert "<script>" not in html.replace('<script src="/static/guestlist/invite.js" defer></script>', "")


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"is_active": False}, 410, "Invite code is not active"),
        ({"used_count": 1}, 410, "Invite code is not active"),
        ({"expires_at": timezone.now() - timedelta(minutes=1)}, 410, "Invite code has expired"),
    ],
)
def test_an_unusable_invite_says_why_in_the_seeds_words(
    client: Client, api: Client, server: MediaServer, change: dict[str, Any], status: int, words: str
) -> None:
    invite = make_invite(api)
    Invite.objects.filter(pk=invite["id"]).update(**change)
    got, html = page(client, f"/invite/{invite['code']}")
    assert got == status
    assert words in html
    assert "Guestlist Test" in html
    assert "Sign in with Plex" not in html
    assert 'name="email"' not in html


def test_an_unknown_code_says_invite_code_not_found(client: Client, server: MediaServer) -> None:
    status, html = page(client, "/invite/NOPE1234")
    assert status == 404
    assert "Invite code not found" in html
    assert "NOPE1234" not in html
    assert 'name="code"' in html


def test_before_any_server_is_connected_it_says_so(client: Client, db: None) -> None:
    status, html = page(client, "/invite/ABCDEFGH")
    assert status == 404
    assert "The owner has not connected their Plex server yet" in html


def test_closed_sign_up_is_explained(client: Client, api: Client, server: MediaServer) -> None:
    invite = make_invite(api)
    SiteSettings.objects.filter(pk=1).update(signup_enabled=False, updated_at=timezone.now())
    status, html = page(client, f"/invite/{invite['code']}")
    assert status == 410
    assert "Sign-up is currently closed" in html


def test_without_the_email_path_only_plex_sign_in_is_offered(client: Client, api: Client, server: MediaServer) -> None:
    invite = make_invite(api)
    SiteSettings.objects.filter(pk=1).update(email_redemption_enabled=False, updated_at=timezone.now())
    html = page(client, f"/invite/{invite['code']}")[1]
    assert "Sign in with Plex" in html
    assert 'name="email"' not in html


def test_a_get_writes_nothing_calls_no_plex_and_sets_no_session(
    client: Client, api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    invite = make_invite(api)
    sim.clear_request_log()
    client.cookies.clear()
    for path in (f"/invite/{invite['code']}", f"/signup?icode={invite['code']}", "/invite/NOPE1234", "/join"):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        writes = [q["sql"] for q in queries.captured_queries if not q["sql"].lstrip().upper().startswith("SELECT")]
        assert writes == [], path
        assert "guestlist_session" not in response.cookies
    assert sim.request_log() == []
    assert not PlexPin.objects.exists()
    assert Invite.objects.get().used_count == 0


def test_the_page_costs_one_query_once_cached(client: Client, api: Client, server: MediaServer, settings: Any) -> None:
    settings.SITE_SETTINGS_CACHE_SECONDS = 2  # as in production; tests otherwise read them fresh
    invite = make_invite(api)
    client.get(f"/invite/{invite['code']}")
    with CaptureQueriesContext(connection) as queries:
        client.get(f"/invite/{invite['code']}")
    assert len(queries.captured_queries) == 1


def test_every_visitor_gets_their_own_csrf_token_from_the_cached_page(api: Client, server: MediaServer) -> None:
    invite = make_invite(api)
    first, second = Client(), Client()
    one = csrf_token(first.get(f"/invite/{invite['code']}").content.decode())
    two = csrf_token(second.get(f"/invite/{invite['code']}").content.decode())
    assert one != two
    assert first.cookies["guestlist_csrftoken"].value != second.cookies["guestlist_csrftoken"].value


def test_changes_show_at_once_despite_the_cache(client: Client, api: Client, server: MediaServer) -> None:
    invite = make_invite(api, allow_sync=False)
    assert re.search(r"Downloads</span><span[^>]*>No<", page(client, f"/invite/{invite['code']}")[1])
    api.patch(f"/api/invites/{invite['id']}", data={"allow_sync": True}, content_type="application/json")
    assert re.search(r"Downloads</span><span[^>]*>Yes<", page(client, f"/invite/{invite['code']}")[1])
    Invite.objects.filter(pk=invite["id"]).update(used_count=1)  # as a redemption does: no updated_at
    assert "Invite code is not active" in page(client, f"/invite/{invite['code']}")[1]


def test_no_token_or_internal_url_ever_reaches_the_page(client: Client, api: Client, server: MediaServer) -> None:
    invite = make_invite(api)
    html = page(client, f"/invite/{invite['code']}")[1]
    assert OWNER_PLEX_TOKEN not in html
    assert server.base_url not in html
    assert server.admin_token_encrypted not in html


def test_text_from_the_owner_and_plex_is_escaped(client: Client, api: Client, server: MediaServer) -> None:
    MediaServer.objects.filter(pk=server.pk).update(name='<img src=x onerror="alert(1)">')
    Library.objects.filter(server=server, key=1).update(title="<script>alert(2)</script>")
    forget_cached_libraries()
    invite = make_invite(api, libraries=[1])
    html = page(client, f"/invite/{invite['code']}")[1]
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert "<script>alert(2)" not in html


def test_a_crafted_problem_link_shows_only_known_words(client: Client, api: Client, server: MediaServer) -> None:
    invite = make_invite(api)
    html = page(client, f"/invite/{invite['code']}?problem=%3Cb%3Eyou+won%3C%2Fb%3E")[1]
    assert "you won" not in html
    status, html = page(client, f"/invite/{invite['code']}?problem=owner_account")
    assert status == 409
    assert "This is the server owner&#x27;s own Plex account" in html


def test_the_page_runs_under_a_strict_content_security_policy(
    client: Client, api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    invite = make_invite(api)
    response = client.get(f"/invite/{invite['code']}")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    # The no-script form is answered by a redirect to Plex's sign-in page.
    form_action = next(part for part in policy.split(";") if part.strip().startswith("form-action"))
    assert form_action.split()[1:2] == ["'self'"]
    assert sim.plex_tv_url in form_action.split()
    html = response.content.decode()
    assert re.findall(r"<script\b[^>]*>", html) == ['<script src="/static/guestlist/invite.js" defer>']
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)
    assert "private" in response["Cache-Control"]


def test_the_page_speaks_german_to_a_german_browser(client: Client, api: Client, server: MediaServer) -> None:
    invite = make_invite(api, user_expires_in_days=1)
    status, html = page(client, f"/invite/{invite['code']}", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,en;q=0.5")
    assert status == 200
    assert '<html lang="de">' in html
    assert "Mit Plex anmelden" in html
    assert "1 Tag" in html
    english = page(client, f"/invite/{invite['code']}", HTTP_ACCEPT_LANGUAGE="en")[1]
    assert "Sign in with Plex" in english
    status, html = page(client, "/invite/NOPE1234", HTTP_ACCEPT_LANGUAGE="de")
    assert "Einladungscode nicht gefunden" in html


def test_link_previewers_may_ask_with_head(client: Client, api: Client, server: MediaServer) -> None:
    invite = make_invite(api)
    assert client.head(f"/invite/{invite['code']}").status_code == 200
    assert client.head("/join").status_code == 200
    assert Invite.objects.get().used_count == 0
