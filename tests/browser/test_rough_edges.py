"""The rough edges a new user met in Chromium (issue 13), each checked where a person meets it.

Every test here also fails on any console error or CSP violation (tests/browser/conftest.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect

from guestlist.invites.models import Invite
from guestlist.members.models import Member
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from tests.browser.conftest import DESKTOP, PHONE
from tests.conftest import PASSWORD
from tests.dashboard.conftest import join, make_invite


def sign_in(page: Page, live_url: str) -> None:
    page.goto(f"{live_url}/login")
    page.get_by_label("Username").fill("owner")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(f"{live_url}/")


def test_typing_a_members_expiry_date_updates_it_in_place_without_a_csp_violation(
    desktop: Page, live_url: str, sim: PlexSimulator, server: MediaServer, owner: User
) -> None:
    member = join(sim, make_invite(owner), "alice")
    sign_in(desktop, live_url)
    desktop.goto(f"{live_url}/users/{member.pk}")
    desktop.evaluate("window.stillTheSamePage = true")

    field = desktop.get_by_label("Access ends", exact=True)
    field.click()
    desktop.keyboard.type("03042031")
    desktop.keyboard.press("Tab")
    desktop.keyboard.type("0506AM")
    field.press("Enter")

    expect(desktop.get_by_text("Access ends on Mar 4, 2031, 05:06.", exact=True)).to_be_visible()
    assert desktop.evaluate("window.stillTheSamePage") is True
    member.refresh_from_db()
    assert member.expires_at is not None and member.expires_at.year == 2031


def test_a_refused_expiry_is_explained_in_place(
    desktop: Page, live_url: str, sim: PlexSimulator, server: MediaServer, owner: User
) -> None:
    member = join(sim, make_invite(owner), "alice")
    sign_in(desktop, live_url)
    desktop.goto(f"{live_url}/users/{member.pk}")
    desktop.get_by_role("button", name="Set expiry").click()
    expect(desktop.get_by_text("Pick a date, or use “Clear” for no expiry.", exact=True)).to_be_visible()
    desktop.get_by_label("Access ends", exact=True).fill("2031-03-04T05:06")
    desktop.get_by_role("button", name="Set expiry").click()
    expect(desktop.get_by_text(re.compile(r"Access ends on .*2031"))).to_be_visible()
    desktop.get_by_role("button", name="+1 month").click()
    expect(desktop.get_by_text("Expiry extended.")).to_be_visible()


def test_reloading_the_result_of_a_batch_creates_nothing_more(
    desktop: Page, live_url: str, server: MediaServer, owner: User
) -> None:
    sign_in(desktop, live_url)
    desktop.goto(f"{live_url}/invites/new?advanced=1")
    desktop.get_by_label("How many invites").fill("3")
    desktop.get_by_label("Description").fill("Party")
    desktop.get_by_role("button", name="Create", exact=True).click()

    expect(desktop.get_by_role("heading", name="3 invites created")).to_be_visible()
    expect(desktop.get_by_text("Party")).to_be_visible()
    expect(desktop).to_have_url(re.compile(r"/invites/created\?ids="))
    desktop.reload()
    expect(desktop.get_by_role("heading", name="3 invites created")).to_be_visible()
    assert Invite.objects.count() == 3


def test_a_form_with_errors_starts_with_a_focused_summary_that_leads_to_each_field(
    desktop: Page, live_url: str, server: MediaServer, owner: User
) -> None:
    sign_in(desktop, live_url)
    desktop.goto(f"{live_url}/invites/new?advanced=1")
    desktop.get_by_label("Usage limit").fill("0")
    desktop.get_by_label("How many invites").fill("500")
    desktop.get_by_role("button", name="Create", exact=True).click()

    summary = desktop.get_by_role("alert").filter(has_text="Please correct 2 problems")
    expect(summary).to_be_focused()
    assert desktop.evaluate("document.activeElement.getBoundingClientRect().top") < 300
    summary.get_by_role("link", name=re.compile("^How many invites")).click()
    count = desktop.get_by_label("How many invites")
    expect(count).to_be_focused()
    described = (count.get_attribute("aria-describedby") or "").split()
    assert any(desktop.locator(f"#{name}").inner_text().startswith("Ensure") for name in described)
    assert Invite.objects.count() == 0


HEADERS_IN_VIEW = """() => {
  const wrap = document.querySelector('#member-results .table-wrap');
  const right = Math.min(wrap.getBoundingClientRect().right, window.innerWidth);
  return [...wrap.querySelectorAll('th')].filter(th => th.offsetParent !== null)
    .filter(th => th.getBoundingClientRect().right > right + 1).map(th => th.textContent.trim());
}"""


def test_the_members_table_shows_status_and_expiry_on_a_laptop_and_a_phone(
    live_url: str, sim: PlexSimulator, server: MediaServer, owner: User, new_context: Callable[..., BrowserContext]
) -> None:
    invite = make_invite(owner, usage_limit=5)
    for name in ("alice", "bob", "carol"):
        join(sim, invite, name)
    Member.objects.update(expires_at=timezone.now() + timedelta(days=40))
    for device in (DESKTOP, PHONE):
        page = new_context(**device).new_page()
        sign_in(page, live_url)
        page.goto(f"{live_url}/users")
        expect(page.locator("#member-results th").filter(has_text="Expires")).to_be_visible()
        assert page.evaluate(HEADERS_IN_VIEW) == [], device
        page.close()


def test_tabs_on_a_phone_hint_that_they_scroll_and_show_the_current_one(
    phone: Page, live_url: str, server: MediaServer, owner: User
) -> None:
    sign_in(phone, live_url)
    phone.goto(f"{live_url}/settings/audit")
    current = phone.get_by_role("navigation", name="Settings sections").get_by_role("link", name="Audit log")
    box = current.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    phone.goto(f"{live_url}/invites")
    tabs = phone.locator("fieldset.tabs")
    if tabs.evaluate("el => el.scrollWidth > el.clientWidth"):
        expect(tabs).to_have_class(re.compile("scrolls-more"))


def test_german_expiry_buttons_fit_on_one_line_each(
    live_url: str, sim: PlexSimulator, server: MediaServer, owner: User, new_context: Callable[..., BrowserContext]
) -> None:
    member = join(sim, make_invite(owner), "alice")
    page = new_context(**PHONE, locale="de-DE").new_page()
    page.goto(f"{live_url}/login")
    page.get_by_label("Benutzername").fill("owner")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_label("Passwort").press("Enter")
    page.wait_for_url(f"{live_url}/")
    page.goto(f"{live_url}/users/{member.pk}")

    expect(page.get_by_role("button", name="Kein Ablaufdatum")).to_be_visible()
    year = page.get_by_role("button", name="+1 Jahr")
    week = page.get_by_role("button", name="+1 Woche")
    assert year.evaluate("el => el.getBoundingClientRect().height") == week.evaluate(
        "el => el.getBoundingClientRect().height"
    )
    assert year.evaluate("el => el.scrollWidth <= el.clientWidth + 1")
