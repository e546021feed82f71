"""The one-time setup link makes exactly one owner, however many browsers use it at once
(audit 1.5). Runs on SQLite and, in the PostgreSQL leg, on PostgreSQL."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client

from guestlist.accounts.setup import issue_setup_token
from guestlist.core.services import ensure_site_settings
from tests.conftest import PASSWORD

RACERS = 5


@pytest.fixture(autouse=True)
def quick_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.django_db(transaction=True)
def test_parallel_setups_make_exactly_one_owner_and_refuse_the_rest() -> None:
    ensure_site_settings()
    token = issue_setup_token()
    start = threading.Barrier(RACERS)
    answers: list[str] = []

    def race(n: int) -> None:
        try:
            start.wait(timeout=10)
            form = {"token": token, "username": f"racer{n}", "email": "", "password": PASSWORD, "confirm": PASSWORD}
            response = Client().post("/setup", form)
            answers.append(response.get("Location") or str(response.status_code))
        finally:
            connection.close()

    threads = [threading.Thread(target=race, args=(n,)) for n in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(answers) == RACERS
    assert User.objects.count() == 1
    assert User.objects.get().is_superuser
    # The winner goes on to connect Plex; the others are refused (403), or sent to sign in
    # when the owner already existed as their request arrived.
    assert answers.count("/setup/plex") == 1
    assert all(answer in ("403", "/login") for answer in answers if answer != "/setup/plex")


@pytest.mark.django_db
def test_a_refused_setup_keeps_the_link_usable(client: Client) -> None:
    ensure_site_settings()
    token = issue_setup_token()
    client.post("/setup", {"token": token, "username": "ada", "password": "short", "confirm": "short"})

    response = client.post("/setup", {"token": token, "username": "ada", "password": PASSWORD, "confirm": PASSWORD})

    assert response.status_code == 302
    assert User.objects.get().username == "ada"
