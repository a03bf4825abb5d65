"""The signed-in home (the citizen's dashboard) in a real browser: Arabic and English, a phone
(390×844) and a desktop (1366×900), axe-core with no violation, nothing wider than the screen, every
reference on one line. A screenshot of each is kept under test-artifacts/screenshots/.
"""

import json
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import AccountState
from civil_affairs import demo

from .test_accessibility import AXE, set_language, sign_in, violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}


@pytest.fixture(scope="module")
def axe_source():
    if not AXE.exists():
        pytest.skip(f"{AXE} is missing: run `npm ci`")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(params=["ar", "en"])
def lang(request):
    return request.param


@pytest.fixture(params=list(WIDTHS))
def width(request):
    return request.param


@pytest.fixture
def page(browser, live_server, width, page_problems):
    """A page at the width under test whose context may inject axe despite the portal's CSP."""
    context = browser.new_context(bypass_csp=True, viewport=WIDTHS[width], base_url=live_server.url)
    page = context.new_page()
    page_problems.watch(page)
    yield page
    context.close()


@pytest.fixture
def family(person_factory, user_factory, today, settings):
    """A sponsor father with children at the dates that matter, a worker, documents, a bill, a fine,
    a request waiting for his reply and notices."""
    from civil_affairs import services as inbox
    from civil_affairs.models import RequestType
    from passports import services
    from passports.models import Service, Visa

    calendar = settings.AGE_CALENDAR_CITIZEN
    staff = user_factory(state=AccountState.ACTIVE, is_staff=True, is_superuser=True, username="DeskOfficer01",
                         mobile="+966500000998")
    father = person_factory(sex="M", birth_date=demo.years_ago(today, 46, days=45), name_ar="سعد محمد الحربي",
                            name_en="Saad Mohammed Alharbi")
    account = user_factory(state=AccountState.ACTIVE, person=father, username="SaadHarbi2026", mobile="+966500000301")
    omar = person_factory(sex="M", father=father, national_id_issued=False, name_ar="عمر سعد الحربي",
                          name_en="Omar Saad Alharbi", birth_date=demo.born_reaching_on_or_after(
                              today + timedelta(days=1), years=14, months=10, calendar=calendar))
    lama = person_factory(sex="F", father=father, national_id_issued=False, name_ar="لمى سعد الحربي",
                          name_en="Lama Saad Alharbi", birth_date=demo.born_reaching_on_or_before(
                              today, years=14, months=10, calendar=calendar))
    tala = person_factory(sex="F", father=father, national_id_issued=False, name_ar="تالا سعد الحربي",
                          name_en="Tala Saad Alharbi", birth_date=demo.years_ago(today, 9, days=100))
    maid = person_factory(prefix="2", sex="F", birth_date=demo.years_ago(today, 31, days=70), nationality="PH",
                          iqama_expiry=today + timedelta(days=25), name_ar="ماريا سانتوس رييس",
                          name_en="Maria Santos Reyes")
    services.sponsorship_start(sponsor=father, worker=maid, occupation_ar="عاملة منزلية", occupation_en="Housemaid",
                               started_on=today - timedelta(days=400), actor=staff)
    services.iqama_record_register(holder=maid, sponsor=father, occupation_ar="عاملة منزلية",
                                   occupation_en="Housemaid", issued_on=today - timedelta(days=400), actor=staff)
    for holder, days, country in ((father, 1200, "SA"), (tala, 20, "SA"), (omar, -12, "SA"), (maid, 600, "PH")):
        services.passport_record(holder=holder, number=services.new_passport_number(), country=country,
                                 issued_on=today - timedelta(days=5 * 365 - days), expires_on=today + timedelta(days=days),
                                 actor=staff, validity_years=5)
    services.visa_record(holder=maid, kind=Visa.Kind.SINGLE, issued_on=today - timedelta(days=5), months=2, actor=staff)
    services.service_order(service=Service.PASSPORT, actor=account, holder=tala, params={"years": 5},
                           submission_key=uuid.uuid4())
    services.fine_record(person=maid, amount=Decimal("500"), reason_ar="مخالفة إقامة", reason_en="Residence violation",
                         issued_on=today - timedelta(days=3), actor=staff)
    request = inbox.request_submit(applicant=account, request_type=RequestType.objects.get(code="general_inquiry"),
                                   data={}, description="A question about the family record", submission_key=uuid.uuid4())
    inbox.request_take(request=request, actor=staff)
    inbox.request_ask_citizen(request=request, actor=staff, body="Send the family record")
    return {"account": account, "lama": lama, "omar": omar}


def test_the_dashboard_reads_well_in_both_languages_at_both_widths(page, live_server, axe_source, family, lang, width,
                                                                    screenshot, page_problems):
    sign_in(page, live_server, family["account"])
    set_language(page, live_server, lang)
    page.goto(reverse("home"))
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
    expect(page.locator("#dash-title")).to_have_text(
        "سعد محمد الحربي" if lang == "ar" else "Saad Mohammed Alharbi")
    # What waits: the reply, the bill, the fine, the passports and the iqama to renew.
    for kind, count in (("reply", 1), ("bill", 1), ("fines", 1), ("renew", 3)):
        expect(page.locator(f".dash-item-{kind}")).to_have_count(count)
    expect(page.locator(".dash-document")).to_have_count(6)  # 4 passports, 1 iqama, 1 visa
    expect(page.locator(".dash-child")).to_have_count(3)
    # Lama reaches 14 years and 10 months today: she may be added; Omar reaches it tomorrow.
    add = f'a[href="{reverse("civil_affairs:request-new", args=["add_dependent"])}"]'
    for child, count in ((family["lama"], 1), (family["omar"], 0)):
        card = page.locator(".dash-child", has=page.locator(f"#child-{child.national_id}"))
        expect(card.locator(add)).to_have_count(count)
    expect(page.locator(f'main a[href="{reverse("accounts:register")}"]')).to_have_count(0)
    # Nothing wider than the screen; a reference, a number or a date never breaks across lines (its
    # boxes, one per direction run, all on one line).
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    broken = page.evaluate(
        "[...document.querySelectorAll('.dash-ref, .dash-date > span, .dash-days')]"
        ".filter(e => new Set([...e.getClientRects()].map(r => Math.round(r.top))).size > 1)"
        ".map(e => e.textContent)"
    )
    assert broken == []
    screenshot(page, f"{lang}-{width}", "dashboard")
    problems = violations(page, axe_source)
    assert problems == [], json.dumps(problems, ensure_ascii=False, indent=1)
    assert page_problems.items == [], page_problems.items
