"""Driving the public pages the way a browser without JavaScript does: with CSRF enforced."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from guestlist.plex.models import PlexPin
from guestlist.plexsim import PlexSimulator

_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"')


def browser() -> Client:
    return Client(enforce_csrf_checks=True)


def csrf_token(html: str) -> str:
    found = _TOKEN.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def submit(client: Client, page: str, action: str, **fields: Any) -> Any:
    """Open ``page``, then post ``fields`` to ``action`` with the token the page carried."""
    opened = client.get(page)
    return client.post(action, {"csrfmiddlewaretoken": csrf_token(opened.content.decode()), **fields})


def redeem_by_email(client: Client, code: str, email: str = "guest@example.com") -> Any:
    return submit(client, f"/invite/{code}", f"/invite/{code}/email", email=email)


def start_plex_sign_in(client: Client, code: str) -> tuple[Any, str]:
    """Press "Sign in with Plex" without script; returns the answer and the PIN's public id."""
    response = submit(client, f"/invite/{code}", f"/invite/{code}/plex")
    assert response.status_code == 303, response.content
    pin = PlexPin.objects.order_by("-id").first()
    assert pin is not None
    return response, pin.public_id


def sign_in_at_plex(sim: PlexSimulator, public_id: str, who: str) -> None:
    """What the person does on Plex's page, through the simulator's hook."""
    sim.approve_pin(PlexPin.objects.get(public_id=public_id).plex_pin_id, who)


def come_back_from_plex(client: Client, code: str, public_id: str, **extra: Any) -> Any:
    """Plex's forwardUrl, then the page's Continue button."""
    page = f"/invite/{code}/plex/continue?pin={public_id}"
    return submit(client, page, f"/invite/{code}/plex/continue", pin=public_id, **extra)
