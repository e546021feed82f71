"""Issue 13's rules on the settings pages added since (Security, Notifications, Backups, Import):
they fit a phone in English and German with the current tab in view, a successful form leaves
nothing to send again on reload, and a form that fails starts with a focused error summary.

Every test here also fails on any console error or CSP violation (tests/browser/conftest.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from django.contrib.auth.models import User
from playwright.sync_api import BrowserContext, Page, expect

from guestlist.accounts.models import RecoveryCode
from guestlist.invites.models import Invite
from guestlist.notifications.models import Destination
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from tests.accounts.conftest import enrol_totp
from tests.browser.conftest import PHONE
from tests.browser.test_rough_edges import sign_in
from tests.conftest import PASSWORD
from tests.transfer.test_erase_and_dashboard import a_komandorr_file

SETTINGS_PAGES = [
    "/settings",
    "/settings/invites",
    "/settings/members",
    "/settings/welcome",
    "/settings/inactivity",
    "/settings/requests",
    "/settings/notifications",
    "/settings/backups",
    "/settings/api-keys",
    "/settings/admins",
    "/settings/security",
    "/settings/import",
    "/settings/audit",
]
SIDEWAYS = "() => document.documentElement.scrollWidth - window.innerWidth"


def test_every_settings_page_fits_a_phone_in_english_and_german_with_its_tab_in_view(
    live_url: str, server: MediaServer, owner: User, new_context: Callable[..., BrowserContext]
) -> None:
    for locale in ("en-US", "de-DE"):
        page = new_context(**PHONE, locale=locale).new_page()
        page.goto(f"{live_url}/login")
        page.locator("#id_username").fill("owner")
        page.locator("#id_password").fill(PASSWORD)
        page.locator("#id_password").press("Enter")
        page.wait_for_url(f"{live_url}/")
        for path in SETTINGS_PAGES:
            page.goto(f"{live_url}{path}")
            assert page.evaluate(SIDEWAYS) <= 1, f"{path} scrolls sideways on a phone ({locale})"
            current = page.locator(".subnav a[aria-current=page]")
            expect(current).to_have_count(1)
            box = current.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 391, (path, locale, box)
        page.close()


def test_a_wrong_password_change_starts_with_a_focused_summary(
    desktop: Page, live_url: str, server: MediaServer, owner: User
) -> None:
    sign_in(desktop, live_url)
    desktop.goto(f"{live_url}/settings/security")
    desktop.get_by_role("button", name="Change password").click()

    summary = desktop.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    assert desktop.evaluate("document.activeElement.getBoundingClientRect().top") < 300
    first = summary.get_by_role("link").first
    target = first.get_attribute("data-focus-field")
    first.click()
    expect(desktop.locator(f"#{target}")).to_be_focused()


def test_new_recovery_codes_are_shown_once_and_a_reload_makes_no_others(
    desktop: Page, live_url: str, server: MediaServer, owner: User
) -> None:
    sign_in(desktop, live_url)
    enrol_totp(owner)
    old = set(RecoveryCode.objects.filter(user=owner).values_list("code_hash", flat=True))
    desktop.goto(f"{live_url}/settings/security")
    desktop.once("dialog", lambda dialog: dialog.accept())
    desktop.get_by_role("button", name="Make new codes").click()

    expect(desktop.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(desktop).to_have_url(re.compile(r"/settings/security/recovery-codes$"))
    shown = desktop.locator("[data-recovery-codes] code").all_inner_texts()
    assert len(shown) == 10
    renewed = set(RecoveryCode.objects.filter(user=owner).values_list("code_hash", flat=True))
    assert renewed and renewed.isdisjoint(old)
    desktop.reload()
    expect(desktop).to_have_url(re.compile(r"/settings/security$"))
    assert set(RecoveryCode.objects.filter(user=owner).values_list("code_hash", flat=True)) == renewed


def test_a_new_webhooks_secret_is_shown_once_and_a_reload_adds_nothing(
    desktop: Page, live_url: str, server: MediaServer, owner: User
) -> None:
    sign_in(desktop, live_url)
    desktop.goto(f"{live_url}/settings/notifications")
    desktop.get_by_label("Kind").select_option("webhook")
    desktop.get_by_label("Name", exact=True).fill("Hook")
    desktop.get_by_label("Apprise URL or webhook URL").fill("http://127.0.0.1:9/hook")
    desktop.locator("input[name=events]").first.check()
    desktop.get_by_role("button", name="Add destination").click()

    secret = desktop.locator("#new-secret")
    expect(secret).to_have_value(re.compile("^whsec_"))
    desktop.reload()
    expect(desktop.locator("#new-secret")).to_have_count(0)
    assert Destination.objects.filter(name="Hook").count() == 1


def test_an_import_preview_and_its_result_survive_a_reload_without_importing_twice(
    desktop: Page, live_url: str, sim: PlexSimulator, server: MediaServer, owner: User, tmp_path: Path
) -> None:
    upload = tmp_path / "komandorr.db"
    upload.write_bytes(a_komandorr_file(tmp_path, sim))
    sign_in(desktop, live_url)
    desktop.goto(f"{live_url}/settings/import")
    desktop.get_by_label("Import from", exact=True).select_option("komandorr")
    desktop.locator("input[type=file]").set_input_files(str(upload))
    desktop.get_by_role("button", name="Preview").click()

    expect(desktop.get_by_role("heading", name="Preview: nothing is imported yet")).to_be_visible()
    desktop.reload()
    expect(desktop.get_by_role("heading", name="Preview: nothing is imported yet")).to_be_visible()
    assert not Invite.objects.exists()
    desktop.get_by_role("button", name="Import now").click()

    expect(desktop.get_by_role("heading", name="Imported")).to_be_visible()
    expect(desktop.get_by_text("Import finished.")).to_be_visible()
    assert Invite.objects.count() == 2
    desktop.reload()
    expect(desktop.get_by_role("heading", name="Imported")).to_have_count(0)
    assert Invite.objects.count() == 2
