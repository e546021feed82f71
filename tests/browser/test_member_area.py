"""The members' model on a phone (390 px): a member with Create Invites signs in with Plex,
creates an invite within their quota and copies its link; a trial member sees they cannot."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.contrib.auth.models import User
from playwright.sync_api import BrowserContext, Page, expect

from guestlist.core.audit import Actor
from guestlist.core.models import SiteSettings
from guestlist.invites import services as invites
from guestlist.invites.models import Invite
from guestlist.members import permissions
from guestlist.members.logins import ensure_user
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from tests.browser.conftest import PHONE, csp_violations, screenshot
from tests.dashboard.conftest import join


def member_with(sim: PlexSimulator, owner: User, username: str, perms: list[str], **invite: object) -> User:
    made = invites.create_invite(dict(invite), actor=Actor.admin(owner), created_by=owner)
    member = join(sim, made, username)
    user = ensure_user(member, actor=Actor.system("test"))
    permissions.set_user_permissions(user, perms)
    return user


def sign_in_with_plex(page: Page, live_url: str, account: str) -> None:
    page.goto(f"{live_url}/login")
    page.get_by_role("button", name="Sign in with Plex").click()
    page.get_by_role("button", name=account).click()
    expect(page).to_have_url(re.compile(r"/me/$"))


def fits_the_phone(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_a_member_invites_a_friend_from_a_phone_and_a_trial_member_cannot(
    phone: Page,
    live_url: str,
    server: MediaServer,
    owner: User,
    sim: PlexSimulator,
    new_context: Callable[..., BrowserContext],
) -> None:
    site = SiteSettings.load()
    site.default_quota_limit, site.default_quota_days = 2, 30
    site.save()
    alice = member_with(sim, owner, "alice", [permissions.CREATE_INVITES, permissions.VIEW_INVITES])
    violations = csp_violations(phone)
    phone.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_url)

    sign_in_with_plex(phone, live_url, "alice")
    expect(phone.get_by_role("heading", name="Hello, alice")).to_be_visible()
    expect(phone.get_by_text("2 of 2 invites left in 30 days.")).to_be_visible()
    assert fits_the_phone(phone)
    screenshot(phone, "phone-member-area")

    phone.get_by_role("button", name="Create invite").first.click()
    expect(phone.get_by_role("heading", name="Your new invite")).to_be_visible()
    expect(phone.get_by_text("1 of 2 invites left in 30 days.")).to_be_visible()
    invite = Invite.objects.get(created_by=alice)
    assert (invite.usage_limit, invite.expires_at, invite.libraries) == (1, None, "default")
    card = phone.locator(".created [data-invite]")
    card.get_by_role("button", name="Copy link").click()
    expect(card.get_by_role("button", name="Copied")).to_be_visible()
    copied = phone.evaluate("navigator.clipboard.readText()")
    assert copied == f"{live_url}/invite/{invite.code}"
    card.get_by_text("Show QR code").click()
    qr_image = card.get_by_role("img", name="QR code of the invite link")
    expect(qr_image).to_be_visible()
    phone.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=qr_image.element_handle())
    assert fits_the_phone(phone)
    screenshot(phone, "phone-member-invite-created")

    member_with(sim, owner, "bob", [permissions.CREATE_INVITES], trial=14)
    trial_phone = new_context(**PHONE).new_page()
    sign_in_with_plex(trial_phone, live_url, "bob")
    expect(trial_phone.get_by_text("Members in their trial period cannot create invites yet.")).to_be_visible()
    expect(trial_phone.get_by_text("Your trial ends on")).to_be_visible()
    expect(trial_phone.get_by_role("button", name="Create invite")).to_have_count(0)
    trial_phone.get_by_label("Message to the owner").fill("Can I invite my brother?")
    trial_phone.get_by_role("button", name="Ask for more time").click()
    expect(trial_phone.get_by_text("Your request was sent to the owner.")).to_be_visible()
    assert fits_the_phone(trial_phone)
    screenshot(trial_phone, "phone-member-trial")
    assert violations == []
