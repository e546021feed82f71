"""A friend redeems an invite in a real browser (Debian's Chromium), against the simulator."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.test import Client
from playwright.sync_api import BrowserContext, Page, expect

from guestlist.invites.models import Invite, Redemption
from guestlist.members.models import Member
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from tests.browser.conftest import PHONE, ConsoleWatch, csp_violations, screenshot
from tests.conftest import MACHINE_ID
from tests.invites.test_redeem_email import make_invite

WELCOME = re.compile(r"/welcome/[^/]+$")


def accepted_share_for(sim: PlexSimulator, username: str) -> bool:
    account = sim.account(username)
    return any(share.invited_id == account.id and share.accepted for share in sim.shares_of(MACHINE_ID))


def test_a_friend_redeems_on_a_phone_by_signing_in_with_plex(
    phone: Page, live_url: str, api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    violations = csp_violations(phone)
    invite = make_invite(api, libraries=[1, 2], allow_sync=True, user_expires_in_days=30)
    phone.goto(f"{live_url}/invite/{invite['code'].lower()}")
    expect(phone.get_by_role("heading", name="Guestlist Test")).to_be_visible()
    expect(phone.get_by_text("Movies, TV Shows")).to_be_visible()
    screenshot(phone, "phone-invite")

    phone.get_by_role("button", name="Sign in with Plex").click()
    # A phone gets Plex's page in the same tab, with a way back (forwardUrl).
    expect(phone).to_have_url(re.compile(rf"^{re.escape(sim.plex_tv_url)}/auth#\?"))
    assert "forwardUrl=" in phone.url
    screenshot(phone, "phone-plex-sign-in")
    phone.get_by_role("button", name="guest").click()

    expect(phone).to_have_url(WELCOME)
    expect(phone.get_by_text("Welcome, guest!")).to_be_visible()
    expect(phone.get_by_text("is now in your Plex account")).to_be_visible()
    screenshot(phone, "phone-welcome")

    assert accepted_share_for(sim, "guest")
    member = Member.objects.get()
    assert (member.status, member.username) == ("active", "guest")
    assert Redemption.objects.get().user_token_encrypted == ""
    assert Invite.objects.get().used_count == 1
    assert violations == []


def test_on_a_desktop_plex_opens_in_a_popup_and_the_page_follows(
    desktop: Page, live_url: str, api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    violations = csp_violations(desktop)
    invite = make_invite(api)
    desktop.goto(f"{live_url}/invite/{invite['code']}")
    with desktop.expect_popup() as opened:
        desktop.get_by_role("button", name="Sign in with Plex").click()
    popup = opened.value
    expect(desktop.get_by_role("status")).to_contain_text("Waiting for you to sign in")
    expect(popup).to_have_url(re.compile(rf"^{re.escape(sim.plex_tv_url)}/auth#\?"))
    assert "forwardUrl=" not in popup.url
    popup.get_by_role("button", name="guest").click()

    expect(desktop).to_have_url(WELCOME)
    expect(desktop.get_by_text("is now in your Plex account")).to_be_visible()
    screenshot(desktop, "desktop-welcome")
    assert accepted_share_for(sim, "guest")
    assert violations == []


def test_a_refused_sign_in_comes_back_with_what_to_do_next(
    desktop: Page, live_url: str, api: Client, server: MediaServer, sim: PlexSimulator, console_is_clean: ConsoleWatch
) -> None:
    # The refusal is a 409 answer (the API's to the page's script, then the page's own), which Chromium logs.
    console_is_clean.allow(r"status of 409 \(Conflict\) \(.*(/api/invites/redeem|\?problem=owner_account)\)")
    invite = make_invite(api)
    desktop.goto(f"{live_url}/invite/{invite['code']}")
    with desktop.expect_popup() as opened:
        desktop.get_by_role("button", name="Sign in with Plex").click()
    opened.value.get_by_role("button", name="plexowner").click()
    expect(desktop).to_have_url(re.compile(r"\?problem=owner_account$"))
    expect(desktop.get_by_role("alert")).to_contain_text("This is the server owner's own Plex account")
    expect(desktop.get_by_role("button", name="Sign in with Plex")).to_be_visible()
    assert Invite.objects.get().used_count == 0


def test_a_friend_redeems_by_email_on_a_phone(
    phone: Page, live_url: str, api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    violations = csp_violations(phone)
    invite = make_invite(api)
    phone.goto(f"{live_url}/invite/{invite['code']}")
    phone.get_by_label("Get the invitation by e-mail").fill("carol@example.com")
    phone.get_by_role("button", name="Send me the invitation").click()
    expect(phone).to_have_url(WELCOME)
    expect(phone.get_by_text("Plex has sent an invitation to carol@example.com")).to_be_visible()
    screenshot(phone, "phone-welcome-email")
    assert any(mail["to"] == "carol@example.com" for mail in sim.emails())
    assert Member.objects.get().status == "pending"
    assert violations == []


def test_a_german_phone_gets_german_pages(
    new_context: Callable[..., BrowserContext], live_url: str, api: Client, server: MediaServer
) -> None:
    context = new_context(**PHONE, locale="de-DE")
    page = context.new_page()
    invite = make_invite(api, expires_in_days=3)
    page.goto(f"{live_url}/invite/{invite['code']}")
    expect(page.get_by_role("button", name="Mit Plex anmelden")).to_be_visible()
    expect(page.get_by_text("Einladung gültig bis")).to_be_visible()
    screenshot(page, "phone-invite-de")
