from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.conftest import PASSWORD


@pytest.mark.django_db
def test_it_refuses_anonymous_calls_with_401(client: Client) -> None:
    response = client.get("/api/invites/")
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


def test_it_refuses_a_wrong_key_with_401(client: Client, api_key: str) -> None:
    wrong = api_key[:-1] + ("y" if api_key.endswith("x") else "x")  # never the key itself
    response = client.get("/api/invites/", HTTP_X_API_KEY=wrong)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


def test_it_accepts_a_good_key_in_either_header(client: Client, api_key: str) -> None:
    assert client.get("/api/invites/", HTTP_X_API_KEY=api_key).status_code == 200
    assert client.get("/api/invites/", HTTP_AUTHORIZATION=f"Bearer {api_key}").status_code == 200


def test_a_revoked_key_stops_working(client: Client, api_key: str) -> None:
    from guestlist.accounts.models import ApiKey
    from guestlist.accounts.services import revoke_api_key
    from guestlist.core.audit import Actor

    revoke_api_key(ApiKey.objects.get(), actor=Actor.system())
    assert client.get("/api/invites/", HTTP_X_API_KEY=api_key).status_code == 401


def test_an_admin_session_may_read(owner_client: Client) -> None:
    assert owner_client.get("/api/invites/").status_code == 200


def test_a_session_that_is_not_an_admins_gets_403(client: Client, outsider: User) -> None:
    client.force_login(outsider)
    response = client.get("/api/invites/")
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"


def test_a_session_write_without_csrf_token_is_refused(csrf_client: Client) -> None:
    response = csrf_client.post("/api/invites/", data="{}", content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"] == "csrf_failed"


def test_a_session_write_with_the_csrf_token_goes_through(csrf_client: Client, server: object) -> None:
    csrf_client.get("/")  # sets the CSRF cookie like the dashboard does
    token = csrf_client.cookies["guestlist_csrftoken"].value
    response = csrf_client.post(
        "/api/invites/", data=json.dumps({}), content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 201, response.content


def test_an_api_key_needs_no_csrf_token(api_key: str, server: object) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/api/invites/", data="{}", content_type="application/json", HTTP_X_API_KEY=api_key)
    assert response.status_code == 201


def test_last_use_of_a_key_is_recorded_without_a_write_per_request(client: Client, api_key: str) -> None:
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from guestlist.accounts.models import ApiKey

    cache.clear()
    client.get("/api/invites/", HTTP_X_API_KEY=api_key)
    assert ApiKey.objects.get().last_used_at is not None
    with CaptureQueriesContext(connection) as queries:
        client.get("/api/invites/", HTTP_X_API_KEY=api_key)
    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]


@pytest.mark.django_db
def test_login_with_password(client: Client, owner: User) -> None:
    response = client.post("/login", {"username": "owner", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_login_with_a_wrong_password_says_so(client: Client, owner: User) -> None:
    response = client.post("/login", {"username": "owner", "password": "nope"})
    assert response.status_code == 200
    assert b"didn" in response.content


@pytest.mark.django_db
def test_login_form_enforces_csrf(owner: User) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login", {"username": "owner", "password": PASSWORD})
    assert response.status_code == 403


@pytest.mark.django_db
@pytest.mark.usefixtures("frozen_minute")
def test_login_is_rate_limited(client: Client, owner: User) -> None:
    # Empty passwords: every post counts against the rate limit, but none is a wrong
    # password, which would slow the account down sooner (tests/accounts/test_lockout.py).
    statuses = [client.post("/login", {"username": "owner", "password": ""}).status_code for _ in range(11)]
    assert statuses[:10] == [200] * 10
    assert statuses[10] == 429


@pytest.mark.django_db
def test_logout_needs_a_post(owner_client: Client) -> None:
    assert owner_client.get("/logout").status_code == 405
    assert owner_client.post("/logout").status_code == 302
