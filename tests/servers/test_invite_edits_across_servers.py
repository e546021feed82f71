"""Issue 20: editing a "4K + HD" invite (API and dashboard) and invite templates carry every
server with its libraries, not only the first."""

from __future__ import annotations

import pytest
from django.test import Client

from guestlist.core.audit import Actor
from guestlist.invite_requests.models import InviteRequest
from guestlist.invites import invite_templates
from guestlist.invites.models import Invite, InviteTemplate
from guestlist.invites.services import create_invite, invite_servers
from guestlist.plex.models import MediaServer
from tests.dashboard.test_invites_views import advanced
from tests.invite_requests.test_approving_on_several_servers import a_waiting_request, approve
from tests.invite_requests.test_requests import ask
from tests.servers.conftest import both_servers_invite

pytestmark = pytest.mark.django_db


def stored(invite: Invite) -> list[tuple[str, str]]:
    invite.refresh_from_db()
    return [(choice.server.name, choice.libraries) for choice in invite_servers(invite)]


def test_the_api_changes_each_servers_libraries_and_drops_a_server(
    api: Client, server: MediaServer, hd_server: MediaServer
) -> None:
    invite = both_servers_invite(server, hd_server)
    both = [{"server_id": server.pk, "libraries": [2]}, {"server_id": hd_server.pk, "libraries": [1]}]

    answer = api.patch(f"/api/invites/{invite.pk}", {"servers": both}, content_type="application/json")

    assert answer.status_code == 200, answer.content
    assert answer.json()["servers"] == [
        {"server_id": server.pk, "libraries": [2]},
        {"server_id": hd_server.pk, "libraries": [1]},
    ]
    assert stored(invite) == [("Guestlist Test", "2"), ("Guestlist HD", "1")]
    # HD first, 4K dropped: the invite now shares HD alone.
    only_hd = [{"server_id": hd_server.pk, "libraries": "all"}]
    answer = api.patch(f"/api/invites/{invite.pk}", {"servers": only_hd}, content_type="application/json")
    assert answer.json()["server_id"] == hd_server.pk
    assert stored(invite) == [("Guestlist HD", "all")]


def test_the_edit_page_shows_and_saves_every_server(
    owner_client: Client, server: MediaServer, hd_server: MediaServer
) -> None:
    invite = both_servers_invite(server, hd_server)  # 4K: Movies and TV Shows; HD: all

    form = owner_client.get(f"/invites/{invite.pk}/edit").context["form"]
    assert sorted(int(pk) for pk in form.initial["server"]) == [server.pk, hd_server.pk]
    # The servers' modes differ, so the page ticks each server's libraries.
    assert form.initial["libraries_mode"] == "specific"
    assert sorted(form.initial["libraries"]) == [f"{server.pk}:1", f"{server.pk}:2", f"{hd_server.pk}:1"]

    response = owner_client.post(
        f"/invites/{invite.pk}/edit",
        {
            "server": [str(server.pk), str(hd_server.pk)],
            "usage_limit": "3",
            "membership_unit": "never",
            "libraries_mode": "specific",
            "libraries": [f"{server.pk}:1", f"{hd_server.pk}:1"],
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert stored(invite) == [("Guestlist Test", "1"), ("Guestlist HD", "1")]
    assert invite.usage_limit == 3
    refused = owner_client.post(
        f"/invites/{invite.pk}/edit",
        {
            "server": [str(server.pk), str(hd_server.pk)],
            "usage_limit": "3",
            "membership_unit": "never",
            "libraries_mode": "specific",
            "libraries": [f"{server.pk}:2"],
        },
    )
    assert refused.status_code == 200
    assert "Tick at least one library of Guestlist HD." in refused.content.decode()
    assert stored(invite) == [("Guestlist Test", "1"), ("Guestlist HD", "1")]


def test_a_template_saved_from_the_create_form_keeps_both_servers(
    owner_client: Client, server: MediaServer, hd_server: MediaServer
) -> None:
    response = owner_client.post(
        "/invites/new",
        advanced(
            server=[str(server.pk), str(hd_server.pk)],
            libraries_mode="specific",
            libraries=[f"{server.pk}:2", f"{hd_server.pk}:1"],
            save_as_template="4K + HD",
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    template = InviteTemplate.objects.get(name="4K + HD")
    assert template.servers == [
        {"server_id": server.pk, "libraries": "2"},
        {"server_id": hd_server.pk, "libraries": "1"},
    ]

    # Picking it fills the create form with both servers; an invite made from it has both.
    form = owner_client.get("/invites/new", {"template": template.pk}).context["form"]
    assert sorted(int(pk) for pk in form.initial["server"]) == [server.pk, hd_server.pk]
    assert sorted(form.initial["libraries"]) == [f"{server.pk}:2", f"{hd_server.pk}:1"]
    made = create_invite(invite_templates.template_settings(template), actor=Actor.system())
    assert stored(made) == [("Guestlist Test", "2"), ("Guestlist HD", "1")]


def test_the_template_page_edits_a_templates_servers(
    owner_client: Client, server: MediaServer, hd_server: MediaServer
) -> None:
    settings = {"servers": [{"server_id": server.pk, "libraries": [1]}, {"server_id": hd_server.pk}]}
    template = invite_templates.create_template("Both", settings, actor=Actor.system())
    assert template.servers == [
        {"server_id": server.pk, "libraries": "1"},
        {"server_id": hd_server.pk, "libraries": "default"},
    ]
    page = owner_client.get(f"/invites/templates/{template.pk}")
    assert sorted(int(pk) for pk in page.context["form"].initial["server"]) == [server.pk, hd_server.pk]

    response = owner_client.post(
        f"/invites/templates/{template.pk}",
        {
            "name": "HD only",
            "server": [str(hd_server.pk)],
            "usage_limit": "1",
            "expires_unit": "never",
            "membership_unit": "never",
            "libraries_mode": "all",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    template.refresh_from_db()
    assert (template.name, template.servers, template.libraries) == ("HD only", None, "all")


def test_approving_a_request_with_a_template_of_both_servers_needs_no_server_choice(
    client: Client, api: Client, server: MediaServer, hd_server: MediaServer
) -> None:
    both = [{"server_id": server.pk, "libraries": [2]}, {"server_id": hd_server.pk, "libraries": "all"}]
    settings = {"servers": both}
    template = invite_templates.create_template("4K + HD", settings, actor=Actor.system())
    asked = a_waiting_request(client)

    answer = approve(api, asked, template_id=template.pk)

    assert answer.status_code == 200, answer.content
    made = Invite.objects.get(pk=answer.json()["invite_id"])
    assert stored(made) == [("Guestlist Test", "2"), ("Guestlist HD", "all")]
    # A server the decider picks keeps the template's libraries for it.
    ask(client, email="second@example.com")
    second = InviteRequest.objects.get(email="second@example.com")
    only_4k = approve(api, second, template_id=template.pk, server_ids=[server.pk])
    assert stored(Invite.objects.get(pk=only_4k.json()["invite_id"])) == [("Guestlist Test", "2")]


def test_on_the_request_page_a_template_of_both_servers_needs_no_ticked_server(
    client: Client, owner_client: Client, server: MediaServer, hd_server: MediaServer
) -> None:
    both = [{"server_id": server.pk, "libraries": "all"}, {"server_id": hd_server.pk, "libraries": "all"}]
    template = invite_templates.create_template("4K + HD", {"servers": both}, actor=Actor.system())
    asked = a_waiting_request(client)

    owner_client.post(f"/requests/{asked.pk}/approve", {"template": str(template.pk)})

    asked.refresh_from_db()
    assert asked.status == "approved" and asked.invite is not None
    assert stored(asked.invite) == [("Guestlist Test", "all"), ("Guestlist HD", "all")]
