"""Issue 11, civil affairs and dependents, in a real browser at 390x844 and 1366x900, in Arabic and
English, with axe-core on every page shown:

- withdrawing a request: the button comes after everything else, opens a confirmation page, and
  the request then reads "Withdrawn" (cancel leaves it as it was);
- the request's steps and "what happens next";
- the add-dependent list: a refused son is shown with the reason and the date (both calendars),
  with no way into the form; the eligible daughter leads to it;
- tables become cards on a phone, scrollable regions take the keyboard's focus, and references
  never break across lines.

Selectors are ids, classes, names and reversed URLs, never translated text.
"""

import importlib
import json
import uuid
from datetime import date, timedelta

import pytest
from django.apps import apps
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import AccountState
from civil_affairs import ages, services
from civil_affairs.models import RequestStatus, RequestType, ServiceRequest
from dependents.models import GuardianLink
from tests.browser.test_accessibility import AXE, sign_in, violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}
ASCII_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")


@pytest.fixture(scope="module")
def axe_source():
    if not AXE.exists():
        pytest.skip(f"{AXE} is missing: run `npm ci`")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(params=["ar", "en"])
def lang(request):
    return request.param


@pytest.fixture(params=list(VIEWPORTS))
def width(request):
    return request.param


@pytest.fixture
def page(browser, live_server, lang, width):
    # bypass_csp lets axe be injected; the pages themselves are unchanged.
    context = browser.new_context(bypass_csp=True, viewport=VIEWPORTS[width], base_url=live_server.url,
                                  locale={"ar": "ar-SA", "en": "en-US"}[lang])
    context.set_default_timeout(10_000)
    context.add_cookies([{"name": "absher_language", "value": lang, "url": live_server.url}])
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def axe_check(page, axe_source, lang, width):
    found = {}

    def check(name):
        if problems := violations(page, axe_source):
            found[f"{name} ({lang}, {width})"] = problems

    yield check
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)


def ensure_request_types():
    migration = importlib.import_module("civil_affairs.migrations.0003_request_types_and_groups")
    migration.forwards(apps, None)


def birth_for(reaches: date, years=14, months=10) -> date:
    guess = reaches - timedelta(days=round(years * 354.37 + months * 29.53))
    for shift in range(-40, 41):
        birth = guess + timedelta(days=shift)
        if ages.anniversary(birth, years=years, months=months, calendar=ages.HIJRI) == reaches:
            return birth
    raise AssertionError("no birth date")


def saudi_arabia(lang):
    from django.utils import translation

    from absher.templatetags.country_names import country_name

    with translation.override(lang):
        return country_name("SA")


def expect_language(page, lang):
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")


def expect_on_one_line(page, selector):
    """Every element matched is laid out as one line (white-space: nowrap, one line box) and is LTR."""
    shapes = page.eval_on_selector_all(
        selector,
        "els => els.map(el => ({text: el.textContent, rects: el.getClientRects().length, "
        "ws: getComputedStyle(el).whiteSpace, dir: getComputedStyle(el).direction}))",
    )
    assert shapes, selector
    for shape in shapes:
        assert shape["rects"] == 1 and shape["ws"] == "nowrap" and shape["dir"] == "ltr", shape


def expect_no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.fixture
def citizen(user_factory, person_factory):
    ensure_request_types()
    person = person_factory(sex="M", birth_date=date(1975, 3, 1), name_ar="سعد عبدالله", name_en="Saad Abdullah")
    return user_factory(state=AccountState.ACTIVE, person=person, username="SaadWithdraws26")


@pytest.fixture
def staff(user_factory):
    return user_factory(state=AccountState.ACTIVE, is_staff=True, username="OfficerIssue11", mobile="+966500000998")


def waiting_request(citizen, staff):
    filed = services.request_submit(
        applicant=citizen, request_type=RequestType.objects.get(code="general_inquiry"), data={},
        description="A question about my family record", submission_key=uuid.uuid4(),
    )
    services.request_take(request=filed, actor=staff)
    services.request_ask_citizen(request=filed, actor=staff, body="Send a copy of the family record.")
    filed.refresh_from_db()
    return filed


def test_withdraw_asks_first_and_ends_withdrawn(page, live_server, lang, width, citizen, staff, axe_check, screenshot):
    filed = waiting_request(citizen, staff)
    sign_in(page, live_server, citizen)
    detail = reverse("civil_affairs:request-detail", args=[filed.reference])
    withdraw = reverse("civil_affairs:request-withdraw", args=[filed.reference])
    page.goto(detail)
    expect_language(page, lang)
    # The steps, "what happens next" with what the department asked for, and the reply box.
    expect(page.locator("nav.steps .steps-done")).to_have_count(1)
    expect(page.locator('nav.steps [aria-current="step"]')).to_have_count(1)
    expect(page.locator(".what-next blockquote")).to_contain_text("Send a copy of the family record.")
    expect(page.locator("#id_body")).to_be_visible()
    expect_on_one_line(page, "main bdi.text-nowrap, main strong.text-nowrap")
    expect_no_sideways_scroll(page)
    # The withdraw button is the last action of the page: below the reply's button and the timeline.
    button = page.locator(f'main a[href="{withdraw}"]')
    expect(button).to_have_count(1)
    lowest_other = page.evaluate(
        """(href) => Math.max(...[...document.querySelectorAll('main button, main a.btn, #timeline')]
            .filter(el => el.getAttribute('href') !== href).map(el => el.getBoundingClientRect().bottom))""",
        withdraw,
    )
    assert button.bounding_box()["y"] >= lowest_other - 1
    assert page.evaluate(
        "(href) => { const all = [...document.querySelectorAll('main a, main button')]; "
        "return all[all.length - 1].getAttribute('href') === href; }", withdraw)
    axe_check("request waiting")
    screenshot(page, f"{lang}-{width}", "request-waiting")

    # One tap only opens the question; cancelling leaves the request as it was.
    button.click()
    page.wait_for_url(f"**{withdraw}")
    expect(page.locator("main h1 bdi")).to_have_text(filed.reference)
    expect_on_one_line(page, "main h1 bdi")
    axe_check("withdraw confirmation")
    screenshot(page, f"{lang}-{width}", "withdraw-confirm")
    page.locator(f'main form a[href="{detail}"]').click()
    page.wait_for_url(f"**{detail}")
    filed.refresh_from_db()
    assert filed.status == RequestStatus.WAITING_CITIZEN

    page.locator(f'main a[href="{withdraw}"]').click()
    page.wait_for_url(f"**{withdraw}")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**{detail}")
    filed.refresh_from_db()
    assert filed.status == RequestStatus.WITHDRAWN
    expect(page.locator("main h1 + p .badge.status-withdrawn")).to_be_visible()
    expect(page.locator(".timeline .badge.status-withdrawn")).to_have_count(1)
    expect(page.locator("nav.steps")).to_have_count(0)
    expect(page.locator(f'main a[href="{withdraw}"]')).to_have_count(0)
    expect(page.locator("#id_body")).to_have_count(0)
    axe_check("request withdrawn")
    screenshot(page, f"{lang}-{width}", "request-withdrawn")

    # My requests: a card per request on a phone, a table on a desktop; the region takes focus.
    page.goto(reverse("civil_affairs:request-list"))
    expect(page.locator("tbody .badge.status-withdrawn")).to_be_visible()
    display = page.eval_on_selector("table.table-cards tbody tr", "el => getComputedStyle(el).display")
    assert display == ("block" if width == "phone" else "table-row"), display
    if width == "phone":
        label = page.eval_on_selector("table.table-cards td", "el => getComputedStyle(el, '::before').content")
        assert label.strip('"'), label
    region = page.locator('div.table-responsive[role="region"][tabindex="0"]')
    region.focus()
    expect(region).to_be_focused()
    expect_on_one_line(page, "main bdi.text-nowrap")
    expect_no_sideways_scroll(page)
    axe_check("my requests")
    screenshot(page, f"{lang}-{width}", "my-requests")


@pytest.fixture
def family(person_factory, user_factory, staff, today):
    ensure_request_types()
    father = person_factory(sex="M", birth_date=date(1976, 2, 2), name_ar="سعد الحربي", name_en="Saad Alharbi")
    mother = person_factory(sex="F", birth_date=date(1980, 2, 2))
    son = person_factory(sex="M", birth_date=birth_for(today + timedelta(days=20)), father=father, mother=mother,
                         national_id_issued=False, name_ar="عمر سعد", name_en="Omar Saad")
    daughter = person_factory(sex="F", birth_date=birth_for(today - timedelta(days=30)), father=father, mother=mother,
                              national_id_issued=False, name_ar="سلمى سعد", name_en="Salma Saad")
    added = person_factory(sex="F", birth_date=birth_for(today - timedelta(days=400)), father=father, mother=mother,
                           national_id_issued=False, name_ar="ريم سعد", name_en="Reem Saad", nationality="SA")
    account = user_factory(state=AccountState.ACTIVE, person=father, username="SaadFather11")
    request = services.request_submit(
        applicant=account, request_type=RequestType.objects.get(code="general_inquiry"), data={},
        description="About Reem", submission_key=uuid.uuid4(),
    )
    ServiceRequest.objects.filter(pk=request.pk).update(subject=added)
    GuardianLink.objects.create(guardian=father, dependent=added, guardian_account=account, relation="father",
                                created_by=staff)
    return {"account": account, "son": son, "daughter": daughter, "added": added, "today": today}


def test_refused_children_are_shown_before_the_form(page, live_server, lang, width, family, axe_check, screenshot):
    son, daughter = family["son"], family["daughter"]
    sign_in(page, live_server, family["account"])
    new_request = reverse("civil_affairs:request-new", args=["add_dependent"])
    page.goto(new_request)
    expect_language(page, lang)
    expect(page.locator("#id_description")).to_have_count(0)
    expect(page.locator("li.dependent-choice")).to_have_count(3)
    refused = page.locator(f"#choice-{son.national_id}")
    expect(refused.locator("ul.refusal-reasons li")).to_have_count(1)
    expect(refused.locator("a.choose")).to_have_count(0)
    shown = refused.locator("ul.refusal-reasons").inner_text().translate(ASCII_DIGITS)
    eligible_from = family["today"] + timedelta(days=20)
    assert str(eligible_from.year) in shown and str(ages.to_hijri(eligible_from).year) in shown, shown
    expect(page.locator(f"#choice-{family['added'].national_id}")).to_contain_text(
        saudi_arabia(lang))
    expect_on_one_line(page, "main bdi.text-nowrap")
    expect_no_sideways_scroll(page)
    axe_check("add-dependent choices")
    screenshot(page, f"{lang}-{width}", "choices")

    # A refused son typed into the address still gets the reason, never the form.
    page.goto(f"{new_request}?dependent_national_id={son.national_id}")
    expect(page.locator("ul.refusal-reasons li")).to_have_count(1)
    expect(page.locator("#id_description")).to_have_count(0)
    axe_check("refused")
    page.locator(f'main a[href="{new_request}"]').click()
    page.wait_for_url(f"**{new_request}")

    # The daughter leads to the form, about her.
    page.locator(f"#choice-{daughter.national_id} a.choose").click()
    page.wait_for_url(f"**dependent_national_id={daughter.national_id}")
    expect(page.locator("#id_description")).to_be_visible()
    expect(page.locator(".chosen-choice")).to_contain_text(daughter.name_ar if lang == "ar" else daughter.name_en)
    expect(page.locator('input[type=hidden][name=dependent_national_id]')).to_have_value(daughter.national_id)
    axe_check("add-dependent form")
    screenshot(page, f"{lang}-{width}", "form")

    # My dependents: the table of her requests becomes cards on a phone.
    page.goto(reverse("dependents:dependent-list"))
    card = page.locator(f'section.dependent[aria-labelledby="dependent-{family["added"].national_id}"]')
    expect(card).to_contain_text(saudi_arabia(lang))
    display = page.eval_on_selector("section.dependent table.table-cards tbody tr", "el => getComputedStyle(el).display")
    assert display == ("block" if width == "phone" else "table-row"), display
    region = card.locator('div.table-responsive[role="region"][tabindex="0"]')
    region.focus()
    expect(region).to_be_focused()
    expect_on_one_line(page, "main bdi.text-nowrap")
    expect_no_sideways_scroll(page)
    axe_check("my dependents")
    screenshot(page, f"{lang}-{width}", "dependents")

    # The types: pages reached from here pass too.
    for url in (reverse("civil_affairs:request-type-list"), reverse("civil_affairs:data-access")):
        page.goto(url)
        expect_no_sideways_scroll(page)
        axe_check(url)
