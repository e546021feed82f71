"""Single sign-on against the test OpenID provider (real HTTP): the happy path with PKCE,
and every way it must fail: wrong issuer, bad signature, expired token, replayed state,
missing group, a nonce or audience that is not ours."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth.models import User
from django.test import Client

from guestlist.accounts import oidc
from guestlist.accounts.models import OidcIdentity, SignInSettings
from guestlist.core.audit import Actor
from guestlist.core.models import AuditEvent
from guestlist.testing.oidc_provider import OidcProvider

pytestmark = pytest.mark.django_db


@pytest.fixture
def sso(provider: OidcProvider, owner: User) -> OidcProvider:
    oidc.update_settings(
        {
            "oidc_enabled": True,
            "oidc_issuer": provider.issuer,
            "oidc_client_id": provider.CLIENT_ID,
            "oidc_client_secret": provider.CLIENT_SECRET,
            "oidc_scopes": "profile email groups",
            "oidc_admin_claim": "groups",
            "oidc_admin_value": "guestlist-admins",
            "oidc_create_admins": True,
        },
        actor=Actor.admin(owner),
    )
    return provider


def to_provider(client: Client) -> str:
    """Press "Sign in with …": the redirect to the provider's authorization endpoint."""
    response = client.post("/login/oidc")
    assert response.status_code == 302, response.content
    return str(response["Location"])


def back_from_provider(authorize_url: str) -> str:
    """The provider approves at once and sends the browser back: that callback URL's path."""
    answer = requests.get(authorize_url, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    callback = urlsplit(answer.headers["Location"])
    return f"{callback.path}?{callback.query}"


def refusal_reason() -> str:
    return str(AuditEvent.objects.filter(action="admin.sign_in_refused").latest("id").details["reason"])


def sign_in(client: Client) -> Any:
    return client.get(back_from_provider(to_provider(client)))


def test_the_secret_is_encrypted_at_rest_and_never_shown(sso: OidcProvider, owner_client: Client) -> None:
    row = SignInSettings.load()
    assert sso.CLIENT_SECRET not in row.oidc_client_secret
    page = owner_client.get("/settings/security/sso")
    assert page.status_code == 200
    assert sso.CLIENT_SECRET.encode() not in page.content
    assert b"/login/oidc/callback" in page.content


def test_a_second_admin_signs_in_through_the_provider(sso: OidcProvider) -> None:
    client = Client()
    login_page = client.get("/login")
    assert b"Sign in with Single sign-on" in login_page.content
    # The form's redirect goes to the provider: the page's CSP lets that form go there.
    assert sso.url in login_page["Content-Security-Policy"]
    authorize = to_provider(client)
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["nonce"] and query["state"]
    assert "openid" in query["scope"][0].split()
    response = client.get(back_from_provider(authorize))
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
    admin = User.objects.get(username="sso-admin")
    assert admin.is_staff and not admin.is_superuser
    assert not admin.has_usable_password()
    identity = OidcIdentity.objects.get(user=admin)
    assert identity.subject == "oidc-user-1"
    # The token endpoint got the PKCE verifier and the client authenticated.
    assert sso.token_requests[-1]["code_verifier"]
    assert AuditEvent.objects.filter(action="admin.sign_in", details__method="oidc").exists()
    # A second sign-in finds the same admin through the link.
    again = Client()
    assert sign_in(again)["Location"] == "/"
    assert User.objects.filter(is_staff=True).count() == 2


def test_an_existing_admin_with_the_same_verified_email_is_linked(sso: OidcProvider, owner: User) -> None:
    sso.user.email = "owner@example.com"
    client = Client()
    assert sign_in(client)["Location"] == "/"
    assert OidcIdentity.objects.get().user == owner


def test_with_creation_off_an_unknown_account_is_refused(sso: OidcProvider, owner: User) -> None:
    oidc.update_settings({"oidc_create_admins": False}, actor=Actor.admin(owner))
    response = sign_in(Client())
    assert response.status_code == 403
    assert b"No admin here matches" in response.content
    assert not User.objects.filter(username="sso-admin").exists()


def test_an_unverified_email_links_nobody(sso: OidcProvider, owner: User) -> None:
    oidc.update_settings({"oidc_create_admins": False}, actor=Actor.admin(owner))
    sso.user.email = "owner@example.com"
    sso.user.email_verified = False
    assert sign_in(Client()).status_code == 403
    assert not OidcIdentity.objects.exists()


def test_it_refuses_a_token_from_the_wrong_issuer(sso: OidcProvider) -> None:
    sso.faults.wrong_issuer = True
    response = sign_in(Client())
    assert response.status_code == 403
    assert b"could not be trusted" in response.content
    assert refusal_reason() == "oidc_token_invalid"
    assert not OidcIdentity.objects.exists()


def test_it_refuses_a_provider_whose_discovery_names_another_issuer(sso: OidcProvider) -> None:
    sso.faults.discovery_issuer = "https://impostor.example"
    response = Client().post("/login/oidc")
    assert response.status_code == 403


def test_it_refuses_a_bad_signature(sso: OidcProvider) -> None:
    sso.faults.bad_signature = True
    response = sign_in(Client())
    assert response.status_code == 403
    assert refusal_reason() == "oidc_token_invalid"
    assert not OidcIdentity.objects.exists()


def test_it_refuses_an_expired_token(sso: OidcProvider) -> None:
    sso.faults.expired = True
    response = sign_in(Client())
    assert response.status_code == 403
    assert refusal_reason() == "oidc_token_invalid"
    assert not OidcIdentity.objects.exists()


def test_it_refuses_a_nonce_or_audience_that_is_not_ours(sso: OidcProvider) -> None:
    sso.faults.wrong_nonce = True
    assert sign_in(Client()).status_code == 403
    sso.faults.wrong_nonce = False
    sso.faults.wrong_audience = True
    assert sign_in(Client()).status_code == 403
    assert not OidcIdentity.objects.exists()


def test_it_refuses_a_replayed_state(sso: OidcProvider) -> None:
    client = Client()
    callback = back_from_provider(to_provider(client))
    assert client.get(callback)["Location"] == "/"
    client.logout()
    replay = client.get(callback)
    assert replay.status_code == 403
    assert b"already used" in replay.content


def test_it_refuses_a_callback_from_another_browser(sso: OidcProvider) -> None:
    callback = back_from_provider(to_provider(Client()))
    assert Client().get(callback).status_code == 403


def test_it_refuses_an_account_without_the_admin_group(sso: OidcProvider) -> None:
    sso.user.groups = ["family"]
    response = sign_in(Client())
    assert response.status_code == 403
    assert b"not in the group" in response.content
    assert not User.objects.filter(username="sso-admin").exists()
    assert AuditEvent.objects.filter(action="admin.sign_in_refused", details__reason="oidc_not_admin").exists()


def test_a_linked_admin_who_left_the_group_is_refused(sso: OidcProvider) -> None:
    assert sign_in(Client())["Location"] == "/"
    sso.user.groups = []
    assert sign_in(Client()).status_code == 403


def test_a_provider_that_is_down_is_a_clear_answer(sso: OidcProvider, owner: User) -> None:
    oidc.update_settings({"oidc_issuer": "http://127.0.0.1:9"}, actor=Actor.admin(owner))
    response = Client().post("/login/oidc")
    assert response.status_code == 502
    assert b"could not be reached" in response.content


def test_only_the_owner_configures_single_sign_on(admin2: User, owner_client: Client, provider: OidcProvider) -> None:
    other = Client()
    other.force_login(admin2)
    assert other.get("/settings/security/sso").status_code == 403
    saved = owner_client.post(
        "/settings/security/sso",
        {
            "oidc_enabled": "on",
            "oidc_label": "Authentik",
            "oidc_issuer": provider.issuer + "/",
            "oidc_client_id": "guestlist",
            "oidc_client_secret": "s3cret-value",
            "oidc_scopes": "email groups",
            "oidc_admin_claim": "groups",
            "oidc_admin_value": "guestlist-admins",
        },
    )
    assert saved.status_code == 302
    row = SignInSettings.load()
    assert row.oidc_issuer == provider.issuer
    assert row.oidc_scopes == "openid email groups"
    assert "s3cret-value" not in row.oidc_client_secret
    event = AuditEvent.objects.get(action="settings.sign_in")
    assert "s3cret-value" not in str(event.details)
    # Saving again without a secret keeps the stored one.
    owner_client.post(
        "/settings/security/sso",
        {
            "oidc_enabled": "on",
            "oidc_label": "Authentik",
            "oidc_issuer": provider.issuer,
            "oidc_client_id": "guestlist",
            "oidc_scopes": "openid email groups",
            "oidc_admin_claim": "groups",
            "oidc_admin_value": "guestlist-admins",
        },
    )
    assert SignInSettings.load().oidc_client_secret == row.oidc_client_secret
    incomplete = owner_client.post(
        "/settings/security/sso", {"oidc_enabled": "on", "oidc_label": "x", "oidc_scopes": "openid"}
    )
    assert incomplete.status_code == 200
    assert SignInSettings.load().oidc_client_id == "guestlist"
