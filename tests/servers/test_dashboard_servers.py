"""The owner's pages with two servers: creating a "4K + HD" invite, a person listed once,
each server's share on their page, and the redeemer's welcome page per server."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from guestlist.core.audit import Actor
from guestlist.invites import welcome
from guestlist.invites.models import Invite
from guestlist.members.logins import ensure_user
from guestlist.members.models import Member
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from tests.dashboard.test_invites_views import advanced
from tests.servers.conftest import HD_SHARES, both_servers_invite, redeem_with_plex

pytestmark = pytest.mark.django_db


def test_the_create_form_makes_one_invite_for_both_servers(
    owner_client: Client, server: MediaServer, hd_server: MediaServer
) -> None:
    response = owner_client.post(
        "/invites/new",
        advanced(
            server=[str(server.pk), str(hd_server.pk)],
            libraries_mode="specific",
            libraries=[f"{server.pk}:1", f"{server.pk}:2", f"{hd_server.pk}:1"],
        ),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    invite = Invite.objects.get()
    assert (invite.server_id, invite.libraries) == (server.pk, "1,2")
    assert [(row.server_id, row.libraries) for row in invite.extra_servers.all()] == [(hd_server.pk, "1")]
    page = owner_client.get(f"/invites/{invite.pk}").content.decode()
    assert "Guestlist HD" in page and "Movies HD" in page


def test_the_create_form_wants_a_library_of_each_chosen_server(
    owner_client: Client, server: MediaServer, hd_server: MediaServer
) -> None:
    response = owner_client.post(
        "/invites/new",
        advanced(server=[str(server.pk), str(hd_server.pk)], libraries_mode="specific", libraries=[f"{server.pk}:1"]),
    )

    assert response.status_code == 200
    assert "Tick at least one library of Guestlist HD." in response.content.decode()
    assert not Invite.objects.exists()


def test_the_members_table_shows_a_person_once_with_their_servers(
    owner_client: Client, sim: PlexSimulator, server: MediaServer, hd_server: MediaServer
) -> None:
    redeem_with_plex(sim, both_servers_invite(server, hd_server))
    person = Member.objects.get(primary__isnull=True)

    page = owner_client.get("/users").content.decode()

    assert len(re.findall(r'name="ids" value="\d+"', page)) == 1
    assert f'name="ids" value="{person.pk}"' in page
    assert f'data-server="{hd_server.pk}"' in page


def test_a_person_page_shows_each_servers_share_and_its_state(
    owner_client: Client, sim: PlexSimulator, server: MediaServer, hd_server: MediaServer
) -> None:
    sim.inject_fault("POST", HD_SHARES, status=503, times=None)
    redeem_with_plex(sim, both_servers_invite(server, hd_server))
    person = Member.objects.get(primary__isnull=True)

    page = owner_client.get(f"/users/{person.pk}").content.decode()

    servers = page[page.index('id="servers"') :]
    assert "Guestlist Test" in servers and "Guestlist HD" in servers
    assert "retrying" in servers


def test_removing_a_person_from_the_table_removes_every_server(
    owner_client: Client, sim: PlexSimulator, server: MediaServer, hd_server: MediaServer
) -> None:
    redeem_with_plex(sim, both_servers_invite(server, hd_server))
    person = Member.objects.get(primary__isnull=True)

    owner_client.post("/users/bulk", {"ids": [str(person.pk)], "action": "remove"})

    assert set(Member.objects.values_list("status", flat=True)) == {"removed"}
    assert not sim.shares_of(hd_server.machine_identifier) and not sim.shares_of(server.machine_identifier)


def test_the_welcome_page_says_which_server_worked(
    client: Client, sim: PlexSimulator, server: MediaServer, hd_server: MediaServer
) -> None:
    sim.inject_fault("POST", HD_SHARES, status=400, times=None)
    result = redeem_with_plex(sim, both_servers_invite(server, hd_server))

    page = client.get(welcome.path_for(result.member, via=welcome.VIA_PLEX)).content.decode()

    assert 'data-state="ready"' in page and 'data-state="refused"' in page


def test_the_public_invite_page_names_both_servers(client: Client, server: MediaServer, hd_server: MediaServer) -> None:
    invite = both_servers_invite(server, hd_server)

    page = client.get(f"/invite/{invite.code}").content.decode()

    assert "Guestlist Test + Guestlist HD" in page
    assert "Movies HD (Guestlist HD)" in page


def test_the_member_area_shows_each_of_the_persons_servers(
    sim: PlexSimulator, server: MediaServer, hd_server: MediaServer
) -> None:
    redeem_with_plex(sim, both_servers_invite(server, hd_server, user_expires_in_days=30))
    person = Member.objects.get(primary__isnull=True)
    hd = Member.objects.get(server=hd_server)
    Member.objects.filter(pk=hd.pk).update(status=Member.Status.SUSPENDED)
    friend = Client()
    friend.force_login(ensure_user(person, actor=Actor.system("test")))

    page = friend.get("/me/").content.decode()

    listed = page.split("data-servers")[1].split("</ul>")[0]
    assert f'data-server="{server.pk}"' in listed and "Guestlist Test" in listed
    assert f'data-server="{hd_server.pk}"' in listed and "Guestlist HD" in listed
    assert 'class="badge active"' in listed and 'class="badge suspended"' in listed
    answer = friend.get("/api/me").json()
    assert [(entry["server_name"], entry["status"]) for entry in answer["servers"]] == [
        ("Guestlist Test", "active"),
        ("Guestlist HD", "suspended"),
    ]
