"""Every dashboard page and action: signed-out visitors go to the login page, non-admins are
refused, admins get in, and every form needs its CSRF token."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.test import Client

from guestlist.accounts import services as accounts
from guestlist.accounts.models import ApiKey
from guestlist.core.audit import Actor
from guestlist.invites import invite_templates
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from tests.dashboard.conftest import join, make_invite

pytestmark = pytest.mark.django_db


@dataclass
class World:
    invite: int
    template: int
    member: int
    server: int
    key: int
    admin: int


@pytest.fixture
def world(sim: PlexSimulator, server: MediaServer, owner: User, admin2: User) -> World:
    invite = make_invite(owner, usage_limit=5)
    member = join(sim, invite, "guest")
    template = invite_templates.create_template("Family", {"usage_limit": 3}, actor=Actor.admin(owner))
    accounts.create_api_key("script", created_by=owner)
    return World(
        invite=invite.pk,
        template=template.pk,
        member=member.pk,
        server=server.pk,
        key=ApiKey.objects.get().pk,
        admin=admin2.pk,
    )


PAGES = [
    "/",
    "/?days=90",
    "/invites",
    "/invites?status=active&search=x",
    "/invites/new",
    "/invites/new?advanced=1",
    "/invites/export.csv",
    "/invites/templates",
    "/invites/templates/{template}",
    "/invites/{invite}",
    "/invites/{invite}/edit",
    "/invites/{invite}/qr.svg",
    "/invites/{invite}/qr.png",
    "/users",
    "/users?status=expiring",
    "/users/{member}",
    "/settings",
    "/settings/invites",
    "/settings/welcome",
    "/settings/api-keys",
    "/settings/admins",
    "/settings/audit",
    "/setup/plex",
    "/setup/defaults",
]

ACTIONS = [
    "/invites/new",
    "/invites/templates",
    "/invites/templates/{template}",
    "/invites/templates/{template}/delete",
    "/invites/{invite}/edit",
    "/invites/{invite}/active",
    "/invites/{invite}/delete",
    "/users/bulk",
    "/users/sync",
    "/users/{member}/expiry",
    "/users/{member}/refresh",
    "/users/{member}/remove",
    "/users/{member}/reinvite",
    "/settings/servers/{server}/check",
    "/settings/servers/{server}/libraries",
    "/settings/invites",
    "/settings/welcome",
    "/settings/welcome/preview",
    "/settings/api-keys",
    "/settings/api-keys/{key}/revoke",
    "/settings/admins",
    "/settings/admins/{admin}/remove",
    "/setup/plex",
    "/setup/plex/signin",
    "/setup/plex/servers",
    "/setup/defaults",
]


def url(template: str, world: World) -> str:
    return template.format(**world.__dict__)


def test_every_page_opens_for_an_admin(admin_client: Client, world: World) -> None:
    for page in PAGES:
        response = admin_client.get(url(page, world))
        assert response.status_code == 200, (page, response.content[:500])


def test_every_page_sends_signed_out_visitors_to_the_login_page(client: Client, world: World) -> None:
    for page in [*PAGES, "/setup/plex/servers"]:
        response = client.get(url(page, world))
        assert response.status_code == 302, page
        assert response["Location"].startswith("/login?next="), page


def test_every_page_refuses_signed_in_people_who_are_not_admins(outsider_client: Client, world: World) -> None:
    for page in PAGES:
        response = outsider_client.get(url(page, world))
        assert response.status_code == 403, page
        assert b"for the server" in response.content


def test_every_action_refuses_non_admins_and_signed_out_visitors(
    client: Client, outsider_client: Client, world: World
) -> None:
    for action in ACTIONS:
        target = url(action, world)
        assert client.post(target).status_code == 302, action
        assert outsider_client.post(target).status_code == 403, action


def test_every_action_refuses_a_post_without_the_csrf_token(csrf_client: Client, world: World) -> None:
    for action in ACTIONS:
        response = csrf_client.post(url(action, world), {"name": "x", "active": "0"})
        assert response.status_code == 403, action
        assert b"This form has expired" in response.content


def test_actions_that_change_things_refuse_get(admin_client: Client, world: World) -> None:
    for action in (
        "/invites/{invite}/active",
        "/invites/{invite}/delete",
        "/users/{member}/remove",
        "/users/bulk",
        "/settings/api-keys/{key}/revoke",
        "/settings/admins/{admin}/remove",
        "/setup/plex/signin",
    ):
        assert admin_client.get(url(action, world)).status_code == 405, action


def test_dashboard_pages_lead_to_setup_while_no_owner_exists(client: Client) -> None:
    for page in ("/", "/invites", "/users", "/settings", "/setup/plex"):
        response = client.get(page)
        assert response.status_code == 302
        assert response["Location"] == "/setup", page


def test_a_signed_out_htmx_request_sends_the_whole_tab_to_the_login_page(client: Client, world: World) -> None:
    response = client.get("/invites?search=x", headers={"HX-Request": "true", "HX-Target": "invite-results"})

    assert response.status_code == 204
    assert response["HX-Redirect"] == "/login?next=/invites%3Fsearch%3Dx"
