"""Take your data and close your account, in a browser: both languages, a phone and a desktop,
axe-core with no violation, and the closing done through the pages with its SMS code."""

import json
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccountState, User
from civil_affairs.ages import anniversary
from tests.browser.test_accessibility import AXE, set_language, sign_in, violations

pytestmark = pytest.mark.django_db(transaction=True)
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}


@pytest.fixture(scope="module")
def axe_source():
    if not AXE.exists():
        pytest.skip(f"{AXE} is missing: run `npm ci`")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture
def citizen(user_factory, person_factory, today):
    from absher.models import AuditEvent
    from dependents.models import GuardianLink
    from devices.models import Device
    from passports.models import Passport

    user = user_factory(state=AccountState.ACTIVE, username="Privacy2026x", mobile="+966500000888")
    staff = user_factory(state=AccountState.ACTIVE, is_staff=True, username="Officer2026x")
    child = person_factory(sex="F", birth_date=anniversary(today, years=-9), father=user.person,
                           national_id_issued=False, name_en="Reem Harbi", name_ar="ريم الحربي")
    GuardianLink.objects.create(guardian=user.person, dependent=child, guardian_account=user, relation="father",
                                created_by=staff)
    Passport.objects.create(holder=user.person, number="A7654321", issued_on=date(2022, 1, 1),
                            expires_on=date(2032, 1, 1))
    now = timezone.now()
    Device.objects.create(user=user, kind="web", name="Chrome on Android", signed_in_at=now, last_seen_at=now,
                          client_address="192.0.2.5")
    AuditEvent.objects.create(action="login_succeeded", subject=user, client_address="192.0.2.5")
    return user


@pytest.mark.parametrize("size", ["phone", "desktop"])
@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_pages_read_well_and_pass_axe(browser, live_server, axe_source, citizen, language, size, screenshot):
    context = browser.new_context(bypass_csp=True, viewport=SIZES[size])
    page = context.new_page()
    try:
        sign_in(page, live_server, citizen)
        set_language(page, live_server, language)
        found = {}
        for name in ("accounts:profile", "accounts:data", "accounts:data-print", "accounts:close"):
            page.goto(live_server.url + reverse(name))
            assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
            screenshot(page, f"{language}-{size}", name.replace(":", "-"))
            if problems := violations(page, axe_source):
                found[name] = problems
            # Nothing wider than the screen (a phone scrolls down, never sideways).
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), name
        assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)
        page.goto(live_server.url + reverse("accounts:data-print"))
        assert "A7654321" in page.content() and citizen.person.national_id in page.content()
        # Printed, the page is the data alone: no header, footer or buttons.
        page.emulate_media(media="print")
        assert not page.locator(".portal-header").is_visible()
        assert not page.locator(".document-actions").is_visible()
    finally:
        context.close()


@pytest.mark.parametrize("language", ["ar", "en"])
def test_closing_through_the_pages(browser, live_server, axe_source, citizen, language, sms_code, sms_outbox,
                                   screenshot):
    context = browser.new_context(bypass_csp=True, viewport=SIZES["phone"])
    page = context.new_page()
    try:
        sign_in(page, live_server, citizen)
        set_language(page, live_server, language)
        page.goto(live_server.url + reverse("accounts:close"))
        page.locator("#id_understood").check()
        sent = len(sms_outbox)
        page.locator("form.portal-form button[type=submit]").click()
        page.wait_for_url(f"**{reverse('accounts:close-verify')}")
        assert violations(page, axe_source) == []
        screenshot(page, language, "code")
        page.locator("input[name=code]").fill(sms_code(after=sent))
        page.locator("form.portal-form button[type=submit]").click()
        page.wait_for_url(f"**{reverse('accounts:closed')}")
        screenshot(page, language, "goodbye")
        assert violations(page, axe_source) == []
        assert User.objects.get(pk=citizen.pk).state == AccountState.CLOSED
        page.goto(live_server.url + reverse("accounts:profile"))
        assert reverse("accounts:login") in page.url
    finally:
        context.close()
