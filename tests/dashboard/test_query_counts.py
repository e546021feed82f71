"""Lists cost the same number of queries for 3 rows or 30 (no query per row)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from guestlist.members.models import Member
from guestlist.plex.models import MediaServer
from tests.dashboard.conftest import make_invite

pytestmark = pytest.mark.django_db


def add_rows(server: MediaServer, owner: User, count: int) -> None:
    invite = make_invite(owner, usage_limit=None)
    for _ in range(count - 1):
        make_invite(owner)
    start = Member.objects.count()
    Member.objects.bulk_create(
        Member(server=server, person_key=f"email:p{n}@example.com", email=f"p{n}@example.com", invite=invite)
        for n in range(start, start + count)
    )


def queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", ["/invites", "/users", "/"])
def test_pages_do_not_query_per_row(admin_client: Client, server: MediaServer, owner: User, url: str) -> None:
    add_rows(server, owner, 3)
    admin_client.get(url)  # the first request of a session reads a few things once
    few = queries(admin_client, url)

    add_rows(server, owner, 20)
    many = queries(admin_client, url)

    assert many == few
    assert few < 30
