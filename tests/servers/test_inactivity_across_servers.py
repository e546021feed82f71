"""Issue 20: the inactivity rule judges people, not server rows. A friend who watches every
day on the 4K server keeps the HD share they never use; a friend idle on both is warned
once and then loses both; one server's missing data holds the whole person back."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from guestlist import cli
from guestlist.core.audit import Actor
from guestlist.members import inactivity, sync
from guestlist.members.models import Member
from guestlist.notifications.models import Event
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from tests.activity.test_inactivity import rule
from tests.conftest import MACHINE_ID
from tests.lifecycle.conftest import later
from tests.notifications.conftest import MailBox, send_due, use_smtp
from tests.servers.conftest import HD_MACHINE_ID, both_servers_invite, redeem_with_plex, shares_on

pytestmark = pytest.mark.django_db

ACTOR = Actor.system()


def rows() -> dict[str, Member]:
    return {row.server.name: row for row in Member.objects.filter(email="guest@example.com").select_related("server")}


def friend_on_both(sim: PlexSimulator, server: MediaServer, hd_server: MediaServer) -> dict[str, Member]:
    """The guest redeemed "4K + HD" 200 days ago and has not watched anything since."""
    redeem_with_plex(sim, both_servers_invite(server, hd_server))
    Member.objects.filter(email="guest@example.com").update(created_at=timezone.now() - timedelta(days=200))
    return rows()


def fresh_data(sim: PlexSimulator, *, servers: tuple[str, ...] = (MACHINE_ID, HD_MACHINE_ID)) -> None:
    """The owner watched something today on these servers, and the sync has just read them."""
    for machine in servers:
        sim.add_play("plexowner", "Something", at=time.time() - 60, server=machine)
    sync.sync_now(actor=ACTOR)


def test_a_friend_who_watches_on_one_server_keeps_the_other(
    sim: PlexSimulator, server: MediaServer, hd_server: MediaServer
) -> None:
    friend_on_both(sim, server, hd_server)
    sim.add_play("guest", "Every day in 4K", at=time.time() - 3600, server=MACHINE_ID)
    fresh_data(sim)
    rule()
    assert rows()["Guestlist HD"].last_seen is None  # never watched in HD

    plan = inactivity.plan()

    assert plan.warn == [] and plan.remove == [] and plan.paused == {}
    assert inactivity.job() == "0 warned, 0 removed, 0 waiting for Plex"
    with later(timezone.now() + timedelta(days=20)):
        fresh_data(sim)
        assert inactivity.job() == "0 warned, 0 removed, 0 waiting for Plex"
    assert {row.status for row in rows().values()} == {Member.Status.ACTIVE}
    assert not Event.objects.filter(type="member.inactive_warning").exists()


def test_a_friend_idle_on_both_is_warned_once_and_then_loses_both(
    sim: PlexSimulator, server: MediaServer, hd_server: MediaServer, api: Client, smtp: MailBox
) -> None:
    friend_on_both(sim, server, hd_server)
    use_smtp(api, smtp)  # after joining: only the warning is mailed here
    sim.add_play("guest", "Long ago in HD", at=time.time() - 40 * 86400, server=HD_MACHINE_ID)
    fresh_data(sim)
    rule()

    plan = inactivity.plan()
    assert [entry.member.pk for entry in plan.warn] == [rows()["Guestlist Test"].pk]
    assert {row.server.name for row in plan.warn[0].rows} == {"Guestlist Test", "Guestlist HD"}
    assert plan.warn[0].last_seen == rows()["Guestlist HD"].last_seen
    assert inactivity.job() == "1 warned, 0 removed, 0 waiting for Plex"
    assert inactivity.job() == "0 warned, 0 removed, 0 waiting for Plex"

    warnings = Event.objects.filter(type="member.inactive_warning")
    assert warnings.count() == 1
    servers = warnings.get().payload["data"]["servers"]
    assert [entry["name"] for entry in servers] == ["Guestlist Test", "Guestlist HD"]
    send_due()
    assert [(message["To"], message["Subject"]) for message in smtp.messages] == [
        ("guest@example.com", "Still watching Guestlist Test, Guestlist HD?")
    ]
    assert all(row.inactivity_warned_at is not None for row in rows().values())

    with later(timezone.now() + timedelta(days=8)):
        fresh_data(sim)
        assert inactivity.job() == "0 warned, 1 removed, 0 waiting for Plex"
    assert {(row.status, row.reason) for row in rows().values()} == {(Member.Status.REMOVED, "inactive")}
    assert not shares_on(sim, MACHINE_ID) and not shares_on(sim, HD_MACHINE_ID)
    assert Event.objects.filter(type="member.removed_inactive").count() == 2  # one per server, for the owner


def test_missing_data_on_one_server_holds_the_person_back(
    sim: PlexSimulator, server: MediaServer, hd_server: MediaServer, owner_client: Client
) -> None:
    friend_on_both(sim, server, hd_server)
    # The 4K history is fine; the HD history shows no play by anyone in 30 days (reset, or an outage).
    fresh_data(sim, servers=(MACHINE_ID,))
    rule()

    plan = inactivity.plan()

    assert plan.warn == [] and plan.remove == []
    assert plan.paused["Guestlist HD"].kind == "history_empty" and "Guestlist Test" not in plan.paused
    assert [member.pk for member in plan.held] == [rows()["Guestlist Test"].pk]
    assert "not applied on Guestlist HD" in inactivity.job()
    assert not Event.objects.filter(type="member.inactive_warning").exists()
    page = owner_client.get("/settings/inactivity").content.decode()
    assert "data-held" in page and "Guestlist HD" in page
    # Once HD's data is complete again, the person is judged on both servers.
    fresh_data(sim)
    assert [entry.member.pk for entry in inactivity.plan().warn] == [rows()["Guestlist Test"].pk]


def test_exempting_one_server_exempts_the_person(
    sim: PlexSimulator, server: MediaServer, hd_server: MediaServer, api: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    friend_on_both(sim, server, hd_server)
    fresh_data(sim)
    rule()
    assert cli.main(["inactive", "--dry-run"]) == 0
    assert "Guestlist Test, Guestlist HD" in capsys.readouterr().out
    preview = api.get("/api/users/inactivity").json()
    assert sorted(preview["warn"][0]["member_ids"]) == sorted(row.pk for row in rows().values())

    inactivity.set_exempt(rows()["Guestlist HD"], True, actor=ACTOR)

    assert all(row.inactivity_exempt for row in rows().values())
    plan = inactivity.plan()
    assert plan.warn == [] and [member.pk for member in plan.exempt] == [rows()["Guestlist Test"].pk]
    assert inactivity.job() == "0 warned, 0 removed, 0 waiting for Plex"
