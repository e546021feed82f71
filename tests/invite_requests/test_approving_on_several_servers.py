"""Approving a request makes an invite, and an invite needs a server: with one server connected it
takes that one; with several, the decider chooses (the dashboard, the member area and the API alike).

The second server ("Guestlist HD") runs on a PMS of its own in the simulator (``hd_server``).
"""

from __future__ import annotations

from typing import Any

from django.test import Client

from guestlist.core.audit import Actor
from guestlist.invite_requests.models import InviteRequest
from guestlist.invites.invite_templates import create_template
from guestlist.invites.models import Invite
from guestlist.invites.services import invite_servers
from guestlist.plex.models import MediaServer
from tests.invite_requests.test_requests import ask, open_requests
from tests.members_model.conftest import MakeMember, make_member, quick_password_hashing
from tests.servers.conftest import hd_server

__all__ = ["hd_server", "make_member", "quick_password_hashing"]


def a_waiting_request(client: Client) -> InviteRequest:
    open_requests()
    ask(client)
    return InviteRequest.objects.get()


def approve(api: Client, asked: InviteRequest, **body: object) -> Any:
    return api.post(f"/api/requests/{asked.pk}/approve", data=body, content_type="application/json")


def test_with_one_server_the_approval_asks_for_no_server(
    client: Client, api: Client, owner_client: Client, server: MediaServer
) -> None:
    asked = a_waiting_request(client)
    page = owner_client.get(f"/requests/{asked.pk}").content.decode()
    assert 'name="servers"' not in page

    answer = approve(api, asked)
    assert answer.status_code == 200, answer.content
    invite = Invite.objects.get()
    assert [choice.server for choice in invite_servers(invite)] == [server]


def test_with_two_servers_the_api_refuses_an_approval_that_names_no_server(
    client: Client, api: Client, server: MediaServer, hd_server: MediaServer
) -> None:
    asked = a_waiting_request(client)
    refused = approve(api, asked, template_id=None)
    assert refused.status_code == 422
    body = refused.json()
    assert body["error"] == "invalid"
    assert "choose the server" in body["message"]
    assert body["details"] == [{"field": "server_ids", "message": "required"}]
    asked.refresh_from_db()
    assert asked.status == "pending" and not Invite.objects.exists()

    unknown = approve(api, asked, server_ids=[server.pk, 987654])
    assert unknown.status_code == 422 and unknown.json()["details"][0]["field"] == "server_ids"
    asked.refresh_from_db()
    assert asked.status == "pending" and not Invite.objects.exists()


def test_with_two_servers_the_api_approves_on_the_chosen_server_or_both(
    client: Client, api: Client, server: MediaServer, hd_server: MediaServer
) -> None:
    asked = a_waiting_request(client)
    one = approve(api, asked, server_ids=[hd_server.pk])
    assert one.status_code == 200, one.content
    invite = Invite.objects.get(pk=one.json()["invite_id"])
    assert [choice.server for choice in invite_servers(invite)] == [hd_server]
    assert invite.usage_limit == 1

    ask(client, email="second@example.com")
    second = InviteRequest.objects.get(email="second@example.com")
    template = create_template("Films and shows", {"libraries": "all", "allow_sync": True}, actor=Actor.system())
    both = approve(api, second, template_id=template.pk, server_ids=[server.pk, hd_server.pk])
    assert both.status_code == 200, both.content
    invite = Invite.objects.get(pk=both.json()["invite_id"])
    shared = invite_servers(invite)
    assert [choice.server for choice in shared] == [server, hd_server]
    assert [choice.libraries for choice in shared] == ["all", "all"], "the template's libraries on each server"
    assert invite.allow_sync and invite.usage_limit == 1


def test_with_two_servers_the_owner_ticks_the_server_on_the_request_page(
    client: Client, owner_client: Client, server: MediaServer, hd_server: MediaServer
) -> None:
    asked = a_waiting_request(client)
    page = owner_client.get(f"/requests/{asked.pk}").content.decode()
    assert page.count('name="servers"') == 2, "one box per connected server"
    assert "Guestlist HD" in page

    unticked = owner_client.post(f"/requests/{asked.pk}/approve", {"template": ""}, follow=True)
    assert "Choose the server (or servers) the invite shares." in unticked.content.decode()
    asked.refresh_from_db()
    assert asked.status == "pending" and not Invite.objects.exists()

    owner_client.post(f"/requests/{asked.pk}/approve", {"template": "", "servers": [str(hd_server.pk)]})
    asked.refresh_from_db()
    assert asked.status == "approved" and asked.invite is not None
    assert [choice.server for choice in invite_servers(asked.invite)] == [hd_server]


def test_a_member_with_manage_users_ticks_the_server_too(
    client: Client, server: MediaServer, make_member: MakeMember, hd_server: MediaServer
) -> None:
    # The member joins first, while one server is connected (make_member's invite names none).
    manager = make_member("alice", perms=["manage_users"])
    asked = a_waiting_request(client)
    assert manager.get("/me/requests").content.decode().count(f'name="a{asked.pk}-servers"') == 2

    manager.form(f"/me/requests/{asked.pk}/approve", {f"a{asked.pk}-template": ""})
    asked.refresh_from_db()
    assert asked.status == "pending"

    manager.form(f"/me/requests/{asked.pk}/approve", {f"a{asked.pk}-template": "", f"a{asked.pk}-servers": server.pk})
    asked.refresh_from_db()
    assert asked.status == "approved" and asked.invite is not None
    assert [choice.server for choice in invite_servers(asked.invite)] == [server]
