"""Issue 20 §3: one invite for "4K + HD" gives a friend both servers in one redemption."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from guestlist.core.audit import Actor
from guestlist.core.errors import Gone, ServiceError
from guestlist.invites.models import Redemption
from guestlist.invites.services import create_invite
from guestlist.members.models import Member
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from guestlist.plexwork.models import PlexOperation
from tests.conftest import MACHINE_ID
from tests.lifecycle.conftest import run_owed_work
from tests.servers.conftest import HD_MACHINE_ID, HD_SHARES, both_servers_invite, redeem_with_plex, shares_on

pytestmark = pytest.mark.django_db


def rows(who: str = "guest@example.com") -> dict[str, Member]:
    return {row.server.name: row for row in Member.objects.filter(email=who).select_related("server")}


def test_one_redemption_shares_both_servers_and_claims_one_use(
    sim: PlexSimulator, server: MediaServer, hd_server: MediaServer
) -> None:
    invite = both_servers_invite(server, hd_server, usage_limit=1)

    result = redeem_with_plex(sim, invite)

    assert result.outcome == "created"
    assert [(part.server_name, part.state) for part in result.parts] == [
        ("Guestlist Test", "done"),
        ("Guestlist HD", "done"),
    ]
    invite.refresh_from_db()
    assert invite.used_count == 1
    assert Redemption.objects.filter(invite=invite).count() == 1
    four_k, hd = rows()["Guestlist Test"], rows()["Guestlist HD"]
    assert four_k.status == hd.status == Member.Status.ACTIVE
    assert four_k.primary_id is None and hd.primary_id == four_k.pk
    assert four_k.library_keys == [1, 2] and hd.library_keys == [1]
    assert [share.accepted for share in shares_on(sim, MACHINE_ID) + shares_on(sim, HD_MACHINE_ID)] == [True, True]
    # One Plex share operation per server, each done; the token is gone once both accepted.
    shares = PlexOperation.objects.filter(kind="share").order_by("server_id")
    assert [(op.server_id, op.state) for op in shares] == [(server.pk, "done"), (hd_server.pk, "done")]
    assert Redemption.objects.get().user_token_encrypted == ""


def test_a_used_up_invite_refuses_the_next_person_however_many_servers(
    sim: PlexSimulator, server: MediaServer, hd_server: MediaServer
) -> None:
    invite = both_servers_invite(server, hd_server, usage_limit=1)
    redeem_with_plex(sim, invite)

    with pytest.raises(Gone):
        redeem_with_plex(sim, invite, "alice")
    assert not shares_on(sim, HD_MACHINE_ID, "alice")


def test_with_the_hd_server_down_the_4k_share_stands_and_hd_follows_through_the_outbox(
    sim: PlexSimulator, server: MediaServer, hd_server: MediaServer
) -> None:
    invite = both_servers_invite(server, hd_server)
    fault = sim.inject_fault("POST", HD_SHARES, status=503, times=None)

    result = redeem_with_plex(sim, invite)

    assert result.outcome == "pending"
    assert {part.server_name: part.state for part in result.parts} == {
        "Guestlist Test": "done",
        "Guestlist HD": "pending",
    }
    assert rows()["Guestlist Test"].status == Member.Status.ACTIVE
    assert rows()["Guestlist HD"].status == Member.Status.PENDING
    assert not shares_on(sim, HD_MACHINE_ID)
    # The redeemer's token waits for the HD server's accept.
    assert Redemption.objects.get().user_token_encrypted != ""
    assert Redemption.objects.get().state == Redemption.State.DONE

    sim.clear_faults()
    assert fault.hits >= 1
    run_owed_work()

    assert rows()["Guestlist HD"].status == Member.Status.ACTIVE
    assert [share.accepted for share in shares_on(sim, HD_MACHINE_ID)] == [True]
    assert Redemption.objects.get().user_token_encrypted == ""
    invite.refresh_from_db()
    assert invite.used_count == 1


def test_a_server_plex_refuses_for_good_is_reported_and_the_other_stays(
    sim: PlexSimulator, server: MediaServer, hd_server: MediaServer
) -> None:
    invite = both_servers_invite(server, hd_server)
    sim.inject_fault("POST", HD_SHARES, status=400, times=None, body="Server is not accepting shares")

    result = redeem_with_plex(sim, invite)

    assert result.outcome == "created"
    parts = {part.server_name: part for part in result.parts}
    assert parts["Guestlist Test"].state == "done"
    assert parts["Guestlist HD"].state == "failed" and parts["Guestlist HD"].error
    four_k, hd = rows()["Guestlist Test"], rows()["Guestlist HD"]
    assert four_k.status == Member.Status.ACTIVE
    assert hd.status == Member.Status.REMOVED
    assert hd.reason.startswith("Plex refused this server")
    # The use bought the 4K server: it is not given back.
    invite.refresh_from_db()
    assert invite.used_count == 1
    assert Redemption.objects.get().state == Redemption.State.DONE


def test_a_server_that_stays_down_is_given_up_and_reported_without_touching_the_other(
    sim: PlexSimulator, server: MediaServer, hd_server: MediaServer, settings: Any
) -> None:
    invite = both_servers_invite(server, hd_server)
    sim.inject_fault("POST", HD_SHARES, status=503, times=None)
    redeem_with_plex(sim, invite)
    PlexOperation.objects.filter(server=hd_server, kind="share").update(attempts=35)

    run_owed_work()

    hd_share = PlexOperation.objects.get(server=hd_server, kind="share")
    assert hd_share.state == PlexOperation.State.FAILED
    # Nothing is owed any more, so the redeemer's token is not kept.
    assert Redemption.objects.get().user_token_encrypted == ""
    assert rows()["Guestlist HD"].status == Member.Status.REMOVED
    assert rows()["Guestlist Test"].status == Member.Status.ACTIVE
    invite.refresh_from_db()
    assert invite.used_count == 1


def test_when_every_server_refuses_the_use_is_given_back_and_nobody_stays(
    sim: PlexSimulator, server: MediaServer, hd_server: MediaServer
) -> None:
    invite = both_servers_invite(server, hd_server)
    sim.inject_fault("POST", "/api/servers/*/shared_servers", status=400, times=None)

    with pytest.raises(ServiceError):
        redeem_with_plex(sim, invite)

    invite.refresh_from_db()
    assert invite.used_count == 0
    assert not Member.objects.exists()
    assert Redemption.objects.get().state == Redemption.State.FAILED


def test_someone_with_the_4k_server_already_gets_only_hd(
    sim: PlexSimulator, server: MediaServer, hd_server: MediaServer
) -> None:

    only_4k = create_invite({"server_id": server.pk}, actor=Actor.system())
    redeem_with_plex(sim, only_4k)
    invite = both_servers_invite(server, hd_server)

    result = redeem_with_plex(sim, invite)

    assert {part.server_name: part.state for part in result.parts} == {
        "Guestlist Test": "had_access",
        "Guestlist HD": "done",
    }
    assert rows()["Guestlist HD"].primary_id == rows()["Guestlist Test"].pk
    assert len(shares_on(sim, MACHINE_ID)) == 1


def test_the_api_creates_a_two_server_invite_and_answers_a_redemption_per_server(
    sim: PlexSimulator, server: MediaServer, hd_server: MediaServer, api: Client, client: Client
) -> None:
    created = api.post(
        "/api/invites/",
        data={"servers": [{"server_id": server.pk, "libraries": [1]}, {"server_id": hd_server.pk}]},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    invite = created.json()
    # The single-server fields still describe the first server.
    assert invite["server_id"] == server.pk and invite["libraries"] == [1]
    assert invite["servers"] == [
        {"server_id": server.pk, "libraries": [1]},
        {"server_id": hd_server.pk, "libraries": "default"},
    ]

    redeemed = client.post(
        "/api/invites/redeem",
        data={"code": invite["code"], "email": "guest@example.com"},
        content_type="application/json",
    )

    assert redeemed.status_code == 201, redeemed.content
    body = redeemed.json()
    assert [(part["server_name"], part["status"]) for part in body["servers"]] == [
        ("Guestlist Test", "done"),
        ("Guestlist HD", "done"),
    ]
    assert body["server_id"] == server.pk and body["person_id"] == body["id"]
    detail = api.get(f"/api/users/{body['id']}").json()
    assert [(row["server_name"], row["status"]) for row in detail["servers"]] == [
        ("Guestlist Test", "pending"),
        ("Guestlist HD", "pending"),
    ]


def test_the_api_refuses_servers_together_with_server_id(
    server: MediaServer, hd_server: MediaServer, api: Client
) -> None:
    response = api.post(
        "/api/invites/",
        data={"server_id": server.pk, "servers": [{"server_id": hd_server.pk}]},
        content_type="application/json",
    )
    assert response.status_code == 422
    twice = api.post(
        "/api/invites/",
        data={"servers": [{"server_id": server.pk}, {"server_id": server.pk}]},
        content_type="application/json",
    )
    assert twice.status_code == 422


def test_the_members_api_lists_rows_per_server_or_each_person_once(
    sim: PlexSimulator, server: MediaServer, hd_server: MediaServer, api: Client
) -> None:
    redeem_with_plex(sim, both_servers_invite(server, hd_server))

    rows_listed = api.get("/api/users/").json()
    persons = api.get("/api/users/?persons=true").json()

    assert rows_listed["total"] == 2
    assert {item["server_id"] for item in rows_listed["items"]} == {server.pk, hd_server.pk}
    assert len({item["person_id"] for item in rows_listed["items"]}) == 1
    assert persons["total"] == 1 and persons["items"][0]["server_id"] == server.pk
