"""Changing members' access in Chromium against the live app and the Plex simulator: the owner
changes three members' libraries at once from the list and sees Plex confirm it; on a phone, one
member's page says "Changing…" while Plex is down and shows the new access once Plex confirms,
without reloading (HTMX), and a change made in Plex itself is settled with one button."""

from __future__ import annotations

from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from guestlist.members.models import Member
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from tests.access.conftest import libraries_on_plex, run_owed_work, share_of
from tests.browser.conftest import screenshot
from tests.browser.test_dashboard_pages import sign_in
from tests.conftest import MACHINE_ID
from tests.dashboard.conftest import join, make_invite


def three_members(sim: PlexSimulator, owner: User) -> list[Member]:
    family = make_invite(owner, usage_limit=5, description="Family", libraries=[1])
    return [join(sim, family, name) for name in ("alice", "bob", "carol")]


def test_the_owner_changes_three_members_libraries_at_once_and_sees_plex_confirm_it(
    desktop: Page, sim: PlexSimulator, server: MediaServer, owner: User, live_url: str
) -> None:
    people = three_members(sim, owner)
    sign_in(desktop, live_url)
    desktop.goto(f"{live_url}/users")

    for name in ("alice", "bob", "carol"):
        desktop.get_by_label(f"Select {name}").check()
    desktop.get_by_label("With the selected members").select_option("access")
    desktop.get_by_role("button", name="Apply").click()

    expect(desktop.get_by_role("heading", name="Change the access of 3 members")).to_be_visible()
    desktop.get_by_label("Only these libraries").check()
    desktop.get_by_label("Movies").check()
    desktop.get_by_label("TV Shows").check()
    desktop.get_by_label("Set these content limits for all of them").check()
    desktop.locator("#id_limit_television_max_rating").select_option("TV-14")
    screenshot(desktop, "members-bulk-access")
    desktop.get_by_role("button", name="Change on Plex").click()

    expect(desktop.get_by_text("Plex confirmed the new access of 3 members.")).to_be_visible()
    for member in people:
        assert libraries_on_plex(sim, member) == [1, 2]
        assert "TV-14" in share_of(sim, member).filter_television


def test_on_a_phone_the_member_page_says_changing_until_plex_confirms(
    phone: Page, sim: PlexSimulator, server: MediaServer, owner: User, live_url: str
) -> None:
    alice = three_members(sim, owner)[0]
    sign_in(phone, live_url)
    sim.inject_fault("POST", "/api/v2/shared_servers/*", host="clients.plex.tv", status=503, times=None)

    phone.goto(f"{live_url}/users/{alice.pk}/access")
    phone.get_by_label("Downloads").check()
    phone.get_by_role("button", name="Change on Plex").click()

    expect(phone.get_by_text("the change for alice waits and will be retried")).to_be_visible()
    changing = phone.locator("#member-access [data-changing]")
    expect(changing).to_be_visible()
    screenshot(phone, "member-access-changing")

    sim.clear_faults()
    run_owed_work()
    # The box asks again every 3 seconds and shows the confirmed access in place.
    expect(changing).to_have_count(0, timeout=10_000)
    expect(phone.locator("#member-access").get_by_text("Downloads")).to_be_visible()
    assert share_of(sim, alice).allow_sync is True


def test_a_change_made_in_plex_itself_is_settled_from_the_member_page(
    desktop: Page, sim: PlexSimulator, server: MediaServer, owner: User, live_url: str
) -> None:
    alice = three_members(sim, owner)[0]
    sim.edit_share(MACHINE_ID, "alice", library_keys=(1, 2, 3))
    sign_in(desktop, live_url)

    desktop.goto(f"{live_url}/users/{alice.pk}")
    desktop.get_by_role("button", name="Refresh from Plex").click()
    expect(desktop.get_by_role("heading", name="Changed in Plex itself")).to_be_visible()
    desktop.get_by_role("button", name="Apply Guestlist's").click()

    expect(desktop.get_by_text("Plex confirmed the new access of alice.")).to_be_visible()
    expect(desktop.get_by_role("heading", name="Changed in Plex itself")).to_have_count(0)
    assert libraries_on_plex(sim, alice) == [1]
