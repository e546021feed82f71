"""Invite requests end to end (issue 22): a stranger asks from a phone, the owner approves on a
desktop with a template, the invite arrives by mail through a real SMTP server (aiosmtpd), and
the stranger joins from their status page. German strings are checked on a German phone."""

from __future__ import annotations

import re
from collections.abc import Callable
from email.message import EmailMessage

from django.contrib.auth.models import User
from playwright.sync_api import BrowserContext, Page, expect

from guestlist.invite_requests.models import InviteRequest
from guestlist.invites.models import InviteTemplate
from guestlist.members.models import Member
from guestlist.notifications.models import MailServer
from guestlist.plex.models import MediaServer
from guestlist.plexsim.state import Account
from tests.browser.conftest import PHONE, csp_violations, screenshot
from tests.browser.test_dashboard_e2e import sign_in
from tests.notifications.conftest import MailBox, send_due, smtp

__all__ = ["smtp"]

LINK = re.compile(r"https?://\S+/(?:request/status|invite)/[A-Za-z0-9_:.\-]+")


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def links_in(message: EmailMessage) -> list[str]:
    return LINK.findall(text_of(message))


def fits(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_a_stranger_asks_from_a_phone_and_the_owner_approves_on_a_desktop(
    desktop: Page,
    phone: Page,
    live_url: str,
    server: MediaServer,
    owner: User,
    guest: Account,
    smtp: MailBox,
    new_context: Callable[..., BrowserContext],
) -> None:
    MailServer(host="127.0.0.1", port=smtp.port, security="none", from_address="guestlist@example.com").save()
    InviteTemplate.objects.create(name="Friends and family", usage_limit=None, allow_sync=True)
    owner_violations = csp_violations(desktop)
    stranger_violations = csp_violations(phone)

    # The owner opens the request page with a question of their own.
    sign_in(desktop, live_url)
    desktop.goto(f"{live_url}/settings/requests")
    desktop.get_by_label("Let people ask for an invite at /request").check()
    desktop.get_by_label("Your own questions").fill("Who told you about this server?")
    desktop.get_by_role("button", name="Save").click()
    expect(desktop.get_by_text("Invite request settings saved.")).to_be_visible()

    # A stranger without a code finds the form from /join on their phone.
    phone.goto(f"{live_url}/join")
    phone.get_by_role("link", name="Ask the owner for an invite").click()
    expect(phone.get_by_role("heading", name="Ask for an invite")).to_be_visible()
    phone.get_by_label("Your name").fill("Rosa Stranger")
    phone.get_by_label("Your e-mail address").fill(guest.email)
    phone.get_by_label("A message to the owner (optional)").fill("Tom's neighbour, loves documentaries.")
    phone.get_by_label("Who told you about this server?").fill("Tom")
    assert fits(phone)
    screenshot(phone, "phone-invite-request-form")
    phone.get_by_role("button", name="Send my request").click()
    expect(phone.get_by_role("heading", name="Request received")).to_be_visible()
    assert fits(phone)
    screenshot(phone, "phone-invite-request-received")
    phone.get_by_role("link", name="Open my status page").click()
    expect(phone.get_by_role("heading", name="Waiting for the owner")).to_be_visible()
    status_url = phone.url

    send_due()
    [confirmation] = smtp.messages
    assert confirmation["To"] == guest.email
    assert status_url in links_in(confirmation)

    # The owner sees the request in the dashboard and approves it with the template.
    desktop.get_by_role("link", name="Requests", exact=True).click()
    desktop.get_by_role("link", name="Rosa Stranger").click()
    expect(desktop.get_by_text("Tom's neighbour, loves documentaries.")).to_be_visible()
    desktop.get_by_label("Invite template").select_option(label="Friends and family")
    screenshot(desktop, "desktop-invite-request")
    desktop.get_by_role("button", name="Approve and create the invite").click()
    expect(desktop.get_by_text("Approved. The invite is on its way by e-mail.")).to_be_visible()
    asked = InviteRequest.objects.get()
    assert asked.status == "approved" and asked.invite is not None
    invite = asked.invite
    assert invite.usage_limit == 1 and invite.allow_sync

    send_due()
    approval = smtp.messages[-1]
    assert approval["To"] == guest.email
    assert f"{live_url}/invite/{invite.code}" in links_in(approval)

    # The stranger's status page now holds the invite; they join with Plex.
    phone.goto(status_url)
    expect(phone.get_by_role("heading", name="Approved")).to_be_visible()
    screenshot(phone, "phone-invite-request-approved")
    phone.get_by_role("link", name="Open my invite").click()
    expect(phone).to_have_url(re.compile(rf"/invite/{invite.code}$"))
    phone.get_by_role("button", name="Sign in with Plex").click()
    phone.get_by_role("button", name=guest.username).click()
    expect(phone).to_have_url(re.compile(r"/welcome/[^/]+$"))
    assert Member.objects.filter(invite=invite, plex_id=guest.id).exists()

    assert owner_violations == [] and stranger_violations == []

    # The same page, in German.
    german = new_context(**PHONE, locale="de-DE").new_page()
    german.goto(f"{live_url}/request")
    expect(german.get_by_role("heading", name="Um eine Einladung bitten")).to_be_visible()
    expect(german.get_by_label("Dein Name")).to_be_visible()
    german.goto(status_url)
    expect(german.get_by_role("heading", name="Angenommen")).to_be_visible()
