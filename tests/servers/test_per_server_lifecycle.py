"""Expiry, removal and sync act per server: each row is one server's share."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from guestlist.core.audit import Actor
from guestlist.members import expiry, services
from guestlist.members.models import Member
from guestlist.members.sync import sync_now
from guestlist.notifications.models import Event
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from tests.conftest import MACHINE_ID
from tests.lifecycle.conftest import later
from tests.notifications.conftest import MailBox, send_due, use_smtp
from tests.servers.conftest import HD_MACHINE_ID, both_servers_invite, redeem_with_plex, shares_on

pytestmark = pytest.mark.django_db


def rows() -> dict[str, Member]:
    return {row.server.name: row for row in Member.objects.select_related("server")}


def test_membership_expiry_ends_both_servers(sim: PlexSimulator, server: MediaServer, hd_server: MediaServer) -> None:
    redeem_with_plex(sim, both_servers_invite(server, hd_server, user_expires_in_days=7))

    with later(timezone.now() + timedelta(days=8)):
        expiry.run()

    assert {row.status for row in rows().values()} == {Member.Status.EXPIRED}
    assert not shares_on(sim, MACHINE_ID) and not shares_on(sim, HD_MACHINE_ID)


def test_removing_one_server_keeps_the_other_and_the_person(
    sim: PlexSimulator, server: MediaServer, hd_server: MediaServer
) -> None:
    redeem_with_plex(sim, both_servers_invite(server, hd_server))
    four_k = rows()["Guestlist Test"]

    outcome = services.remove_member(four_k, actor=Actor.system(), reason="removed by admin")

    assert outcome.done
    assert rows()["Guestlist Test"].status == Member.Status.REMOVED
    hd = rows()["Guestlist HD"]
    assert hd.status == Member.Status.ACTIVE
    assert [share.accepted for share in shares_on(sim, HD_MACHINE_ID)] == [True]
    assert not shares_on(sim, MACHINE_ID)
    # The person is still listed, now by the server they still have.
    assert hd.primary_id is None and rows()["Guestlist Test"].primary_id == hd.pk
    listed = services.list_members(services.MemberQuery(persons=True)).items
    assert [member.pk for member in listed] == [hd.pk]


def test_sync_notices_a_share_removed_by_hand_on_one_server_only(
    sim: PlexSimulator, server: MediaServer, hd_server: MediaServer
) -> None:
    redeem_with_plex(sim, both_servers_invite(server, hd_server))
    # Someone else still on HD: an answer with nobody on a server is not definite (sync.py).
    sim.share(HD_MACHINE_ID, sim.account("alice"), accepted=True)
    guest = sim.account("guest")
    with sim.sim.lock:
        state = sim.sim.state
        state.shares = [
            share
            for share in state.shares
            if not (share.machine_identifier == HD_MACHINE_ID and share.invited_id == guest.id)
        ]

    outcome = sync_now(actor=Actor.system())

    assert outcome.removed == 1
    assert rows()["Guestlist HD"].status == Member.Status.REMOVED
    assert rows()["Guestlist Test"].status == Member.Status.ACTIVE


def test_a_person_on_two_servers_gets_one_ends_soon_notice(
    sim: PlexSimulator, server: MediaServer, hd_server: MediaServer, api: Client, smtp: MailBox
) -> None:
    use_smtp(api, smtp)
    redeem_with_plex(sim, both_servers_invite(server, hd_server, user_expires_in_days=3))
    send_due()
    smtp.messages.clear()

    assert expiry.flag_expiring() == 2  # both servers' members are flagged...
    assert expiry.flag_expiring() == 0
    send_due()

    # ...with one event and one mail about both.
    events = Event.objects.filter(type="member.expiring_soon")
    assert events.count() == 1
    assert [entry["name"] for entry in events.get().payload["data"]["servers"]] == ["Guestlist Test", "Guestlist HD"]
    message = smtp.only()
    assert message["To"] == "guest@example.com"
    assert message["Subject"] == "Your access to Guestlist Test, Guestlist HD ends soon"
    assert all(row.expiry_warned_at is not None for row in rows().values())
