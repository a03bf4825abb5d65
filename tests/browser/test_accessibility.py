"""Every page in both languages passes axe-core (WCAG 2.1 A and AA) with no violation, and leaves a
full-page screenshot under test-artifacts/screenshots/ (CI keeps them: the pages as a reviewer sees them).

axe-core comes from the npm package (package.json; `npm ci`), injected by Playwright.
"""

import json
import os
from pathlib import Path

import pytest
from django.urls import reverse

from accounts.models import AccountState

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def axe_source():
    if not AXE.exists():
        message = f"{AXE} is missing: run `npm ci` (scripts/bootstrap.sh does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return AXE.read_text(encoding="utf-8")


@pytest.fixture
def page(browser, live_server):
    """A page whose context may inject axe despite the portal's CSP (the pages themselves are unchanged)."""
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def violations(page, axe_source):
    page.add_script_tag(content=axe_source)
    result = page.evaluate(
        "async () => { const r = await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}}); return r.violations.map(v => "
        "({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})); }"
    )
    return result


def sign_in(page, live_server, user):
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}])


def set_language(page, live_server, language):
    page.context.add_cookies([{"name": "absher_language", "value": language, "url": live_server.url}])


@pytest.mark.parametrize("language", ["ar", "en"])
def test_public_pages(page, live_server, axe_source, language, screenshot):
    set_language(page, live_server, language)
    found = {}
    for name in ["home", "contact", "accounts:login", "accounts:register", "accounts:password-reset", "accounts:terms",
                 "biometrics:centre-list"]:
        page.goto(live_server.url + reverse(name))
        screenshot(page, language, name.replace(":", "-"))
        problems = violations(page, axe_source)
        if problems:
            found[name] = problems
    page.goto(live_server.url + "/no-such-page/")
    if problems := violations(page, axe_source):
        found["404"] = problems
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)


@pytest.mark.parametrize("language", ["ar", "en"])
def test_signed_in_pages(page, live_server, axe_source, language, user_factory, person_factory, screenshot):
    from civil_affairs.models import RequestType
    from civil_affairs.services import request_submit

    citizen = user_factory(state=AccountState.ACTIVE)
    filed = request_submit(
        applicant=citizen, request_type=RequestType.objects.get(code="general_inquiry"), data={},
        description="A question", submission_key=__import__("uuid").uuid4(),
    )
    sign_in(page, live_server, citizen)
    set_language(page, live_server, language)
    found = {}
    urls = [
        reverse("home"), reverse("accounts:profile"), reverse("accounts:password-change"), reverse("accounts:email-change"),
        reverse("civil_affairs:home"), reverse("civil_affairs:request-list"), reverse("civil_affairs:request-type-list"),
        reverse("civil_affairs:request-new", args=["add_dependent"]),
        reverse("civil_affairs:request-new", args=["register_newborn"]),
        reverse("civil_affairs:request-detail", args=[filed.reference]),
        reverse("civil_affairs:data-access"), reverse("dependents:dependent-list"),
    ]
    for url in urls:
        page.goto(live_server.url + url)
        assert page.url.endswith(url), (url, page.url)
        screenshot(page, language, url.strip("/").replace("/", "-") or "dashboard")
        if problems := violations(page, axe_source):
            found[url] = problems
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)
