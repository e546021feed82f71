"""Onboarding steps in a real browser: a friend on a phone accepts the house rules, joins, follows the
after-joining steps to open Plex and finds them again later; the owner edits steps with a live preview."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from playwright.sync_api import BrowserContext, Page, expect

from guestlist.core.audit import Actor
from guestlist.invites import onboarding
from guestlist.invites.models import Redemption, Step, StepSet
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from tests.browser.conftest import PHONE, csp_violations, screenshot
from tests.browser.test_dashboard_e2e import sign_in
from tests.browser.test_member_area import sign_in_with_plex
from tests.invites.test_redeem_email import make_invite
from tests.steps.helpers import add_step, default_set, house_rules

WELCOME = re.compile(r"/welcome/[^/?]+(\?.*)?$")


@pytest.fixture(autouse=True)
def shipped_steps(db: None) -> None:
    """What migration invites/0012 seeds; a live server's tests flush the tables between tests."""
    if not Step.objects.filter(step_set__is_default=True).exists():
        onboarding.reset_set(onboarding.default_set(), actor=Actor.system("test"))


def test_a_friend_accepts_the_rules_joins_on_a_phone_and_finds_the_steps_again(
    phone: Page,
    live_url: str,
    api: Client,
    server: MediaServer,
    sim: PlexSimulator,
    new_context: Callable[..., BrowserContext],
) -> None:
    violations = csp_violations(phone)
    set_id = default_set(api)["id"]
    add_step(api, set_id, group="before", title="Welcome to {server}", body="Hi {name}! Read on, it is short.")
    rules = house_rules(api, set_id)
    add_step(
        api,
        set_id,
        group="after",
        title="Ask for films",
        buttons=[{"kind": "link", "label": "Requests", "url": "https://requests.example.com"}],
    )
    invite = make_invite(api, user_expires_in_days=30)

    phone.goto(f"{live_url}/invite/{invite['code']}")
    expect(phone.get_by_text("Step 1 of 3")).to_be_visible()
    expect(phone.get_by_role("heading", name="Welcome to Guestlist Test")).to_be_visible()
    screenshot(phone, "phone-steps-before-1")
    phone.get_by_role("link", name="Next").click()
    expect(phone.get_by_role("heading", name="House rules")).to_be_visible()
    # The browser itself insists on the tick: pressing Next without it stays on the step.
    phone.get_by_role("button", name="Next").click()
    expect(phone.get_by_role("heading", name="House rules")).to_be_visible()
    phone.get_by_label("I accept the house rules").check()
    screenshot(phone, "phone-steps-house-rules")
    phone.get_by_role("button", name="Next").click()
    expect(phone.get_by_text("Step 3 of 3")).to_be_visible()

    phone.get_by_role("button", name="Sign in with Plex").click()
    expect(phone).to_have_url(re.compile(rf"^{re.escape(sim.plex_tv_url)}/auth#\?"))
    phone.get_by_role("button", name="guest").click()
    expect(phone).to_have_url(WELCOME)
    expect(phone.get_by_text("is now in your Plex account")).to_be_visible()
    assert [r["id"] for r in Redemption.objects.get().accepted_steps] == [rules["id"]]

    # After joining: the steps, to the end, through the button that opens Plex.
    expect(phone.get_by_text("Step 1 of 4")).to_be_visible()
    expect(phone.get_by_role("link", name="Open Plex in your browser")).to_have_attribute(
        "href", "https://app.plex.tv/desktop"
    )
    screenshot(phone, "phone-steps-after-1")
    for number in (2, 3, 4):
        phone.get_by_role("link", name="Next").click()
        expect(phone.get_by_text(f"Step {number} of 4")).to_be_visible()
    expect(phone.get_by_role("link", name="Requests")).to_be_visible()
    start_url = phone.locator("[data-come-back]").get_attribute("href")
    assert start_url and "/start/" in start_url

    # Later, on another phone, without signing in: the getting-started link.
    later = new_context(**PHONE).new_page()
    later.goto(start_url)
    expect(later.get_by_role("heading", name="Open Plex on your TV, phone or computer")).to_be_visible()
    screenshot(later, "phone-steps-come-back")

    # Or signed in to their own page.
    member_page = new_context(**PHONE).new_page()
    sign_in_with_plex(member_page, live_url, "guest")
    member_page.get_by_role("link", name="Getting started").click()
    expect(member_page.get_by_text("Step 1 of 4")).to_be_visible()
    member_page.get_by_role("link", name="Next").click()
    expect(member_page.get_by_role("heading", name="Find what Guestlist Test shares with you")).to_be_visible()
    assert violations == []


def test_keys_move_through_the_steps_on_a_desktop_but_never_past_a_rule(
    desktop: Page, live_url: str, api: Client, server: MediaServer
) -> None:
    set_id = default_set(api)["id"]
    add_step(api, set_id, group="before", title="First things")
    house_rules(api, set_id)
    invite = make_invite(api)
    desktop.goto(f"{live_url}/invite/{invite['code']}")
    expect(desktop.get_by_role("heading", name="First things")).to_be_visible()
    desktop.keyboard.press("ArrowRight")
    expect(desktop.get_by_role("heading", name="House rules")).to_be_visible()
    desktop.keyboard.press("ArrowRight")
    expect(desktop.get_by_role("heading", name="House rules")).to_be_visible()
    desktop.keyboard.press("ArrowLeft")
    expect(desktop.get_by_role("heading", name="First things")).to_be_visible()
    desktop.keyboard.press("ArrowRight")
    desktop.get_by_label("I accept the house rules").check()
    desktop.locator("body").focus()
    desktop.keyboard.press("ArrowRight")
    expect(desktop.get_by_role("button", name="Sign in with Plex")).to_be_visible()


def test_a_swipe_moves_through_the_steps_on_a_phone(
    phone: Page, live_url: str, api: Client, server: MediaServer
) -> None:
    set_id = default_set(api)["id"]
    add_step(api, set_id, group="before", title="Swipe me")
    invite = make_invite(api)
    phone.goto(f"{live_url}/invite/{invite['code']}")
    expect(phone.get_by_role("heading", name="Swipe me")).to_be_visible()
    phone.evaluate(
        """() => {
          const guide = document.querySelector('[data-steps]');
          const touch = (x) => new Touch({identifier: 1, target: guide, clientX: x, clientY: 300});
          const start = [touch(320)];
          guide.dispatchEvent(new TouchEvent('touchstart', {bubbles: true, touches: start, changedTouches: start}));
          const end = [touch(80)];
          guide.dispatchEvent(new TouchEvent('touchend', {bubbles: true, touches: [], changedTouches: end}));
        }"""
    )
    expect(phone.get_by_role("button", name="Sign in with Plex")).to_be_visible()


def test_the_owner_edits_a_step_with_a_live_preview_and_reorders_by_keyboard(
    desktop: Page, live_url: str, owner: User, server: MediaServer
) -> None:
    violations = csp_violations(desktop)
    sign_in(desktop, live_url)
    desktop.goto(f"{live_url}/settings/steps")
    default = StepSet.objects.get(is_default=True)
    desktop.get_by_role("link", name=default.name).click()
    desktop.get_by_label("Title of the new step").first.fill("House rules")
    desktop.get_by_role("button", name="Add a step").first.click()
    expect(desktop.get_by_role("heading", name="Edit step")).to_be_visible()

    desktop.get_by_label("Text", exact=True).fill("Hello **{name}**, welcome to {server}.")
    preview = desktop.locator("#step-preview")
    expect(preview.locator(".preview-desktop")).to_contain_text("Hello Alex, welcome to Guestlist Test.")
    expect(preview.locator(".preview-phone")).to_contain_text("Hello Alex, welcome to Guestlist Test.")
    desktop.get_by_label("The friend must tick a box").check()
    desktop.get_by_label("Text next to the tick box").fill("I accept")
    expect(preview.locator(".preview-phone")).to_contain_text("I accept")
    phone_width = preview.locator(".preview-phone").bounding_box()
    assert phone_width is not None and phone_width["width"] <= 380
    screenshot(desktop, "desktop-step-editor")
    desktop.get_by_role("button", name="Save").click()
    expect(desktop.get_by_text("Step saved.")).to_be_visible()
    step = Step.objects.get(title="House rules")
    assert step.requires_acceptance and step.body.startswith("Hello **{name}**")

    # Reorder the after-joining steps with the keyboard: Alt + ↑ on the last one.
    last = Step.objects.filter(step_set=default, group="after").order_by("-position").first()
    assert last is not None
    desktop.locator(f"#step-{last.pk} .step-item-title").focus()
    desktop.keyboard.press("Alt+ArrowUp")
    expect(desktop.locator(f"#step-{last.pk} .step-item-title")).to_be_focused()
    last.refresh_from_db()
    assert last.position == 1
    assert violations == []


def test_the_steps_speak_german_on_a_phone(
    new_context: Callable[..., BrowserContext], live_url: str, api: Client, server: MediaServer
) -> None:
    house_rules(api)
    invite = make_invite(api)
    page = new_context(**PHONE, locale="de-DE").new_page()
    page.goto(f"{live_url}/invite/{invite['code']}")
    expect(page.get_by_text("Schritt 1 von 2")).to_be_visible()
    expect(page.get_by_role("button", name="Weiter")).to_be_visible()
    page.get_by_label("I accept the house rules").check()
    page.get_by_role("button", name="Weiter").click()
    expect(page.get_by_role("button", name="Mit Plex anmelden")).to_be_visible()
    screenshot(page, "phone-steps-german")
