from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import csp_violations, screenshot


def test_the_login_page_works_on_a_phone_without_csp_violations(phone: Page, live_url: str, owner: object) -> None:
    violations = csp_violations(phone)
    phone.goto(f"{live_url}/login")
    expect(phone.get_by_role("heading", name="Sign in to Guestlist")).to_be_visible()
    phone.get_by_label("Username").fill("owner")
    phone.get_by_label("Password").fill("correct horse battery staple")
    phone.get_by_role("button", name="Sign in", exact=True).click()
    expect(phone.get_by_role("heading", name="Overview")).to_be_visible()
    screenshot(phone, "phone-overview-empty")
    assert violations == []
