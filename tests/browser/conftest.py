"""Browser tests: Playwright driving Debian's Chromium against a live Guestlist.

`playwright install` cannot download browsers here, so the system's /usr/bin/chromium is
used. Screenshots go to ./test-artifacts/screenshots (ignored by git).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread; Django would then refuse ORM
# calls from the test body, which is safe here because nothing else runs on that loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import (  # noqa: E402
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    sync_playwright,
)

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


class ConsoleWatch:
    """Every console error, uncaught exception and CSP violation of the test's pages.

    Each browser test fails on any of them (``console_is_clean``); a test that provokes one on
    purpose (a server error it routes in) says which with ``allow``.
    """

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.allowed: list[re.Pattern[str]] = []

    def allow(self, pattern: str) -> None:
        self.allowed.append(re.compile(pattern))

    def watch(self, context: BrowserContext) -> None:
        context.on("console", self._console)
        context.on("weberror", lambda error: self.problems.append(f"uncaught: {error.error}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error" or "Content Security Policy" in message.text:
            self.problems.append(f"{message.type}: {message.text} ({message.location.get('url', '')})")

    def unexpected(self) -> list[str]:
        return [text for text in self.problems if not any(pattern.search(text) for pattern in self.allowed)]


_watch: ConsoleWatch | None = None


@pytest.fixture(autouse=True)
def console_is_clean() -> Iterator[ConsoleWatch]:
    global _watch
    _watch = watch = ConsoleWatch()
    yield watch
    _watch = None
    assert watch.unexpected() == [], "the browser reported errors"


def _context(browser: Browser, **options: Any) -> BrowserContext:
    context = browser.new_context(**options)
    context.set_default_timeout(15_000)
    if _watch is not None:
        _watch.watch(context)
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
