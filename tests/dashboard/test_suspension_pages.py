"""The owner's pages for suspending (issue 22 §2): the setting, a member's own choice, and the
Suspend / Restore buttons, all plain forms that work without JavaScript."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.test import Client

from guestlist.core.models import AuditEvent, SiteSettings
from guestlist.members.models import Member
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from tests.dashboard.conftest import join, make_invite

RENEW_KEY = 4


def members_settings(**changes: str) -> dict[str, str]:
    return {"default_quota_days": "30", "trial_days": "7", "trial_outcome": "promote", **changes}


def test_the_owner_chooses_suspending_and_the_library_suspended_members_keep(
    admin_client: Client, server: MediaServer
) -> None:
    page = admin_client.get("/settings/members").content.decode()
    assert "When a member&#x27;s access ends" in page or "When a member's access ends" in page
    assert '<option value="4">Photos</option>' in page

    refused = admin_client.post("/settings/members", members_settings(access_end="suspend"))
    assert refused.status_code == 200
    assert "Choose the library suspended members keep." in refused.content.decode()
    assert SiteSettings.load().access_end == "remove"

    saved = admin_client.post(
        "/settings/members", members_settings(access_end="suspend", suspend_library_key=str(RENEW_KEY))
    )
    assert saved.status_code == 302
    site = SiteSettings.load()
    assert (site.access_end, site.suspend_library_key) == ("suspend", RENEW_KEY)
    assert AuditEvent.objects.filter(action="settings.update").exists()


def test_the_owner_suspends_and_restores_a_member_from_their_page(
    admin_client: Client, server: MediaServer, sim: PlexSimulator, owner: User
) -> None:
    SiteSettings.objects.filter(pk=1).update(suspend_library_key=RENEW_KEY)
    member = join(sim, make_invite(owner, libraries="1,2"), "guest")
    assert member.status == "active"
    page = admin_client.get(f"/users/{member.pk}").content.decode()
    assert f'action="/users/{member.pk}/suspend"' in page

    assert admin_client.post(f"/users/{member.pk}/suspend").status_code == 302
    member.refresh_from_db()
    assert (member.status, member.library_keys) == ("suspended", [RENEW_KEY])
    page = admin_client.get(f"/users/{member.pk}").content.decode()
    assert "Suspended" in page
    assert "Back on renewal" in page
    assert f'action="/users/{member.pk}/restore"' in page
    listed = admin_client.get("/users?status=suspended").content.decode()
    assert "guest" in listed

    assert admin_client.post(f"/users/{member.pk}/restore").status_code == 302
    member.refresh_from_db()
    assert (member.status, member.library_keys) == ("active", [1, 2])


def test_a_members_own_choice_is_saved_from_their_page(
    admin_client: Client, server: MediaServer, sim: PlexSimulator, owner: User
) -> None:
    member = join(sim, make_invite(owner), "guest")
    admin_client.post(f"/users/{member.pk}/access-end", {"access_end": "suspend"})
    assert Member.objects.get(pk=member.pk).access_end == "suspend"
    admin_client.post(f"/users/{member.pk}/access-end", {"access_end": ""})
    assert Member.objects.get(pk=member.pk).access_end == ""
    assert AuditEvent.objects.filter(action="member.access_end").count() == 2


def test_the_pages_speak_german(admin_client: Client, server: MediaServer, sim: PlexSimulator, owner: User) -> None:
    SiteSettings.objects.filter(pk=1).update(suspend_library_key=RENEW_KEY)
    member = join(sim, make_invite(owner), "guest")
    admin_client.post(f"/users/{member.pk}/suspend")
    page = admin_client.get(f"/users/{member.pk}", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Pausiert" in page
    assert "Zugang wiederherstellen" in page
    assert "Wenn der Zugang endet" in admin_client.get("/settings/members", HTTP_ACCEPT_LANGUAGE="de").content.decode()
