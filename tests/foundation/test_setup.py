from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from guestlist.accounts.setup import issue_setup_token
from tests.conftest import PASSWORD


@pytest.mark.django_db
def test_every_dashboard_page_leads_to_setup_until_an_owner_exists(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/setup"


@pytest.mark.django_db
def test_setup_without_the_printed_token_is_locked(client: Client) -> None:
    issue_setup_token()
    response = client.get("/setup?token=guess")
    assert response.status_code == 403
    assert b"guestlist createadmin" in response.content


@pytest.mark.django_db
def test_setup_creates_the_owner_and_signs_them_in(client: Client) -> None:
    token = issue_setup_token()
    assert token
    page = client.get(f"/setup?token={token}")
    assert page.status_code == 200
    response = client.post(
        "/setup",
        {"token": token, "username": "ada", "email": "", "password": PASSWORD, "confirm": PASSWORD},
    )
    assert response.status_code == 302
    ada = User.objects.get(username="ada")
    assert ada.is_superuser
    assert client.get("/").status_code in (200, 302)
    assert client.get(f"/setup?token={token}").status_code == 302


@pytest.mark.django_db
def test_setup_closes_as_soon_as_an_owner_exists_however_made(client: Client, owner: User) -> None:
    assert issue_setup_token() is None
    assert client.get("/setup?token=anything")["Location"] == "/login"


@pytest.mark.django_db
def test_setup_refuses_mismatched_passwords(client: Client) -> None:
    token = issue_setup_token()
    response = client.post(
        "/setup", {"token": token, "username": "ada", "password": PASSWORD, "confirm": PASSWORD + "x"}
    )
    assert response.status_code == 200
    assert b"differ" in response.content
    assert not User.objects.exists()
