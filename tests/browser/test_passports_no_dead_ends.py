"""Issue 11 in a real browser, in Arabic and English, on a phone (390x844) and a desktop (1366x900):
no dead ends (a blocked service says why before its form, and paying the fine brings the citizen
back to the renewal), tables as labelled cards on phones, country names, dates in either calendar,
the passport's office picker, numbers that never break, and axe-core on every changed page.
Selectors are ids, classes, names and reversed URLs, never translated text."""

import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from civil_affairs import ages
from civil_affairs.models import Person

from . import test_passports as passports_flow
from .test_passports import ASCII_DIGITS, axe_violations, expect_language, expect_no_problems, submit

family = passports_flow.family  # the same family as the passports flow (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.urls("tests.passports.urls")]

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}


@pytest.fixture(params=["ar", "en"])
def lang(request):
    return request.param


@pytest.fixture
def browser_locale(lang):
    return {"ar": "ar-SA", "en": "en-US"}[lang]


@pytest.fixture(params=list(VIEWPORTS))
def width(request):
    return request.param


def signed_in(page, live_server, account, lang):
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(account)
    page.context.add_cookies([
        {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
         "url": live_server.url},
        {"name": "absher_language", "value": lang, "url": live_server.url},
    ])


@pytest.fixture
def fined_maid(family):
    """The housemaid's iqama in its renewal window, and an unpaid fine that stops the renewal."""
    from accounts.models import User
    from passports import services

    maid, today = family["maid"], family["today"]
    Person.objects.filter(pk=maid.pk).update(iqama_expiry=today + timedelta(days=90))
    staff = User.objects.get(username="BorderDesk01")
    fine = services.fine_record(person=maid, amount=Decimal("500"), reason_ar="مخالفة نظام الإقامة",
                                reason_en="Residence violation", issued_on=today - timedelta(days=2), actor=staff)
    return {**family, "fine": fine, "staff": staff}


def no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1")


def one_line(locator):
    """The element's text sits on one line (a number never wraps in the middle)."""
    return locator.evaluate("e => { const r = e.getClientRects(); return r.length === 1; }")


def test_pay_the_fine_then_back_to_the_renewal(page, live_server, lang, width, fined_maid, screenshot, page_problems):
    from passports.models import Bill, Fine

    maid, fine = fined_maid["maid"], fined_maid["fine"]
    page.set_viewport_size(VIEWPORTS[width])
    signed_in(page, live_server, fined_maid["account"], lang)
    page.goto(reverse("passports:person-detail", args=[maid.national_id]))
    expect_language(page, lang)

    # The person's page marks the renewal as blocked, says why and offers to pay the fine.
    blocked = page.locator("li.person-service-iqama.person-service-blocked")
    expect(blocked).to_be_visible()
    expect(blocked.locator(".person-service-reasons li")).to_have_count(1)
    pay_form = blocked.locator(f'form[action="{reverse("passports:fine-pay", args=[fine.reference])}"]')
    expect(pay_form).to_be_visible()
    expect(pay_form.locator('input[name="next"]')).to_have_value(reverse("passports:iqama-apply", args=[maid.national_id]))
    assert one_line(blocked.locator("bdi", has_text=fine.reference))
    no_sideways_scroll(page)
    screenshot(page, f"{lang}-{width}", "person-blocked")

    # The renewal's own page: the reason and the way forward, no form.
    renewal = reverse("passports:iqama-apply", args=[maid.national_id])
    page.goto(renewal)
    expect(page.locator("ul.refusal-reasons li")).to_have_count(1)
    expect(page.locator("form.portal-form")).to_have_count(0)
    screenshot(page, f"{lang}-{width}", "renewal-blocked")

    # Pay the fine: bill (step 2), gateway (step 3), then back to the renewal, now open.
    submit(page, ".ways-forward form.fine-pay-form button[type=submit]")
    page.wait_for_url(re.compile(r"/bills/\d{12}/$"))
    expect(page.locator(".steps-item.steps-current .steps-number")).to_have_text("2")
    bill_number = page.locator(".bill-number")
    expect(bill_number).to_have_css("white-space", "nowrap")
    assert one_line(bill_number)
    no_sideways_scroll(page)
    screenshot(page, f"{lang}-{width}", "fine-bill")
    submit(page, 'form[action$="/pay/"] button[type=submit]')
    page.wait_for_url(re.compile(r"/simulated-gateway/$"))
    expect(page.locator(".steps-item.steps-current .steps-number")).to_have_text("3")
    submit(page, "form.payment-simulated button[name=outcome][value=pay]")
    page.wait_for_url(f"**{renewal}")
    expect(page.locator(".messages .alert-success")).to_be_visible()
    expect(page.locator("form.portal-form input[name=years]").first).to_be_visible()
    expect(page.locator(".steps-item.steps-current .steps-number")).to_have_text("1")
    screenshot(page, f"{lang}-{width}", "renewal-open")
    assert Fine.objects.get(pk=fine.pk).paid_at is not None
    assert Bill.objects.get(service="fine").status == Bill.Status.USED
    expect_no_problems(page_problems)


def test_a_short_iqama_refuses_the_visa_before_the_form(page, live_server, lang, width, family, screenshot, page_problems):
    maid, today = family["maid"], family["today"]
    Person.objects.filter(pk=maid.pk).update(iqama_expiry=today + timedelta(days=10))
    page.set_viewport_size(VIEWPORTS[width])
    signed_in(page, live_server, family["account"], lang)
    page.goto(reverse("passports:person-detail", args=[maid.national_id]))
    blocked = page.locator("li.person-service-exit_reentry.person-service-blocked")
    expect(blocked).to_be_visible()
    renew = reverse("passports:iqama-apply", args=[maid.national_id])
    expect(blocked.locator(f'.ways-forward a[href="{renew}"]')).to_be_visible()
    with page.expect_navigation():
        blocked.locator(f'a[href="{reverse("passports:exit-reentry-apply", args=[maid.national_id])}"]').click()
    expect(page.locator("ul.refusal-reasons li")).to_have_count(1)
    expect(page.locator("select[name=months]")).to_have_count(0)
    screenshot(page, f"{lang}-{width}", "visa-blocked")
    expect_no_problems(page_problems)


def test_tables_are_labelled_cards_on_phones_and_regions_take_the_keyboard(page, live_server, lang, width, fined_maid,
                                                                            screenshot, page_problems):
    maid = fined_maid["maid"]
    page.set_viewport_size(VIEWPORTS[width])
    signed_in(page, live_server, fined_maid["account"], lang)
    page.goto(reverse("passports:person-detail", args=[maid.national_id]))
    table = page.locator("section[aria-labelledby=fines-title] table.table-stack")
    row = table.locator("tbody tr").first
    cell = row.locator("td").first
    if width == "phone":
        expect(row).to_have_css("display", "block")
        expect(table.locator("thead")).to_have_css("position", "absolute")
        label = cell.evaluate("e => getComputedStyle(e, '::before').content")
        assert label.strip('"') == cell.get_attribute("data-label") and label.strip('"')
    else:
        expect(row).to_have_css("display", "table-row")
    no_sideways_scroll(page)
    # Each scrollable region is named and reachable with the keyboard.
    regions = page.locator(".table-responsive")
    assert regions.count() >= 2
    for index in range(regions.count()):
        region = regions.nth(index)
        assert region.get_attribute("tabindex") == "0" and region.get_attribute("role") == "region"
        assert region.get_attribute("aria-labelledby") or region.get_attribute("aria-label")
    page.locator("main h1").click()
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('table-responsive')"):
            break
    else:
        pytest.fail("no table region took the keyboard focus")
    # The nationality is the country's name, not its code.
    from django.utils import translation

    from absher.templatetags.country_names import country_name

    with translation.override(lang):
        nationality = country_name(maid.nationality)
    assert nationality and nationality != maid.nationality
    expect(page.locator("main dl").first).to_contain_text(nationality)
    screenshot(page, f"{lang}-{width}", "person-tables")
    expect_no_problems(page_problems)


def test_the_travel_record_takes_a_hijri_date(page, live_server, lang, width, family, screenshot, page_problems):
    from accounts.models import User
    from passports import services

    maid, today = family["maid"], family["today"]
    staff = User.objects.get(username="BorderDesk01")
    services.crossing_record(holder=maid, direction="exit", port="RUH", on=today - timedelta(days=40), actor=staff)
    services.crossing_record(holder=maid, direction="entry", port="JED", on=today - timedelta(days=5), actor=staff)
    page.set_viewport_size(VIEWPORTS[width])
    signed_in(page, live_server, family["account"], lang)
    page.goto(reverse("passports:travel-record"))
    expect(page.locator("table.travel-records tbody tr")).to_have_count(2)
    start = ages.to_hijri(today - timedelta(days=20))
    page.locator("#id_date_from").fill(f"{start.year}-{start.month:02d}-{start.day:02d}")
    submit(page, "form.portal-form button[type=submit]")
    expect(page.locator("table.travel-records tbody tr")).to_have_count(1)
    shown = page.locator("table.travel-records tbody tr").inner_text().translate(ASCII_DIGITS)
    assert str(ages.to_hijri(today - timedelta(days=5)).year) in shown  # the date in both calendars
    no_sideways_scroll(page)
    screenshot(page, f"{lang}-{width}", "travel-hijri")
    # A date that is no date: the message on the form, never a server error.
    page.locator("#id_date_from").fill("1447-13-40")
    submit(page, "form.portal-form button[type=submit]")
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator("#id_date_from")).to_have_class(re.compile(r"is-invalid"))
    screenshot(page, f"{lang}-{width}", "travel-bad-date")
    expect_no_problems(page_problems)


def test_the_office_picker_shows_only_for_collection(page, live_server, lang, width, family, screenshot, page_problems):
    son = family["son"]
    page.set_viewport_size(VIEWPORTS[width])
    signed_in(page, live_server, family["account"], lang)
    page.goto(reverse("passports:passport-apply", args=[son.national_id]))
    expect(page.locator(".steps-item.steps-current .steps-number")).to_have_text("1")
    office = page.locator("#div_id_office")
    expect(office).to_be_hidden()
    page.locator('input[name=delivery][value="collection"]').check()
    expect(office).to_be_visible()
    screenshot(page, f"{lang}-{width}", "office-shown")
    page.locator('input[name=delivery][value="post"]').check()
    expect(office).to_be_hidden()
    # Collection without an office: the server refuses, and the picker shows with its error.
    page.locator('input[name=years][value="5"]').check()
    page.locator('input[name=delivery][value="collection"]').check()
    submit(page)
    expect(page.locator(".error-summary")).to_be_visible()
    expect(office).to_be_visible()
    expect(page.locator("#id_office")).to_have_class(re.compile(r"is-invalid"))
    screenshot(page, f"{lang}-{width}", "office-required")
    expect_no_problems(page_problems)


def test_without_javascript_the_office_picker_shows_and_the_server_checks(browser, live_server, lang, family):
    context = browser.new_context(java_script_enabled=False, viewport=VIEWPORTS["phone"], base_url=live_server.url)
    page = context.new_page()
    try:
        signed_in(page, live_server, family["account"], lang)
        page.goto(reverse("passports:passport-apply", args=[family["son"].national_id]))
        expect(page.locator("#div_id_office")).to_be_visible()
        page.locator('input[name=years][value="5"]').check()
        page.locator('input[name=delivery][value="collection"]').check()
        submit(page)
        expect(page.locator("#id_office")).to_have_class(re.compile(r"is-invalid"))
    finally:
        context.close()


# --- axe-core on the pages issue 11 changed, in both languages and both widths ----------------


def test_changed_pages_pass_axe(browser, live_server, lang, width, fined_maid):
    import os

    from .test_passports import AXE

    if not AXE.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{AXE} is missing: run `npm ci`")
        pytest.skip(f"{AXE} is missing: run `npm ci`")
    from passports import services

    maid, son, account, today = fined_maid["maid"], fined_maid["son"], fined_maid["account"], fined_maid["today"]
    services.crossing_record(holder=maid, direction="exit", port="RUH", on=today - timedelta(days=3),
                             actor=fined_maid["staff"])
    bill = services.service_order(service="fine", actor=account, holder=maid, params={"fine": fined_maid["fine"].reference},
                                  submission_key=__import__("uuid").uuid4())
    context = browser.new_context(bypass_csp=True, viewport=VIEWPORTS[width], base_url=live_server.url)
    page = context.new_page()
    try:
        signed_in(page, live_server, account, lang)
        found = {}
        urls = [
            reverse("passports:home"),
            reverse("passports:person-detail", args=[maid.national_id]),
            reverse("passports:person-detail", args=[son.national_id]),
            reverse("passports:iqama-apply", args=[maid.national_id]),  # the refusal before the form
            reverse("passports:passport-apply", args=[son.national_id]),
            reverse("passports:travel-record"),
            reverse("passports:travel-record") + "?date_from=1447-13-01",
            reverse("passports:bill-detail", args=[bill.number]),
            reverse("passports:payment-simulated", args=[bill.number]),
        ]
        for url in urls:
            page.goto(url)
            if problems := axe_violations(page):
                found[url] = problems
        page.goto(reverse("passports:passport-apply", args=[son.national_id]))
        page.locator('input[name=delivery][value="collection"]').check()
        if problems := axe_violations(page):
            found["office shown"] = problems
        assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)
    finally:
        context.close()
