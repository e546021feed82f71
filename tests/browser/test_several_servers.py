"""Issue 20 §3 in a real browser: the owner makes one invite for "4K + HD", a friend redeems
it on a phone, gets both servers, and the owner sees the person once with both servers."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import BrowserContext, Page, expect

from guestlist.invites.models import Invite
from guestlist.members.models import Member
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from tests.browser.conftest import PHONE, csp_violations, screenshot
from tests.browser.test_dashboard_e2e import sign_in
from tests.conftest import MACHINE_ID
from tests.servers.conftest import HD_MACHINE_ID, shares_on
from tests.servers.conftest import hd_server as hd_server  # the fixture, shared with tests/servers


def test_a_two_server_invite_is_made_and_redeemed_in_one_go(
    desktop: Page,
    live_url: str,
    sim: PlexSimulator,
    server: MediaServer,
    hd_server: MediaServer,
    new_context: Callable[..., BrowserContext],
) -> None:
    violations = csp_violations(desktop)
    sign_in(desktop, live_url)

    desktop.goto(f"{live_url}/invites/new?advanced=1")
    servers = desktop.get_by_role("group", name="Servers")
    servers.get_by_label("Guestlist Test").check()
    servers.get_by_label("Guestlist HD").check()
    desktop.get_by_role("button", name="Create", exact=True).click()
    expect(desktop.get_by_role("heading", name=re.compile(r"^Invite "))).to_be_visible()
    expect(desktop.get_by_text("Guestlist HD")).to_be_visible()
    screenshot(desktop, "servers-invite-detail")
    invite = Invite.objects.get()
    assert [row.server_id for row in invite.extra_servers.all()] == [hd_server.pk]

    friend = new_context(**PHONE).new_page()
    friend.goto(f"{live_url}/invite/{invite.code}")
    expect(friend.get_by_role("heading", name="Guestlist Test + Guestlist HD")).to_be_visible()
    friend.get_by_role("button", name="Sign in with Plex").click()
    friend.get_by_role("button", name="guest").click()
    expect(friend).to_have_url(re.compile(r"/welcome/[^/]+$"))
    servers_list = friend.locator(".welcome-servers")
    expect(servers_list.locator('[data-state="ready"]')).to_have_count(2)
    screenshot(friend, "servers-welcome-phone")

    assert [share.accepted for share in shares_on(sim, MACHINE_ID) + shares_on(sim, HD_MACHINE_ID)] == [True, True]
    invite.refresh_from_db()
    assert invite.used_count == 1

    desktop.goto(f"{live_url}/users")
    rows = desktop.get_by_role("row").filter(has_text="guest@example.com")
    expect(rows).to_have_count(1)
    expect(rows.locator(".member-servers li")).to_have_count(2)
    rows.get_by_role("link", name="guest").first.click()
    expect(desktop.get_by_role("heading", name="Servers")).to_be_visible()
    screenshot(desktop, "servers-member-page")
    assert Member.objects.filter(status="active").count() == 2
    assert violations == []
