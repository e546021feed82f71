"""Deep list pages are read by key after skipping in the index: the same rows, in the same order."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from guestlist.invites import services
from guestlist.plex.models import MediaServer
from tests.invites.test_redeem_email import make_invite

pytestmark = pytest.mark.django_db


def codes_on(api: Client, page: int, **filters: str) -> list[str]:
    query = "&".join(f"{name}={value}" for name, value in {"page": str(page), "page_size": "3", **filters}.items())
    return [invite["code"] for invite in api.get(f"/api/invites/?{query}").json()["items"]]


def test_a_deep_page_shows_the_same_invites_as_a_shallow_read(
    api: Client, server: MediaServer, monkeypatch: Any
) -> None:
    for _ in range(8):
        make_invite(api)
    disabled = make_invite(api)
    assert (
        api.patch(f"/api/invites/{disabled['id']}", {"is_active": False}, content_type="application/json").status_code
        == 200
    )
    shallow = [codes_on(api, page) for page in (1, 2, 3, 4)] + [codes_on(api, 2, status="active")]
    monkeypatch.setattr(services, "DEEP_PAGE_OFFSET", 1)
    deep = [codes_on(api, page) for page in (1, 2, 3, 4)] + [codes_on(api, 2, status="active")]
    assert deep == shallow
    assert [len(page) for page in shallow] == [3, 3, 3, 0, 3]
