"""Passkeys in Chromium through its virtual authenticator (WebAuthn over CDP): the owner
adds one on the Security page, requires a second factor for every admin, signs in with the
passkey alone, and uses it as the second factor after the password."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import BrowserContext, Page, expect

from guestlist.accounts.models import Passkey, SignInSettings
from tests.browser.conftest import ConsoleWatch, csp_violations, screenshot
from tests.conftest import PASSWORD


def virtual_authenticator(context: BrowserContext, page: Page) -> Any:
    """A platform authenticator with resident keys that verifies its user (a phone's unlock)."""
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp


def sign_in_with_password(page: Page, live_url: str) -> None:
    page.goto(f"{live_url}/login")
    page.get_by_label("Username").fill("owner")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_role("heading", name="Sign in to Guestlist")).to_be_visible()


@pytest.mark.django_db(transaction=True)
def test_the_owner_requires_a_second_factor_enrols_a_passkey_and_signs_in_with_it(
    live_url: str, new_context: Any, owner: User
) -> None:
    context = new_context()
    page = context.new_page()
    violations = csp_violations(page)
    virtual_authenticator(context, page)

    sign_in_with_password(page, live_url)
    expect(page).to_have_url(f"{live_url}/")
    page.goto(f"{live_url}/settings/security")
    page.get_by_label("Name of the new passkey").fill("Laptop")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_text("Passkey “Laptop” added.")).to_be_visible()
    assert Passkey.objects.get(user=owner).name == "Laptop"

    page.get_by_label("Require a second factor for every admin").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Every admin now needs a second factor.")).to_be_visible()
    assert SignInSettings.load().require_second_factor
    screenshot(page, "security-passkey")

    # Passwordless: the passkey alone (user verification makes it two factors).
    sign_out(page)
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page).to_have_url(f"{live_url}/")
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()

    # After the password, the passkey is the second factor.
    sign_out(page)
    sign_in_with_password(page, live_url)
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    page.get_by_role("button", name="Use a passkey").click()
    expect(page).to_have_url(f"{live_url}/")
    assert Passkey.objects.get(user=owner).last_used_at is not None
    assert violations == []


@pytest.mark.django_db(transaction=True)
def test_an_admin_without_a_factor_enrols_a_passkey_at_sign_in(live_url: str, new_context: Any, owner: User) -> None:
    SignInSettings.objects.update_or_create(pk=1, defaults={"require_second_factor": True})
    context = new_context()
    page = context.new_page()
    virtual_authenticator(context, page)
    sign_in_with_password(page, live_url)
    expect(page.get_by_role("heading", name="Set up a second factor")).to_be_visible()
    page.get_by_role("button", name="Create a passkey").click()
    expect(page).to_have_url(f"{live_url}/")
    assert Passkey.objects.filter(user=owner).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_passkey_is_removed_and_no_longer_signs_in(
    live_url: str, new_context: Any, owner: User, console_is_clean: ConsoleWatch
) -> None:
    # The refusal is a 422 on purpose, which Chromium reports on the console.
    console_is_clean.allow(r"status of 422 .*/login/passkey\)")
    context = new_context()
    page = context.new_page()
    virtual_authenticator(context, page)
    sign_in_with_password(page, live_url)
    page.goto(f"{live_url}/settings/security")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_text("added.")).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Remove").click()
    expect(page.get_by_text("The passkey was removed.")).to_be_visible()
    sign_out(page)
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_text("This passkey is not registered here.")).to_be_visible()


@pytest.mark.django_db(transaction=True)
def test_a_passkey_answer_for_another_origin_is_refused(
    live_url: str, new_context: Any, owner: User, settings: Any, console_is_clean: ConsoleWatch
) -> None:
    console_is_clean.allow(r"status of 422 .*/login/passkey\)")  # the refusal, on purpose
    context = new_context()
    page = context.new_page()
    virtual_authenticator(context, page)
    sign_in_with_password(page, live_url)
    page.goto(f"{live_url}/settings/security")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_text("added.")).to_be_visible()
    sign_out(page)
    # The same host (relying party) but another configured origin: the browser's answer
    # names the origin it really came from, and the server refuses it.
    settings.BASE_URL = live_url.replace("http://", "https://")
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_text("The passkey could not be checked")).to_be_visible()
    expect(page).to_have_url(f"{live_url}/login")
