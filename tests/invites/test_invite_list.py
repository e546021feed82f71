from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from guestlist.core.audit import Actor
from guestlist.invites import services, status
from guestlist.invites.models import Invite
from guestlist.plex.models import MediaServer
from tests.invites.test_redeem_email import make_invite, redeem


@pytest.fixture
def assortment(client: Client, api: Client, server: MediaServer) -> dict[str, int]:
    """One invite of each kind: fresh, redeemed with uses left, used up, expired, disabled."""
    fresh = make_invite(api, description="fresh one")
    partly = make_invite(api, usage_limit=3, description="partly used")
    used_up = make_invite(api, usage_limit=1)
    expired = make_invite(api)
    disabled = make_invite(api)
    redeem(client, partly["code"], "alice@example.com")
    redeem(client, used_up["code"], "bob@example.com")
    Invite.objects.filter(pk=expired["id"]).update(expires_at=timezone.now() - timedelta(hours=1))
    Invite.objects.filter(pk=disabled["id"]).update(is_active=False)
    return {
        "fresh": fresh["id"],
        "partly": partly["id"],
        "used_up": used_up["id"],
        "expired": expired["id"],
        "disabled": disabled["id"],
    }


def ids(response: object) -> set[int]:
    return {item["id"] for item in response.json()["items"]}  # type: ignore[attr-defined]


def test_each_filter_is_a_predicate_and_every_count_comes_back(api: Client, assortment: dict[str, int]) -> None:
    everything = api.get("/api/invites/")
    assert everything.json()["counts"] == {
        "all": 5,
        "active": 2,
        "redeemed": 2,
        "expired": 1,
        "used_up": 1,
        "disabled": 1,
    }
    assert ids(api.get("/api/invites/?status=active")) == {assortment["fresh"], assortment["partly"]}
    assert ids(api.get("/api/invites/?status=redeemed")) == {assortment["partly"], assortment["used_up"]}
    assert ids(api.get("/api/invites/?status=expired")) == {assortment["expired"]}
    assert ids(api.get("/api/invites/?status=used_up")) == {assortment["used_up"]}
    assert ids(api.get("/api/invites/?status=disabled")) == {assortment["disabled"]}
    assert api.get("/api/invites/?status=bogus").status_code == 422


def test_the_list_is_newest_first(api: Client, assortment: dict[str, int]) -> None:
    items = api.get("/api/invites/").json()["items"]
    assert [item["id"] for item in items] == sorted(assortment.values(), reverse=True)


def test_search_covers_code_description_and_member_email_or_username(api: Client, assortment: dict[str, int]) -> None:
    partly = Invite.objects.get(pk=assortment["partly"])
    assert ids(api.get(f"/api/invites/?search={partly.code[:5].lower()}")) >= {assortment["partly"]}
    assert ids(api.get("/api/invites/?search=partly")) == {assortment["partly"]}
    assert ids(api.get("/api/invites/?search=BOB@example")) == {assortment["used_up"]}
    counts = api.get("/api/invites/?search=bob").json()["counts"]
    assert counts["all"] == 1 and counts["used_up"] == 1


def test_pagination_clamps_the_page_size_and_runs_past_the_end_quietly(api: Client, assortment: dict[str, int]) -> None:
    first = api.get("/api/invites/?page=1&page_size=2").json()
    assert len(first["items"]) == 2
    assert first["total"] == 5
    third = api.get("/api/invites/?page=3&page_size=2").json()
    assert len(third["items"]) == 1
    assert api.get("/api/invites/?page=9&page_size=2").json()["items"] == []
    assert api.get("/api/invites/?page_size=5000").json()["page_size"] == 200


def test_creator_and_date_filters(api: Client, server: MediaServer, owner: User) -> None:
    mine = services.create_invite({}, actor=Actor.admin(owner), created_by=owner)
    theirs = make_invite(api)
    assert ids(api.get("/api/invites/?created_by=owner")) == {mine.pk}
    Invite.objects.filter(pk=mine.pk).update(created_at=timezone.now() - timedelta(days=10))
    since = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids(api.get(f"/api/invites/?created_after={since}")) == {theirs["id"]}
    assert ids(api.get(f"/api/invites/?created_before={since}")) == {mine.pk}


def test_the_number_of_queries_does_not_grow_with_the_page_size(api: Client, assortment: dict[str, int]) -> None:
    for _ in range(20):
        make_invite(api)
    with CaptureQueriesContext(connection) as small:
        api.get("/api/invites/?page_size=2")
    with CaptureQueriesContext(connection) as large:
        api.get("/api/invites/?page_size=25")
    assert len(small.captured_queries) == len(large.captured_queries)


@pytest.mark.parametrize("hit_limit", [services.SEARCH_HIT_LIMIT, 0], ids=["hits read at once", "too many hits"])
@pytest.mark.parametrize("tab", status.FILTERS)
def test_a_search_counts_and_pages_each_tab_as_the_sql_filters_do(
    api: Client, assortment: dict[str, int], tab: str, hit_limit: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    Invite.objects.update(description="club night")
    monkeypatch.setattr(services, "SEARCH_HIT_LIMIT", hit_limit)
    now = timezone.now()
    every_hit = Invite.objects.filter(description__icontains="club")
    in_tab = every_hit.filter(status.filter_q(tab, now)).order_by("-created_at", "-id")

    first = api.get(f"/api/invites/?search=club&status={tab}&page_size=2").json()
    second = api.get(f"/api/invites/?search=club&status={tab}&page_size=2&page=2").json()
    past_the_end = api.get(f"/api/invites/?search=club&status={tab}&page_size=2&page=9").json()

    assert first["counts"] == {name: every_hit.filter(status.filter_q(name, now)).count() for name in status.FILTERS}
    assert first["total"] == in_tab.count()
    assert ids_in_order(first) + ids_in_order(second) == list(in_tab.values_list("pk", flat=True))[:4]
    assert past_the_end["items"] == []
    assert past_the_end["counts"] == first["counts"]


@pytest.mark.parametrize("tab", ["all", "active"])
def test_a_search_that_finds_nothing_counts_nothing_on_any_tab(
    api: Client, assortment: dict[str, int], tab: str
) -> None:
    found = api.get(f"/api/invites/?search=no%20such%20invite&status={tab}").json()
    assert (found["items"], found["total"]) == ([], 0)
    assert found["counts"] == dict.fromkeys(status.FILTERS, 0)


def ids_in_order(page: dict[str, list[dict[str, int]]]) -> list[int]:
    return [item["id"] for item in page["items"]]


def test_the_creator_filter_ignores_case(api: Client, server: MediaServer, owner: User) -> None:
    mine = services.create_invite({}, actor=Actor.admin(owner), created_by=owner)
    assert ids(api.get("/api/invites/?created_by=OWNER")) == {mine.pk}
