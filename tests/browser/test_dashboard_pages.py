"""The dashboard's pages in Chromium: phone and desktop, light and dark, English and German,
keyboard only, HTMX updates in place, no inline code. Saves screenshots of the main pages to
test-artifacts/screenshots/ (and to docs/screenshots/ with GUESTLIST_DOCS_SCREENSHOTS=1)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect

from guestlist.core.audit import Actor
from guestlist.invites import invite_templates
from guestlist.members.models import Member
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from tests.browser.conftest import DESKTOP, PHONE, ConsoleWatch, csp_violations, screenshot
from tests.conftest import PASSWORD
from tests.dashboard.conftest import join, join_by_email, make_invite

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@dataclass
class Seeded:
    invite: int
    member: int


@pytest.fixture
def seeded(sim: PlexSimulator, server: MediaServer, owner: User) -> Seeded:
    """A lived-in install: invites in every state, members with avatars and expiry dates."""
    family = make_invite(owner, usage_limit=5, description="Family", allow_sync=True, libraries=[1, 2])
    members = [join(sim, family, name) for name in ("alice", "bob", "carol")]
    Member.objects.filter(pk=members[0].pk).update(expires_at=timezone.now() + timedelta(days=3))
    Member.objects.filter(pk=members[1].pk).update(expires_at=timezone.now() + timedelta(days=120))
    single = make_invite(owner, usage_limit=1, description="For Dave")
    join_by_email(single, "dave@example.com")
    make_invite(owner, usage_limit=None, expires_in_days=30, description="Book club")
    switched_off = make_invite(owner, usage_limit=2, description="Office")
    switched_off.is_active = False
    switched_off.save()
    invite_templates.create_template(
        "Week trial", {"usage_limit": 10, "expires_in_days": 7, "user_expires_in_days": 7}, actor=Actor.admin(owner)
    )
    return Seeded(invite=family.pk, member=members[0].pk)


def sign_in(page: Page, live_url: str) -> None:
    page.goto(f"{live_url}/login")
    page.get_by_label("Username").fill("owner")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(f"{live_url}/")


def main_pages(seeded: Seeded) -> dict[str, str]:
    return {
        "overview": "/",
        "invites": "/invites",
        "invite-new": "/invites/new?advanced=1",
        "invite-details": f"/invites/{seeded.invite}",
        "members": "/users",
        "member-details": f"/users/{seeded.member}",
        "settings": "/settings",
        "settings-invites": "/settings/invites",
        "audit-log": "/settings/audit",
    }


# The curated set the README shows (docs/screenshots/).
DOCUMENTED = ("overview", "invites", "invite-details", "members", "settings")

UNLABELLED_CONTROLS = """() => [...document.querySelectorAll('input, select, textarea, button')]
  .filter(el => el.type !== 'hidden' && el.offsetParent !== null)
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby') && !(el.tagName === 'BUTTON' && el.textContent.trim()))
  .map(el => el.outerHTML.slice(0, 120))"""

OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_the_main_pages_on_desktop_and_phone(
    device: str, seeded: Seeded, live_url: str, new_context: Callable[..., BrowserContext]
) -> None:
    page = new_context(**(DESKTOP if device == "desktop" else PHONE)).new_page()
    violations = csp_violations(page)
    sign_in(page, live_url)

    for name, path in main_pages(seeded).items():
        page.goto(f"{live_url}{path}")
        page.wait_for_load_state("networkidle")
        assert page.evaluate(UNLABELLED_CONTROLS) == [], name
        assert page.evaluate(OVERFLOW) <= 1, f"{name} scrolls sideways on a {device}"
        shot = screenshot(page, f"{device}-{name}")
        if os.environ.get("GUESTLIST_DOCS_SCREENSHOTS") and name in DOCUMENTED:
            DOCS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(shot, DOCS / shot.name)

    assert violations == []


def test_avatars_load_under_the_content_security_policy(desktop: Page, seeded: Seeded, live_url: str) -> None:
    sign_in(desktop, live_url)
    desktop.goto(f"{live_url}/users")

    avatars = desktop.locator("img.avatar")
    expect(avatars).to_have_count(3)
    for index in range(3):
        desktop.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=avatars.nth(index).element_handle()
        )


def test_the_owner_can_create_an_invite_with_the_keyboard_alone(desktop: Page, seeded: Seeded, live_url: str) -> None:
    sign_in(desktop, live_url)
    desktop.goto(f"{live_url}/invites")

    desktop.keyboard.press("Tab")
    expect(desktop.get_by_role("link", name="Skip to content")).to_be_focused()
    desktop.keyboard.press("Enter")
    create = desktop.locator("main").get_by_role("button", name="Create invite")
    for _ in range(10):
        desktop.keyboard.press("Tab")
        if create.evaluate("el => el === document.activeElement"):
            break
    expect(create).to_be_focused()
    outline = create.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none", "the focused button shows no focus ring"
    desktop.keyboard.press("Enter")

    expect(desktop.get_by_role("heading", name="Share")).to_be_visible()
    expect(desktop.get_by_text("created with your defaults")).to_be_visible()


def test_filters_update_the_list_in_place_as_you_type(desktop: Page, seeded: Seeded, live_url: str) -> None:
    sign_in(desktop, live_url)
    desktop.goto(f"{live_url}/invites")
    desktop.evaluate("window.stillTheSamePage = true")

    desktop.get_by_label("Search").fill("book")

    expect(desktop.locator("#invite-results tbody tr")).to_have_count(1)
    expect(desktop.locator("#invite-results")).to_contain_text("Book club")
    expect(desktop.locator("#count-all")).to_have_text("1")
    assert "search=book" in desktop.url
    desktop.get_by_text("Disabled", exact=True).click()
    expect(desktop.locator("#invite-results")).to_contain_text("No invites match these filters.")
    assert desktop.evaluate("window.stillTheSamePage") is True


def test_disabling_an_invite_updates_its_status_in_place(desktop: Page, seeded: Seeded, live_url: str) -> None:
    sign_in(desktop, live_url)
    desktop.goto(f"{live_url}/invites/{seeded.invite}")
    desktop.evaluate("window.stillTheSamePage = true")

    desktop.get_by_role("button", name="Disable").click()

    expect(desktop.locator("#invite-status .badge")).to_have_text("Disabled")
    expect(desktop.get_by_text("is disabled.")).to_be_visible()
    desktop.get_by_role("button", name="Make active").click()
    expect(desktop.locator("#invite-status .badge").first).to_have_text("Redeemed")
    assert desktop.evaluate("window.stillTheSamePage") is True


def test_a_failed_action_says_so_instead_of_doing_nothing(
    desktop: Page, seeded: Seeded, live_url: str, console_is_clean: ConsoleWatch
) -> None:
    # Chromium and htmx both report the routed-in failures.
    console_is_clean.allow(r"status of 500|Status Error Code 500|net::ERR_FAILED|htmx:(afterRequest|sendError)")
    sign_in(desktop, live_url)
    desktop.goto(f"{live_url}/invites/{seeded.invite}")
    desktop.route("**/invites/*/**", lambda route: route.fulfill(status=500, body="boom"))

    desktop.get_by_role("button", name="Disable").click()

    expect(desktop.get_by_text("That did not work: the server answered with an error.")).to_be_visible()
    desktop.unroute("**/invites/*/**")
    desktop.route("**/invites/*/**", lambda route: route.abort())
    desktop.get_by_role("button", name="Disable").click()
    expect(desktop.get_by_text("Guestlist could not be reached.")).to_be_visible()
    expect(desktop.locator("[data-request-problem]")).to_have_count(1)


def test_bulk_extending_the_selected_members(desktop: Page, seeded: Seeded, live_url: str) -> None:
    sign_in(desktop, live_url)
    desktop.goto(f"{live_url}/users")

    desktop.get_by_label("Select carol").check()
    desktop.get_by_label("With the selected members").select_option("extend_1m")
    desktop.get_by_role("button", name="Apply").click()

    expect(desktop.get_by_text("Extended 1 member.")).to_be_visible()
    carol = Member.objects.get(username="carol")
    assert carol.expires_at is not None and 27 <= (carol.expires_at - timezone.now()).days <= 31


def test_dark_mode_and_german(seeded: Seeded, live_url: str, new_context: Callable[..., BrowserContext]) -> None:
    page = new_context(**DESKTOP, color_scheme="dark", locale="de-DE").new_page()
    violations = csp_violations(page)
    page.goto(f"{live_url}/login")
    page.get_by_label("Benutzername").fill("owner")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_label("Passwort").press("Enter")

    expect(page.get_by_role("heading", name="Übersicht")).to_be_visible()
    expect(page.get_by_role("button", name="Einladung erstellen")).to_be_visible()
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(18, 20, 23)"
    screenshot(page, "desktop-dark-overview-de")
    page.goto(f"{live_url}/users")
    expect(page.get_by_text("Läuft bald ab").last).to_be_visible()
    screenshot(page, "desktop-dark-members-de")
    assert violations == []
