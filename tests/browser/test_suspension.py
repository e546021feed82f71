"""Suspend instead of remove (issue 22 §2) in Chromium against the live app and the Plex simulator:
the owner picks the library suspended members keep, suspends a member from their page (Plex narrows
the share to that library) and restores them (Plex gives the libraries back, nothing to accept)."""

from __future__ import annotations

from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from guestlist.core.models import SiteSettings
from guestlist.members.models import Member
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from tests.access.conftest import libraries_on_plex
from tests.browser.conftest import screenshot
from tests.browser.test_dashboard_pages import sign_in
from tests.dashboard.conftest import join, make_invite

PHOTOS = 4  # the simulator's fourth library stands in for "Renew your access"


def test_the_owner_suspends_a_member_and_restores_them(
    desktop: Page, sim: PlexSimulator, server: MediaServer, owner: User, live_url: str
) -> None:
    alice = join(sim, make_invite(owner, libraries="1,2", description="Family"), "alice")
    assert alice.status == "active" and libraries_on_plex(sim, alice) == [1, 2]
    sign_in(desktop, live_url)

    desktop.goto(f"{live_url}/settings/members")
    desktop.get_by_label("Library suspended members keep").select_option(str(PHOTOS))
    desktop.get_by_role("button", name="Save").click()
    expect(desktop.locator(".message.success")).to_be_visible()
    assert SiteSettings.load().suspend_library_key == PHOTOS

    desktop.goto(f"{live_url}/users/{alice.pk}")
    desktop.once("dialog", lambda dialog: dialog.accept())
    desktop.get_by_role("button", name="Suspend", exact=True).click()
    expect(desktop.get_by_text("alice is suspended: they keep only the suspension library.")).to_be_visible()
    expect(desktop.get_by_text("Back on renewal")).to_be_visible()
    screenshot(desktop, "member-suspended")
    assert Member.objects.get(pk=alice.pk).status == "suspended"
    assert libraries_on_plex(sim, alice) == [PHOTOS], "Plex keeps the share, narrowed to the one library"

    desktop.goto(f"{live_url}/users?status=suspended")
    expect(desktop.locator(f'main a[href="/users/{alice.pk}"]').first).to_be_visible()

    desktop.goto(f"{live_url}/users/{alice.pk}")
    desktop.get_by_role("button", name="Restore access").click()
    expect(desktop.get_by_text("alice has their libraries back.")).to_be_visible()
    expect(desktop.get_by_role("button", name="Suspend", exact=True)).to_be_visible()
    assert Member.objects.get(pk=alice.pk).status == "active"
    assert libraries_on_plex(sim, alice) == [1, 2]
