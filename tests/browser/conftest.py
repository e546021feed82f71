"""Browser tests: Playwright driving Debian's Chromium against a live Guestlist.

`playwright install` cannot download browsers here, so the system's /usr/bin/chromium is
used. Screenshots go to ./test-artifacts/screenshots (ignored by git).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread; Django would then refuse ORM
# calls from the test body, which is safe here because nothing else runs on that loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright  # noqa: E402

from guestlist.plexsim import PlexSimulator  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1366, "height": 900}}

pytestmark = pytest.mark.browser


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    )
    yield browser
    browser.close()


@pytest.fixture
def live_url(live_server: Any, settings: Any, sim: PlexSimulator) -> str:
    """The live app's origin, wired to the simulator (its sign-in page and avatars)."""
    settings.BASE_URL = live_server.url
    settings.ALLOWED_HOSTS = ["*"]
    csp = {key: list(value) for key, value in settings.SECURE_CSP.items()}
    for directive in ("img-src", "connect-src", "form-action"):
        csp.setdefault(directive, []).append(sim.plex_tv_url)
    settings.SECURE_CSP = csp
    return str(live_server.url)


def _context(browser: Browser, **options: Any) -> BrowserContext:
    context = browser.new_context(**options)
    context.set_default_timeout(15_000)
    return context


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = _context(browser, **PHONE)
    yield context.new_page()
    context.close()


@pytest.fixture
def desktop(browser: Browser) -> Iterator[Page]:
    context = _context(browser, **DESKTOP)
    yield context.new_page()
    context.close()


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Any]:
    """Makes extra, isolated browser contexts (a second person), closed at the end."""
    made: list[BrowserContext] = []

    def make(**options: Any) -> BrowserContext:
        context = _context(browser, **(options or DESKTOP))
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def csp_violations(page: Page) -> list[str]:
    """Collects CSP errors Chromium prints to the console, to prove pages need no inline code."""
    found: list[str] = []
    page.on(
        "console",
        lambda message: found.append(message.text) if "Content Security Policy" in message.text else None,
    )
    return found
