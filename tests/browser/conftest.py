"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

Never downloads a browser: it is /usr/bin/chromium or nothing (skipped on a workstation,
a failure in CI).
"""

import os
import re
import time
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
# Playwright's own default is 30 s; a page of this portal answers in well under a second.
TIMEOUT_MS = 10_000
CODE_PATTERN = re.compile(r"\b(\d{6})\b")


def pytest_collection_modifyitems(config, items):
    folder = Path(__file__).parent
    for item in items:
        if folder in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def playwright_instance():
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium package (never `playwright install`)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests: {message}")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def browser_locale():
    """The browser's own language (Accept-Language); a test module may override this fixture."""
    return "ar-SA"


class PageProblems:
    """What went wrong in the page that a screenshot would not show: script errors, failed loads."""

    def __init__(self):
        self.items: list[str] = []

    def watch(self, page):
        page.on("pageerror", lambda error: self.items.append(f"script error: {error}"))
        page.on(
            "console",
            lambda message: (
                self.items.append(f"console {message.type}: {message.text}") if message.type == "error" else None
            ),
        )
        # net::ERR_ABORTED is Chromium cancelling a load because the page navigated away (a form's
        # redirect before the favicon arrived): not a problem of the page. Any other failure is.
        page.on(
            "requestfailed",
            lambda request: (
                self.items.append(f"request failed: {request.url} {request.failure}")
                if request.failure != "net::ERR_ABORTED" else None
            ),
        )
        page.on(
            "response",
            lambda response: (
                self.items.append(f"HTTP {response.status}: {response.url}") if response.status >= 400 else None
            ),
        )


@pytest.fixture
def page_problems():
    return PageProblems()


@pytest.fixture
def page(browser, browser_locale, page_problems, live_server):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale=browser_locale, base_url=live_server.url
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page_problems.watch(page)
    yield page
    context.close()


@pytest.fixture
def screenshot(request):
    """`screenshot(page, lang, step)` saves test-artifacts/screenshots/<test>-<lang>-<step>.png (full page)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    test = request.node.originalname
    count = {"n": 0}

    def take(page, lang: str, step: str) -> Path:
        count["n"] += 1
        if count["n"] == 1:  # no stale pictures of an earlier run of this test
            for old in SCREENSHOTS.glob(f"{test}-{lang}-*.png"):
                old.unlink()
        path = SCREENSHOTS / f"{test}-{lang}-{count['n']:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def sms_code(sms_outbox):
    """`sms_code(after=n)`: once more than n SMS were sent, the 6 digits of the last one.

    The messages leave in transaction.on_commit in the live server's thread; the outbox is a
    module-level list shared with this thread.
    """

    def read(after: int) -> str:
        deadline = time.monotonic() + 5
        while len(sms_outbox) <= after:
            assert time.monotonic() < deadline, f"no SMS after the {after} already sent"
            time.sleep(0.05)
        body = sms_outbox[-1].body
        match = CODE_PATTERN.search(body)
        assert match, body
        return match.group(1)

    return read
