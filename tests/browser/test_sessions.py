"""Issue 12, sessions and devices in a real browser: the account signs in in two browsers (two
contexts, each with its own cookies), the second ends the first from the sessions page, and the first
is signed out at its next click; then "it wasn't me" from the second. Arabic and English, at a
phone's and a desktop's width, axe-core on every page. Selectors are ids, classes and reversed URLs.
"""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from devices.models import Device
from tests.browser.test_citizen_bugs import axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"390": {"width": 390, "height": 844}, "1366": {"width": 1366, "height": 900}}
PASSWORD = "GoodPass2026"
SUBMIT = "form.portal-form button[type=submit]"
PHONE_AGENT = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"
)
LAPTOP_AGENT = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"


@pytest.fixture
def browser_context(browser, live_server):
    contexts = []

    def make(lang, width, user_agent):
        context = browser.new_context(
            viewport=VIEWPORTS[width], base_url=live_server.url, bypass_csp=True, user_agent=user_agent,
            locale="ar-SA" if lang == "ar" else "en-US",
        )
        context.set_default_timeout(10_000)
        context.add_cookies([{"name": "absher_language", "value": lang, "url": live_server.url}])
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def submit(page, selector=SUBMIT):
    with page.expect_navigation():
        page.locator(selector).click()


def sign_in(page, user, sms_code, sms_outbox):
    page.goto(reverse("accounts:login"))
    page.locator("#id_identifier").fill(user.username)
    page.locator("#id_password").fill(PASSWORD)
    sent = len(sms_outbox)
    submit(page)
    page.wait_for_url(f"**{reverse('accounts:login-verify')}")
    page.locator("#id_code").fill(sms_code(after=sent))
    submit(page)
    expect(page.locator(f'header form[action="{reverse("accounts:logout")}"]')).to_have_count(1)  # folded at 390


def check_page(page, name, found, screenshot, tag):
    screenshot(page, tag, name)
    if problems := axe(page):
        found[name] = problems
    # Nothing wider than the screen: the tables stack as cards on a phone.
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name}: {overflow}px wider than the screen"


@pytest.mark.parametrize("width", ["390", "1366"])
@pytest.mark.parametrize("lang", ["ar", "en"])
def test_end_the_other_session_then_it_wasnt_me(
    browser_context, lang, width, user_factory, sms_code, sms_outbox, screenshot, page_problems
):
    user = user_factory(password=PASSWORD, preferred_language=lang)
    tag = f"{lang}-{width}"
    found = {}
    phone = browser_context(lang, width, PHONE_AGENT)
    laptop = browser_context(lang, width, LAPTOP_AGENT)
    page_problems.watch(laptop)
    sign_in(phone, user, sms_code, sms_outbox)
    sign_in(laptop, user, sms_code, sms_outbox)
    phone_device, laptop_device = Device.objects.filter(user=user).order_by("pk")

    # The profile links to the page.
    laptop.goto(reverse("accounts:profile"))
    with laptop.expect_navigation():
        laptop.locator("#devices-profile-link").click()
    expect(laptop.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
    rows = laptop.locator("tr.device-row")
    expect(rows).to_have_count(2)
    # This session first, marked, with no End button; the phone's has one.
    expect(rows.nth(0)).to_have_attribute("id", f"device-{laptop_device.pk}")
    expect(rows.nth(0).locator(".device-current-badge")).to_be_visible()
    expect(rows.nth(0).locator("button.device-end")).to_have_count(0)
    expect(laptop.locator(f"#device-{phone_device.pk} .device-name")).to_contain_text("Chrome")
    expect(laptop.locator(f"#device-{phone_device.pk} bdi[dir=ltr]").first).to_have_text("127.0.0.1")
    expect(laptop.locator("table.sign-in-history tbody tr")).to_have_count(2)
    check_page(laptop, "sessions", found, screenshot, tag)

    # End the phone's session.
    with laptop.expect_navigation():
        laptop.locator(f"#device-{phone_device.pk} button.device-end").click()
    expect(laptop.locator(".messages .alert-success")).to_be_visible()
    expect(laptop.locator("tr.device-row")).to_have_count(1)
    expect(laptop.locator("#no-other-sessions")).to_be_visible()
    check_page(laptop, "sessions-ended-one", found, screenshot, tag)

    # The phone is signed out at its next click, and told why.
    if width == "390":
        phone.locator("button.navbar-toggler").click()
    with phone.expect_navigation():
        phone.locator("header a.header-account").click()
    expect(phone.locator(f'header form[action="{reverse("accounts:logout")}"]')).to_have_count(0)
    expect(phone.locator(".messages .alert-info")).to_be_visible()
    assert reverse("accounts:login") in phone.url
    screenshot(phone, tag, "phone-signed-out")

    # "It wasn't me": the confirmation explains, then everything ends, this browser too.
    laptop.goto(reverse("devices:device-list"))
    with laptop.expect_navigation():
        laptop.locator("#not-me-link").click()
    expect(laptop.locator(f'.not-me-confirm a[href="{reverse("accounts:password-reset")}"]')).to_be_visible()
    check_page(laptop, "not-me", found, screenshot, tag)
    sent = len(sms_outbox)
    with laptop.expect_navigation():
        laptop.locator("#not-me-confirm").click()
    assert reverse("devices:not-me-done") in laptop.url
    expect(laptop.locator(f'header form[action="{reverse("accounts:logout")}"]')).to_have_count(0)
    expect(laptop.locator("#not-me-reset")).to_be_visible()
    check_page(laptop, "not-me-done", found, screenshot, tag)

    user.refresh_from_db()
    assert not user.has_usable_password()
    assert not Device.objects.filter(user=user, ended_at__isnull=True).exists()
    assert [m.to for m in sms_outbox[sent:]] == [user.mobile]
    assert found == {}, found
    assert page_problems.items == [], "\n".join(page_problems.items)
