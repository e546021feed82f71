"""Plex sign-in counts as one factor for the owner: with an app enrolled, the code is asked next."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client

from guestlist.core.models import AuditEvent
from guestlist.plex.models import PlexPin
from guestlist.plexsim import PlexSimulator
from tests.accounts.conftest import enrol_totp

pytestmark = pytest.mark.django_db


def plex_sign_in(client: Client, sim: PlexSimulator, who: str) -> Any:
    assert client.post("/login/plex").status_code == 303
    public_id = client.session["member_plex_pin"]["id"]
    sim.approve_pin(PlexPin.objects.get(public_id=public_id).plex_pin_id, who)
    return client.post("/login/plex/continue", {"round": "1"})


def test_the_owner_signing_in_with_plex_is_asked_for_the_code(
    client: Client, owner: User, server: Any, sim: PlexSimulator
) -> None:
    with time_machine.travel("2026-12-01 12:00:05+00:00", tick=True) as traveller:
        totp, _codes = enrol_totp(owner)
        traveller.shift(timedelta(seconds=30))
        response = plex_sign_in(client, sim, "plexowner")
        assert response.status_code == 302
        assert response["Location"] == "/login/second-factor"
        assert client.get("/")["Location"].startswith("/login")
        assert client.post("/login/second-factor", {"code": totp.now()})["Location"] == "/"
        assert client.get("/").status_code == 200
    assert AuditEvent.objects.get(action="admin.second_factor").details["method"] == "plex+totp"
