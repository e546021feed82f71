"""The list's tab counts and the statistics are kept between requests and are never stale: any
write that can change a count (an invite between tabs, a member's status, a redemption) changes
the stamp the triggers keep, and an expiry or the end of the day ends them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from guestlist.invites import kept_counts
from guestlist.invites.models import Invite, Redemption
from guestlist.invites.services import status_counts
from guestlist.members.models import Member
from guestlist.plex.models import MediaServer
from tests.invites.test_redeem_email import make_invite, redeem

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def stamp_row() -> None:
    # A transactional test's flush empties every table, the stamp's row too; a start makes it again.
    kept_counts.ensure_count_triggers()


def tabs(api: Client) -> dict[str, int]:
    response = api.get("/api/invites/")
    assert response.status_code == 200
    return dict(response.json()["counts"])


def counting_queries(queries: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in queries.captured_queries if "counted_active" in query["sql"]]


def test_a_second_list_page_reuses_the_counts_of_the_first(api: Client, server: MediaServer) -> None:
    make_invite(api)
    first = tabs(api)
    with CaptureQueriesContext(connection) as queries:
        again = api.get("/api/invites/?page=2&status=active").json()["counts"]
    assert again == first
    assert counting_queries(queries) == [], "the counts came from memory"


def test_every_kind_of_write_is_counted_at_once(api: Client, server: MediaServer, sim: Any) -> None:
    invite = make_invite(api, usage_limit=1)
    assert tabs(api)["active"] == 1

    redeem(Client(), invite["code"], "rosa@example.com")  # the claim: one conditional UPDATE
    assert tabs(api)["used_up"] == 1 and tabs(api)["active"] == 0

    make_invite(api)
    Invite.objects.update(is_active=False)  # a bulk UPDATE, no model saved
    assert tabs(api)["disabled"] == 2

    Invite.objects.filter(used_count=0).delete()
    assert tabs(api)["all"] == 1


def test_an_invite_that_expires_leaves_the_active_tab_without_any_write(api: Client, server: MediaServer) -> None:
    make_invite(api, expires_at=(timezone.now() + timedelta(hours=1)).isoformat())
    now = timezone.now()
    assert status_counts(Invite.objects.all(), now, narrowed=False, narrowing="")["active"] == 1
    later = status_counts(Invite.objects.all(), now + timedelta(hours=2), narrowed=False, narrowing="")
    assert later["active"] == 0 and later["expired"] == 1


def test_a_rolled_back_write_leaves_the_counts_true(api: Client, server: MediaServer) -> None:
    make_invite(api)
    before = tabs(api)
    with pytest.raises(RuntimeError), transaction.atomic():
        Invite.objects.update(is_active=False)
        assert status_counts(Invite.objects.all(), timezone.now(), narrowed=False, narrowing="")["disabled"] == 1, (
            "inside its transaction a write sees its own counts"
        )
        raise RuntimeError("rolled back")
    assert tabs(api) == before
    Invite.objects.update(is_active=False)
    assert tabs(api)["disabled"] == 1


def test_paging_through_one_creators_invites_counts_them_once(api: Client, server: MediaServer) -> None:
    make_invite(api)
    creator = Invite.objects.get().created_by_label
    first = api.get(f"/api/invites/?created_by={creator}").json()["counts"]
    with CaptureQueriesContext(connection) as queries:
        again = api.get(f"/api/invites/?created_by={creator}&page=2").json()["counts"]
    assert again == first and first["all"] == 1
    assert not [query for query in queries.captured_queries if "COUNT(" in query["sql"].upper()]
    Invite.objects.update(is_active=False)
    assert api.get(f"/api/invites/?created_by={creator}").json()["counts"]["disabled"] == 1
    assert api.get("/api/invites/?created_by=somebody-else").json()["counts"]["all"] == 0


def statistics(api: Client) -> dict[str, Any]:
    response = api.get("/api/invites/stats")
    assert response.status_code == 200
    return dict(response.json())


def test_the_statistics_are_counted_once_until_a_member_or_a_redemption_changes(
    api: Client, server: MediaServer, sim: Any
) -> None:
    invite = make_invite(api, usage_limit=5)
    redeem(Client(), invite["code"], "rosa@example.com")
    first = statistics(api)
    assert first["total_redemptions"] == 1 and first["total_users"] == 1 and first["active_users"] == 1
    assert first["redemptions_per_day"][-1]["count"] == 1

    with CaptureQueriesContext(connection) as queries:
        assert statistics(api) == first
    assert not [query for query in queries.captured_queries if "COUNT(" in query["sql"].upper()]

    Member.objects.update(status="expired")  # as the expiry job does, with no invite touched
    assert statistics(api)["active_users"] == 0 and statistics(api)["expired_users"] == 1

    Redemption.objects.update(created_at=timezone.now() - timedelta(days=200))
    moved = statistics(api)
    assert moved["total_redemptions"] == 1, "older than the chart, still counted"
    assert sum(day["count"] for day in moved["redemptions_per_day"]) == 0

    Redemption.objects.update(state="failed")
    assert statistics(api)["total_redemptions"] == 0


def test_kept_statistics_end_with_the_day_they_were_counted_on() -> None:
    now = timezone.now()
    stamp = kept_counts.read_stamp()
    kept_counts.keep(now, stamp, {"total_invites": 0}, kept_counts.STATISTICS, until=now + timedelta(seconds=1))
    assert kept_counts.cached(now, stamp, kept_counts.STATISTICS) == {"total_invites": 0}
    assert kept_counts.cached(now + timedelta(seconds=2), stamp, kept_counts.STATISTICS) is None
