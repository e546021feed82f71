"""An admin's sessions (listed, ended one by one or everywhere) and forward-auth, which
is believed only from a trusted proxy and only on the dashboard."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from guestlist.accounts.models import AdminSession
from guestlist.core.models import AuditEvent
from tests.accounts.conftest import password_step

pytestmark = pytest.mark.django_db


def test_the_security_page_lists_my_sessions_and_signs_out_everywhere_else(owner: User) -> None:
    here, phone, laptop = Client(HTTP_USER_AGENT="Here/1.0"), Client(HTTP_USER_AGENT="Phone/2.0"), Client()
    for client in (here, phone, laptop):
        assert password_step(client)["Location"] == "/"
    assert AdminSession.objects.filter(user=owner).count() == 3
    page = here.get("/settings/security")
    assert page.status_code == 200
    assert b"Phone/2.0" in page.content and b"This browser" in page.content
    assert page.context["sessions"][0].current
    one = next(row for row in page.context["sessions"] if row.user_agent == "Phone/2.0")
    here.post("/settings/security/sessions/end", {"session": one.id})
    assert phone.get("/")["Location"].startswith("/login")
    assert laptop.get("/").status_code == 200
    here.post("/settings/security/sessions/end")
    assert laptop.get("/")["Location"].startswith("/login")
    assert here.get("/").status_code == 200
    assert AdminSession.objects.filter(user=owner).count() == 1


def test_signing_out_forgets_the_session(owner: User) -> None:
    client = Client()
    password_step(client)
    client.post("/logout")
    assert not AdminSession.objects.exists()


def test_an_admin_cannot_end_someone_elses_session(owner: User, admin2: User) -> None:
    theirs = Client()
    password_step(theirs)
    mine = Client()
    mine.force_login(admin2)
    row = AdminSession.objects.get(user=owner)
    mine.post("/settings/security/sessions/end", {"session": row.pk})
    assert theirs.get("/").status_code == 200


@pytest.fixture
def forward_auth(settings: Any) -> None:
    settings.FORWARD_AUTH_HEADER = "Remote-User"
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8")]


@pytest.mark.usefixtures("forward_auth")
def test_a_trusted_proxy_signs_an_admin_in(owner: User) -> None:
    client = Client(REMOTE_ADDR="10.0.0.2", HTTP_REMOTE_USER="Owner")
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.filter(action="admin.sign_in", details__method="forward_auth").count() == 1
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.filter(action="admin.sign_in").count() == 1  # one sign-in, then the session


@pytest.mark.usefixtures("forward_auth")
def test_the_header_from_anyone_else_is_ignored(owner: User) -> None:
    client = Client(REMOTE_ADDR="192.0.2.7", HTTP_REMOTE_USER="owner")
    assert client.get("/")["Location"].startswith("/login")


@pytest.mark.usefixtures("forward_auth")
def test_the_proxy_header_never_reaches_the_api_or_public_pages(owner: User) -> None:
    client = Client(REMOTE_ADDR="10.0.0.2", HTTP_REMOTE_USER="owner")
    assert client.get("/api/invites/").status_code == 401
    assert client.get("/me/").status_code == 302
    assert client.get("/join").status_code == 200
    assert "_auth_user_id" not in client.session


@pytest.mark.usefixtures("forward_auth")
def test_unknown_users_and_members_are_not_signed_in(owner: User, outsider: User) -> None:
    assert Client(REMOTE_ADDR="10.0.0.2", HTTP_REMOTE_USER="nobody").get("/")["Location"].startswith("/login")
    assert Client(REMOTE_ADDR="10.0.0.2", HTTP_REMOTE_USER="outsider").get("/")["Location"].startswith("/login")


def test_forward_auth_is_off_by_default(owner: User, settings: Any) -> None:
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8")]
    assert settings.FORWARD_AUTH_HEADER == ""
    assert Client(REMOTE_ADDR="10.0.0.2", HTTP_REMOTE_USER="owner").get("/")["Location"].startswith("/login")


def test_the_wsgi_wrapper_keeps_the_direct_peer_for_forward_auth(owner: User, settings: Any) -> None:
    """Behind the proxy REMOTE_ADDR becomes the client; the header is judged by the peer."""
    from guestlist.lib.proxy import PEER_KEY, ProxyMiddleware

    seen: dict[str, Any] = {}

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.update(environ)
        return []

    wrapper = ProxyMiddleware(app, trusted=[ipaddress.ip_network("10.0.0.0/8")], url_base="")
    wrapper({"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}, lambda *a: None)
    assert seen["REMOTE_ADDR"] == "203.0.113.9"
    assert seen[PEER_KEY] == "10.0.0.2"


def test_housekeeping_forgets_ended_sessions_and_old_failures(owner: User) -> None:
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from guestlist.accounts import lockout
    from guestlist.accounts.models import SignInFailures
    from guestlist.jobs import housekeeping

    client = Client()
    password_step(client)
    Session.objects.all().delete()  # expired and cleared by Django's own clearsessions
    SignInFailures.objects.create(key="account:x", failures=2, last_failure_at=timezone.now() - timedelta(hours=2))
    SignInFailures.objects.create(key="account:y", failures=2, last_failure_at=timezone.now())
    assert "2 ended admin sessions and old failed sign-ins" in housekeeping.run()
    assert not AdminSession.objects.exists()
    assert list(SignInFailures.objects.values_list("key", flat=True)) == ["account:y"]
    assert lockout.check("account:y") is None
