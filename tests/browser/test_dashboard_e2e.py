"""The owner's main path in a real browser, against the live app and the Plex simulator:
setup wizard → create invite → copy link → a friend redeems in a second browser → the member
appears with their avatar → set expiry → remove → the share is gone in the simulator."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, Page, expect

from guestlist.accounts.setup import issue_setup_token
from guestlist.members.models import Member
from guestlist.plexsim import PlexSimulator
from tests.browser.conftest import PHONE, csp_violations, screenshot
from tests.conftest import MACHINE_ID, PASSWORD, SERVER_NAME


def set_up_guestlist(page: Page, live_url: str) -> None:
    token = issue_setup_token()
    page.goto(f"{live_url}/setup?token={token}")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create owner").click()

    expect(page.get_by_role("heading", name="Connect your Plex server")).to_be_visible()
    page.get_by_role("button", name="Sign in with Plex").click()
    # The simulator's plex.tv sign-in page: pick the account that owns the server.
    expect(page.get_by_role("heading", name="Sign in to Plex")).to_be_visible()
    page.get_by_role("button", name="plexowner").click()

    expect(page.get_by_role("heading", name="Pick your server")).to_be_visible()
    page.get_by_role("button", name=f"Connect {SERVER_NAME}").click()

    expect(page.get_by_role("heading", name="Defaults for your invites")).to_be_visible()
    expect(page.get_by_text(f"Connected to {SERVER_NAME} with 4 libraries.")).to_be_visible()
    page.get_by_label("Photos").uncheck()
    page.get_by_role("button", name="Save and finish").click()
    expect(page.get_by_text("Guestlist is ready.")).to_be_visible()


def redeem_as_friend(context: BrowserContext, live_url: str, code: str, account: str) -> None:
    """A friend opens the copied link on their phone and signs in with Plex as ``account``.

    PUBLIC API STAND-IN: the public redemption pages (/invite/CODE) are built on the
    `public` branch, not merged when this was written. While /invite/CODE is not there,
    the same flow runs through the public API those pages call, with the simulator's real
    Plex sign-in page in the friend's browser. Once the pages are merged the first branch
    below drives them instead, with no change here.
    """
    friend = context.new_page()
    page = friend.goto(f"{live_url}/invite/{code}")
    if page is not None and page.status == 200:
        friend.get_by_role("button", name="Sign in with Plex").click()
        friend.get_by_role("button", name=account).click()
        expect(friend).to_have_url(re.compile(r"/welcome/[^/]+$"))
    else:
        started = context.request.post(f"{live_url}/api/invites/oauth/start", data={"code": code})
        assert started.status == 201, started.text()
        body = started.json()
        friend.goto(body["auth_url"])
        friend.get_by_role("button", name=account).click()
        expect(friend.get_by_text("Signed in.")).to_be_visible()
        redeemed = context.request.post(f"{live_url}/api/invites/redeem", data={"code": code, "pin_id": body["pin_id"]})
        assert redeemed.status == 201, redeemed.text()
    friend.close()


def test_the_owner_sets_up_invites_a_friend_and_takes_their_access_away(
    desktop: Page, live_url: str, sim: PlexSimulator, new_context: Callable[..., BrowserContext]
) -> None:
    violations = csp_violations(desktop)
    desktop.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_url)

    set_up_guestlist(desktop, live_url)

    desktop.get_by_role("navigation", name="Main").get_by_role("link", name="Invites").click()
    desktop.get_by_role("button", name="Create invite").first.click()
    expect(desktop.get_by_role("heading", name=re.compile(r"^Invite "))).to_be_visible()
    link = desktop.get_by_label("Invite link").input_value()
    code = urlsplit(link).path.rsplit("/", 1)[1]
    assert link == f"{live_url}/invite/{code}"
    desktop.get_by_role("button", name="Copy link").click()
    expect(desktop.get_by_role("button", name="Copied")).to_be_visible()
    assert desktop.evaluate("navigator.clipboard.readText()") == link

    redeem_as_friend(new_context(**PHONE), live_url, code, "guest")

    desktop.get_by_role("navigation", name="Main").get_by_role("link", name="Members").click()
    row = desktop.get_by_role("row").filter(has_text="guest@example.com")
    expect(row).to_be_visible()
    expect(row.get_by_text("Active").last).to_be_visible()
    avatar = row.locator("img.avatar")
    expect(avatar).to_have_attribute("src", f"{sim.plex_tv_url}/__sim/avatars/guest.svg")
    desktop.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=avatar.element_handle())

    row.get_by_role("link", name="guest").click()
    expect(desktop.get_by_role("heading", name="guest", exact=True)).to_be_visible()
    desktop.get_by_label("Access ends", exact=True).fill("2031-03-04T05:06")
    desktop.get_by_role("button", name="Set expiry").click()
    expect(desktop.get_by_text(re.compile(r"Access ends on .*2031"))).to_be_visible()
    member = Member.objects.get()
    assert member.expires_at is not None and member.expires_at.year == 2031

    assert [share for share in sim.shares_of(MACHINE_ID) if share.invited_id == sim.account("guest").id]
    desktop.once("dialog", lambda dialog: dialog.accept())
    desktop.get_by_role("button", name="Remove access").click()
    expect(desktop.get_by_text("guest no longer has access to your server.")).to_be_visible()
    expect(desktop.get_by_role("button", name="Re-invite")).to_be_visible()
    screenshot(desktop, "e2e-desktop-member-removed")
    assert [share for share in sim.shares_of(MACHINE_ID) if share.invited_id == sim.account("guest").id] == []
    member.refresh_from_db()
    assert member.status == Member.Status.REMOVED
    assert violations == []


def test_declining_the_confirmation_keeps_the_member(
    desktop: Page, live_url: str, sim: PlexSimulator, owner: Any, server: Any
) -> None:
    from tests.dashboard.conftest import join, make_invite

    member = join(sim, make_invite(owner, usage_limit=2), "alice")
    sign_in(desktop, live_url)
    desktop.goto(f"{live_url}/users/{member.pk}")
    desktop.once("dialog", lambda dialog: dialog.dismiss())

    desktop.get_by_role("button", name="Remove access").click()

    expect(desktop.get_by_role("button", name="Remove access")).to_be_visible()
    member.refresh_from_db()
    assert member.status == Member.Status.ACTIVE


def sign_in(page: Page, live_url: str, username: str = "owner") -> None:
    page.goto(f"{live_url}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
