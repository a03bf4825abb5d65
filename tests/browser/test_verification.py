"""Receipts and decisions anyone can verify, in a real browser, in Arabic and in English.

The father opens his son's passport receipt; the QR code drawn on it is the code of the link beside
it, which an anonymous visitor opens: the verification page says the receipt is genuine. A forged
code is refused. Printed, the page is just the document. axe-core finds no violation on the new pages.
"""

import uuid
from html import unescape
from urllib.parse import unquote

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.test_accessibility import AXE, sign_in, violations
from tests.civil_affairs import conftest as civil_affairs_fixtures
from tests.passports import conftest as passports_fixtures
from tests.test_verification import dark_modules

# The passports tests' family and payment, and the inbox's submission, as fixtures here too.
fingerprint, pay, staff, world = (passports_fixtures.fingerprint, passports_fixtures.pay, passports_fixtures.staff,
                                  passports_fixtures.world)
inquiry_type, submit = civil_affairs_fixtures.inquiry_type, civil_affairs_fixtures.submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(params=["ar", "en"])
def lang(request):
    return request.param


@pytest.fixture(scope="module")
def axe_source():
    if not AXE.exists():
        pytest.skip(f"{AXE} is missing: run `npm ci`")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture
def doc_page(browser, live_server, lang, page_problems):
    """A page whose context may inject axe despite the portal's CSP (the pages themselves are unchanged)."""
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900},
                                  locale={"ar": "ar-SA", "en": "en-US"}[lang])
    context.add_cookies([{"name": "absher_language", "value": lang, "url": live_server.url}])
    page = context.new_page()
    page_problems.watch(page)
    yield page
    context.close()


@pytest.fixture
def visitor(browser, live_server, lang, page_problems):
    """Someone who is not signed in, with a phone."""
    context = browser.new_context(bypass_csp=True, viewport={"width": 390, "height": 844},
                                  locale={"ar": "ar-SA", "en": "en-US"}[lang])
    context.add_cookies([{"name": "absher_language", "value": lang, "url": live_server.url}])
    page = context.new_page()
    page_problems.watch(page)
    yield page
    context.close()


def qr_matches(page, url: str) -> bool:
    """The dark modules of the QR code the page shows are those of the QR code of `url`."""
    import segno

    src = page.locator("img.document-qr").get_attribute("src")
    assert src.startswith("data:image/svg+xml")
    return dark_modules(unquote(src)) == dark_modules(segno.make(url, error="m", micro=False).svg_inline(scale=4))


def test_a_receipt_s_qr_code_opens_the_page_that_says_genuine(doc_page, visitor, live_server, world, pay, lang,
                                                             axe_source, screenshot, page_problems):
    from passports import services

    bill = services.service_order(service="passport", actor=world.father, holder=world.son,
                                  params={"years": 5, "delivery": "collection", "office": "jeddah"},
                                  submission_key=uuid.uuid4())
    receipt = pay(bill, world.father)
    sign_in(doc_page, live_server, world.father)
    doc_page.goto(live_server.url + reverse("passports:receipt-detail", args=[receipt.reference]))
    expect(doc_page.locator("html")).to_have_attribute("lang", lang)
    expect(doc_page.locator(".steps [aria-current=step]")).to_be_visible()
    expect(doc_page.locator(".receipt-reference")).to_have_text(receipt.reference)
    expect(doc_page.locator(".receipt-office")).to_be_visible()
    expect(doc_page.locator("img.document-qr")).to_be_visible()
    expect(doc_page.locator("[data-document-print]")).to_be_visible()
    assert violations(doc_page, axe_source) == []
    screenshot(doc_page, lang, "receipt")

    link = unescape(doc_page.locator(".document-verify-link").get_attribute("href"))
    assert link.startswith(live_server.url + "/verify/?")
    assert qr_matches(doc_page, link)

    # Printed, the page is just the document.
    doc_page.emulate_media(media="print")
    expect(doc_page.locator(".portal-header")).to_be_hidden()
    expect(doc_page.locator(".portal-footer")).to_be_hidden()
    expect(doc_page.locator(".document-actions")).to_be_hidden()
    expect(doc_page.locator(".steps")).to_be_hidden()
    expect(doc_page.locator("article.document-sheet")).to_be_visible()
    expect(doc_page.locator("img.document-qr")).to_be_visible()
    doc_page.emulate_media(media="screen")

    # The PDF link answers a PDF.
    pdf = doc_page.request.get(live_server.url + reverse("passports:receipt-pdf", args=[receipt.reference]))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.body()[:5] == b"%PDF-"

    # Anyone who scans the code: genuine, with what the receipt shows and nothing more.
    visitor.goto(link)
    expect(visitor.locator("html")).to_have_attribute("lang", lang)
    expect(visitor.locator("[data-outcome=genuine]")).to_be_visible()
    if lang == "en":
        expect(visitor.locator("[data-outcome=genuine]")).to_contain_text("This document is genuine.")
        expect(visitor.locator("main")).to_contain_text("Jeddah passports office")
    main = visitor.locator("main").inner_text()
    assert receipt.reference in main and world.son.national_id not in main
    assert violations(visitor, axe_source) == []
    screenshot(visitor, lang, "verified")

    # A code whose amount was changed is refused, with a page that says so.
    forged = link.replace("~300.00~", "~30.00~")
    assert forged != link
    visitor.goto(forged)
    expect(visitor.locator("[data-outcome=forged]")).to_be_visible()
    assert receipt.reference not in visitor.locator("main").inner_text()
    assert violations(visitor, axe_source) == []
    screenshot(visitor, lang, "forged")
    assert page_problems.items == []


def test_a_decision_has_a_verifiable_document(doc_page, visitor, live_server, world, submit, staff, lang,
                                              axe_source, screenshot, page_problems):
    from civil_affairs import services
    from civil_affairs.models import RequestStatus

    request = submit(world.father)
    services.request_take(request=request, actor=staff)
    services.request_transition(request=request, to_status=RequestStatus.APPROVED, actor=staff)
    sign_in(doc_page, live_server, world.father)
    doc_page.goto(live_server.url + reverse("civil_affairs:decision-detail", args=[request.reference]))
    expect(doc_page.locator("img.document-qr")).to_be_visible()
    assert violations(doc_page, axe_source) == []
    screenshot(doc_page, lang, "decision")
    link = unescape(doc_page.locator(".document-verify-link").get_attribute("href"))
    assert qr_matches(doc_page, link)
    visitor.goto(link)
    expect(visitor.locator("[data-outcome=genuine]")).to_be_visible()
    assert request.reference in visitor.locator("main").inner_text()
    assert violations(visitor, axe_source) == []
    assert page_problems.items == []
