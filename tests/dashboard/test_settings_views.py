"""Settings: Plex health, defaults and switches, welcome text, API keys, admins, audit log."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from guestlist.accounts import services as accounts
from guestlist.accounts.models import ApiKey
from guestlist.core.audit import Actor
from guestlist.core.models import AuditEvent, SiteSettings
from guestlist.plex.models import Library, MediaServer
from guestlist.plexsim import PlexSimulator
from tests.conftest import PASSWORD
from tests.dashboard.conftest import htmx, make_invite

pytestmark = pytest.mark.django_db


def defaults_form(server: MediaServer, **fields: object) -> dict[str, object]:
    form: dict[str, object] = {
        "signup_enabled": "on",
        "email_redemption_enabled": "on",
        "default_usage_limit": "1",
        "default_expires_in_days": "",
        "default_user_expires_in_days": "",
        "default_libraries": [f"{server.pk}:{key}" for key in (1, 2, 3, 4)],
    }
    form.update(fields)
    return form


def test_the_connection_page_shows_health_and_what_to_do_when_the_token_is_rejected(
    admin_client: Client, server: MediaServer
) -> None:
    MediaServer.objects.filter(pk=server.pk).update(token_ok=False, server_ok=True)

    page = admin_client.get("/settings").content.decode()

    assert "Rejected by plex.tv" in page
    assert "Plex no longer accepts the owner's token" in page
    assert 'href="/setup/plex"' in page


def test_checking_now_updates_health_and_answers_htmx_with_the_server_card(
    admin_client: Client, sim: PlexSimulator, server: MediaServer
) -> None:
    sim.inject_fault("GET", "/", status=500, host="pms", times=None)

    response = admin_client.post(f"/settings/servers/{server.pk}/check", headers=htmx(f"server-{server.pk}"))

    server.refresh_from_db()
    assert (server.token_ok, server.server_ok) == (True, False)
    html = response.content.decode()
    assert "<html" not in html
    assert f'id="server-{server.pk}"' in html
    assert "Not reachable" in html and "Guestlist cannot reach the server." in html
    assert "has a problem; see below what to do." in html


def test_checking_a_healthy_server_says_so(admin_client: Client, server: MediaServer) -> None:
    response = admin_client.post(f"/settings/servers/{server.pk}/check", follow=True)

    assert "the token is accepted and the server answers." in response.content.decode()


def test_refreshing_libraries_reads_them_from_plex(admin_client: Client, server: MediaServer) -> None:
    Library.objects.filter(server=server, key=4).delete()

    response = admin_client.post(f"/settings/servers/{server.pk}/libraries", follow=True)

    assert Library.objects.filter(server=server).count() == 4
    assert "Guestlist Test has 4 libraries." in response.content.decode()


def test_defaults_and_switches_are_saved_and_audited(admin_client: Client, server: MediaServer) -> None:
    response = admin_client.post(
        "/settings/invites",
        defaults_form(
            server,
            signup_enabled="",
            email_redemption_enabled="",
            default_usage_limit="",
            default_expires_in_days="14",
            default_user_expires_in_days="30",
            default_allow_sync="on",
            default_libraries=[f"{server.pk}:1", f"{server.pk}:2"],
        ),
    )

    assert response["Location"] == "/settings/invites"
    site = SiteSettings.load()
    assert (site.signup_enabled, site.email_redemption_enabled) == (False, False)
    assert (site.default_usage_limit, site.default_expires_in_days, site.default_user_expires_in_days) == (None, 14, 30)
    assert site.default_allow_sync is True
    assert list(Library.objects.filter(server=server, is_default=True).values_list("key", flat=True)) == [1, 2]
    event = AuditEvent.objects.get(action="settings.update")
    assert event.details["changes"]["signup_enabled"] == [True, False]
    assert AuditEvent.objects.filter(action="server.default_libraries").exists()


def test_the_defaults_need_at_least_one_library(admin_client: Client, server: MediaServer) -> None:
    response = admin_client.post("/settings/invites", defaults_form(server, default_libraries=[]))

    assert response.status_code == 200
    assert "Tick at least one library of Guestlist Test." in response.content.decode()


def test_the_overview_warns_while_sign_up_is_off(admin_client: Client, server: MediaServer) -> None:
    SiteSettings.objects.filter(pk=1).update(signup_enabled=False)

    page = admin_client.get("/").content.decode()

    assert "Sign up is off" in page


def test_the_welcome_text_is_saved_and_previewed_sanitised(admin_client: Client, owner: User) -> None:
    text = "# Hi\n\nWelcome **friend**! <script>alert(1)</script>"

    preview = admin_client.post(
        "/settings/welcome/preview", {"welcome_markdown": text}, headers=htmx("welcome-preview")
    ).content.decode()
    assert "<strong>friend</strong>" in preview
    assert "<script>" not in preview
    assert "<html" not in preview

    no_js = admin_client.post("/settings/welcome/preview", {"welcome_markdown": text}).content.decode()
    assert "<html" in no_js and "<strong>friend</strong>" in no_js

    admin_client.post("/settings/welcome", {"welcome_markdown": text})
    assert SiteSettings.load().welcome_markdown == text


def test_an_api_key_is_shown_once_and_can_be_revoked(admin_client: Client, owner: User) -> None:
    posted = admin_client.post("/settings/api-keys", {"name": "Home Assistant"})
    assert posted.status_code == 302 and posted["Location"] == "/settings/api-keys"
    response = admin_client.get(posted["Location"])

    key = ApiKey.objects.get()
    page = response.content.decode()
    assert response["Cache-Control"] == "no-store"
    shown = page.split('id="new-key" type="text" value="')[1].split('"')[0]
    assert shown.startswith("gl_") and accounts.authenticate_api_key(shown) == key
    assert shown not in admin_client.get("/settings/api-keys").content.decode()

    admin_client.post(f"/settings/api-keys/{key.pk}/revoke")
    assert accounts.authenticate_api_key(shown) is None
    assert "Revoked" in admin_client.get("/settings/api-keys").content.decode()


def test_admins_can_be_added_and_removed_but_not_the_owner_or_yourself(
    admin_client: Client, owner: User, admin2: User
) -> None:
    added = admin_client.post(
        "/settings/admins", {"username": "carol", "email": "", "password": PASSWORD, "confirm": PASSWORD}
    )
    assert added["Location"] == "/settings/admins"
    carol = User.objects.get(username="carol")
    assert carol.is_staff and not carol.is_superuser

    admin_client.post(f"/settings/admins/{carol.pk}/remove")
    assert not User.objects.filter(username="carol").exists()
    assert AuditEvent.objects.filter(action="admin.remove", object_label="carol").exists()

    refused = admin_client.post(f"/settings/admins/{owner.pk}/remove", follow=True)
    assert "The owner cannot be removed." in refused.content.decode()
    second = Client()
    second.force_login(admin2)
    himself = second.post(f"/settings/admins/{admin2.pk}/remove", follow=True)
    assert "You cannot remove your own account." in himself.content.decode()
    assert User.objects.filter(pk=admin2.pk).exists()


def test_adding_an_admin_with_a_taken_name_is_refused(admin_client: Client, owner: User) -> None:
    response = admin_client.post(
        "/settings/admins", {"username": "OWNER", "email": "", "password": PASSWORD, "confirm": PASSWORD}
    )

    assert "That username is already taken." in response.content.decode()


def test_the_audit_log_filters_by_action_actor_and_text(admin_client: Client, server: MediaServer, owner: User) -> None:
    make_invite(owner, description="needle")
    accounts.create_api_key("robot", created_by=owner, actor=Actor.system("cli"))

    def shown(query: str) -> set[str]:
        page = admin_client.get(f"/settings/audit{query}").content.decode()
        return {
            action
            for action in ("invite.create", "apikey.create", "server.connect")
            if f"<code>{action}</code>" in page
        }

    assert shown("") == {"invite.create", "apikey.create", "server.connect"}
    assert shown("?action=invite.") == {"invite.create"}
    assert shown("?action=apikey.create") == {"apikey.create"}
    assert shown("?actor_kind=system") == {"apikey.create"}
    assert shown("?search=robot") == {"apikey.create"}
    assert "Invite created" in admin_client.get("/settings/audit").content.decode()


def test_the_audit_log_lists_each_action_once_reads_details_and_links_objects(
    admin_client: Client, server: MediaServer, owner: User
) -> None:
    invites = [make_invite(owner, description=f"party {n}") for n in range(3)]

    page = admin_client.get("/settings/audit").content.decode()

    options = page.split('name="action"')[1].split("</select>")[0]
    assert options.count('value="invite.create"') == 1
    assert f'href="/invites/{invites[0].pk}"' in page
    assert '{"' not in page.split("<tbody>")[1], "details are shown as lines, not JSON"
