"""Issue 11, the bugs a citizen hits, in a real browser at a phone's and a desktop's width, in Arabic
and English: the registration form's language, values read left to right (the masked mobile on the
code pages, the footer's phone numbers), the header on one line (no "Register" once signed in, a staff
link for staff only), the mobile field's error under it, notices without the SMS prefix, the public
centres page (available / out of service, hours, phone, map), the steps of registration; axe-core on
every page changed. Selectors are ids, classes and reversed URLs; text only where language is checked.
"""

import json
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import AccountState, User
from biometrics.models import Kiosk
from tests.browser.test_accessibility import AXE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
VIEWPORTS = {"390": PHONE, "1366": DESKTOP}
PASSWORD = "Riyadh2026x"
SUBMIT = "form.portal-form button[type=submit]"


@pytest.fixture
def open_page(browser, live_server, page_problems):
    """`open_page(lang, width, user=None)`: a page in `lang` at that viewport, signed in as `user`;
    axe may be injected (the context bypasses the CSP; the pages themselves are unchanged)."""
    contexts = []

    def make(lang, width, user=None):
        context = browser.new_context(viewport=VIEWPORTS[width], base_url=live_server.url, bypass_csp=True,
                                      locale="ar-SA" if lang == "ar" else "en-US")
        context.set_default_timeout(10_000)
        contexts.append(context)
        context.add_cookies([{"name": "absher_language", "value": lang, "url": live_server.url}])
        if user is not None:
            client = Client()
            client.force_login(user)
            cookie = client.cookies[settings.SESSION_COOKIE_NAME]
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}])
        page = context.new_page()
        page_problems.watch(page)
        return page

    yield make
    for context in contexts:
        context.close()


def submit(page, selector=SUBMIT):
    with page.expect_navigation():
        page.locator(selector).click()


def axe(page) -> list:
    if not AXE.exists():
        pytest.skip(f"{AXE} is missing: run `npm ci`")
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    return page.evaluate(
        "async () => { const r = await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}}); return r.violations.map(v => "
        "({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})); }"
    )


def expect_no_axe_violations(page, name, found):
    if problems := axe(page):
        found[name] = problems


def expect_no_problems(page_problems):
    assert page_problems.items == [], "\n".join(page_problems.items)


# Where the browser draws the first and the last character of an element's text, and on how many
# lines: a value read left to right has its first character left of its last, on one line.
TEXT_GEOMETRY = """(element) => {
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  const nodes = [];
  while (walker.nextNode()) { if (walker.currentNode.textContent.trim()) nodes.push(walker.currentNode); }
  const first = nodes[0], last = nodes[nodes.length - 1];
  const start = first.textContent.search(/\\S/), end = last.textContent.trimEnd().length;
  const box = (node, offset) => { const r = document.createRange(); r.setStart(node, offset);
    r.setEnd(node, offset + 1); return r.getBoundingClientRect(); };
  const all = document.createRange(); all.selectNodeContents(element);
  const lines = new Set(Array.from(all.getClientRects()).filter(r => r.width > 0).map(r => Math.round(r.top)));
  return {firstLeft: box(first, start).left, lastLeft: box(last, end - 1).left, lines: lines.size,
          text: element.textContent.trim()};
}"""


def expect_left_to_right_on_one_line(locator):
    geometry = locator.evaluate(TEXT_GEOMETRY)
    assert geometry["firstLeft"] < geometry["lastLeft"], geometry
    assert geometry["lines"] == 1, geometry


def fresh_person(person_factory):
    return person_factory(name_en="Khalid Alotaibi", name_ar="خالد العتيبي")


# --- 1, 2 and 7: registration in the page's language, its steps, the masked mobile, the landing page ---


@pytest.mark.parametrize("width", ["390", "1366"])
@pytest.mark.parametrize("lang", ["ar", "en"])
def test_registration_follows_the_page_language_shows_its_steps_and_reads_the_mobile_left_to_right(
    open_page, lang, width, person_factory, sms_code, sms_outbox, screenshot, page_problems
):
    person = fresh_person(person_factory)
    mobile = f"55{len(lang)}{int(width):06d}"
    username = f"Steps2026{lang}{width}"
    page = open_page(lang, width)
    found = {}

    page.goto(reverse("accounts:register"))
    steps = page.locator("nav.steps .steps-item")
    expect(steps).to_have_count(4)
    expect(steps.nth(0)).to_have_attribute("aria-current", "step")
    # Bug 1: the preferred language is the page's, untouched by the citizen.
    expect(page.locator(f"input[name=language][value={lang}]")).to_be_checked()
    screenshot(page, f"{lang}-{width}", "register")
    expect_no_axe_violations(page, "register", found)

    page.locator("#id_national_id").fill(person.national_id)
    page.locator("#id_mobile").fill(mobile)
    page.locator("#id_username").fill(username)
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.locator("#id_email").fill(f"{username.lower()}@example.com")
    page.locator("#id_email2").fill(f"{username.lower()}@example.com")
    page.locator("#id_captcha_1").fill("PASSED")
    page.locator("#id_terms").check()
    submit(page)
    page.wait_for_url(f"**{reverse('accounts:register-confirm')}")
    expect(steps.nth(0)).to_have_class(re.compile(r"\bsteps-done\b"))
    expect(steps.nth(1)).to_have_attribute("aria-current", "step")
    # Bug 2: "05•••••xyz", never "xyz•••••05", and never broken over two lines.
    masked = page.locator("main p bdi[dir=ltr]").first
    expect(masked).to_have_text(re.compile(r"^05\u2022+\d{3}$"))
    expect_left_to_right_on_one_line(masked)
    screenshot(page, f"{lang}-{width}", "register-code")
    expect_no_axe_violations(page, "register-code", found)
    assert sms_outbox[-1].body.startswith("أبشر:" if lang == "ar" else "Absher:")

    page.locator("#id_code").fill(sms_code(after=0))
    submit(page)
    page.wait_for_url(f"**{reverse('accounts:login')}")
    assert User.objects.get(username=username).preferred_language == lang

    page.locator("#id_identifier").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    submit(page)
    page.wait_for_url(f"**{reverse('accounts:login-verify')}")
    masked = page.locator("main p bdi[dir=ltr]").first
    expect_left_to_right_on_one_line(masked)
    expect(page.locator("nav.steps")).to_have_count(0)
    screenshot(page, f"{lang}-{width}", "sign-in-code")
    expect_no_axe_violations(page, "sign-in-code", found)
    # The sign-in code's SMS is in the language chosen by default.
    assert sms_outbox[-1].body.startswith("أبشر:" if lang == "ar" else "Absher:")

    page.locator("#id_code").fill(sms_code(after=1))
    submit(page)
    # Step 3: signed in, with activation at a kiosk next and the way to the centres.
    page.wait_for_url(f"**{reverse('accounts:welcome')}")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(steps.nth(2)).to_have_attribute("aria-current", "step")
    expect(steps.nth(3)).to_have_class(re.compile(r"\bsteps-todo\b"))
    expect(page.locator("#find-a-kiosk")).to_have_attribute("href", reverse("biometrics:centre-list"))
    screenshot(page, f"{lang}-{width}", "welcome")
    expect_no_axe_violations(page, "welcome", found)
    page.locator("#find-a-kiosk").click()
    page.wait_for_url(f"**{reverse('biometrics:centre-list')}")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)
    expect_no_problems(page_problems)


# --- 4: the mobile field's error sits under the field, from its start side -------------------------


@pytest.mark.parametrize("width", ["390", "1366"])
@pytest.mark.parametrize("lang", ["ar", "en"])
def test_the_mobile_fields_error_sits_under_it_on_the_start_side(open_page, lang, width, screenshot, page_problems):
    page = open_page(lang, width)
    page.goto(reverse("accounts:register"))
    page.locator("#id_mobile").fill("12")
    submit(page)
    error = page.locator("#id_mobile_error")
    expect(error).to_be_visible()
    field = page.locator("#div_id_mobile .input-group").bounding_box()
    control = page.locator("#id_mobile").bounding_box()
    box = error.bounding_box()
    assert box["y"] >= control["y"] + control["height"] - 1, (box, control)  # under the input
    assert field["x"] - 1 <= box["x"] and box["x"] + box["width"] <= field["x"] + field["width"] + 1, (box, field)
    text = error.locator("strong").evaluate(
        "(e) => { const r = document.createRange(); r.selectNodeContents(e); const b = r.getBoundingClientRect();"
        " return {left: b.left, right: b.right}; }"
    )
    if lang == "ar":  # right-aligned: the text ends at the field's right edge (its start side)
        assert abs(text["right"] - (field["x"] + field["width"])) <= 2, (text, field)
        expect(error).to_have_css("direction", "rtl")
    else:
        assert abs(text["left"] - field["x"]) <= 2, (text, field)
    screenshot(page, f"{lang}-{width}", "mobile-error")
    found = {}
    expect_no_axe_violations(page, "register-errors", found)
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)
    expect_no_problems(page_problems)


# --- 3: the header: one line at 1366 px, no "Register" once signed in, staff link for staff only ----

HEADER_GEOMETRY = """() => {
  const nav = document.querySelector('header nav');
  const container = nav.querySelector('.container').getBoundingClientRect();
  const padding = parseFloat(getComputedStyle(nav.querySelector('.container')).paddingRight);
  const items = Array.from(nav.querySelectorAll('.navbar-brand, .nav-link, .nav-item .btn'))
    .filter(e => e.offsetParent !== null)
    .map(e => { const r = e.getBoundingClientRect(); const lh = parseFloat(getComputedStyle(e).lineHeight);
      return {text: e.textContent.trim(), top: r.top, bottom: r.bottom, left: r.left, right: r.right,
              lines: Math.round((e.scrollHeight - parseFloat(getComputedStyle(e).paddingTop)
                      - parseFloat(getComputedStyle(e).paddingBottom)) / lh)}; });
  return {height: nav.getBoundingClientRect().height, left: container.left + padding,
          right: container.right - padding, items: items};
}"""


def header_on_one_line(page):
    geometry = page.evaluate(HEADER_GEOMETRY)
    items = geometry["items"]
    assert items, geometry
    # One row: every item's vertical middle is on the brand's; no item on two lines; none outside.
    middle = (items[0]["top"] + items[0]["bottom"]) / 2
    for item in items:
        assert abs((item["top"] + item["bottom"]) / 2 - middle) <= 4, (item, geometry)
        assert item["lines"] == 1, item
        assert geometry["left"] - 1 <= item["left"] and item["right"] <= geometry["right"] + 1, (item, geometry)
    return geometry


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_the_signed_in_header_fits_on_one_line_at_1366(open_page, user_factory, lang, screenshot, page_problems):
    one_line = None
    for user in (
        user_factory(state=AccountState.ACTIVE, username="Citizen2026x"),
        # The widest header: a staff account with the longest username the portal allows.
        user_factory(state=AccountState.ACTIVE, username="AVeryLongUsername2026abcdefghi", is_staff=True),
    ):
        page = open_page(lang, "1366", user)
        page.goto(reverse("home"))
        expect(page.locator("header")).to_contain_text(user.username)
        geometry = header_on_one_line(page)
        one_line = one_line or geometry["height"]
        assert geometry["height"] == one_line, geometry  # the staff link adds no line
        screenshot(page, f"{lang}-1366", "header-staff" if user.is_staff else "header-citizen")
    # As high as the header of a visitor: a single line.
    page = open_page(lang, "1366")
    page.goto(reverse("home"))
    assert header_on_one_line(page)["height"] == one_line
    expect_no_problems(page_problems)


def open_menu(page, width):
    if width == "390":
        page.locator("header .navbar-toggler").click()
        expect(page.locator("#main-nav")).to_be_visible()


@pytest.mark.parametrize("width", ["390", "1366"])
@pytest.mark.parametrize("lang", ["ar", "en"])
def test_register_and_the_staff_link_in_the_header(open_page, user_factory, lang, width, screenshot, page_problems):
    register = f'header a[href="{reverse("accounts:register")}"]'
    staff_site = f'header a[href="{reverse("admin:index")}"]'

    page = open_page(lang, width)
    page.goto(reverse("contact"))
    open_menu(page, width)
    expect(page.locator(register)).to_be_visible()
    expect(page.locator(staff_site)).to_have_count(0)

    citizen = user_factory(state=AccountState.REGISTERED)
    page = open_page(lang, width, citizen)
    page.goto(reverse("contact"))
    open_menu(page, width)
    expect(page.locator(f'header a[href="{reverse("accounts:profile")}"]')).to_be_visible()
    expect(page.locator(register)).to_have_count(0)
    expect(page.locator(staff_site)).to_have_count(0)
    screenshot(page, f"{lang}-{width}", "citizen-menu")

    staff = user_factory(state=AccountState.ACTIVE, is_staff=True, username="Officer2026x")
    page = open_page(lang, width, staff)
    page.goto(reverse("contact"))
    open_menu(page, width)
    expect(page.locator(staff_site)).to_be_visible()
    expect(page.locator(register)).to_have_count(0)
    screenshot(page, f"{lang}-{width}", "staff-menu")
    found = {}
    expect_no_axe_violations(page, "header (staff, menu open)", found)
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)
    with page.expect_navigation():
        page.locator(staff_site).click()
    assert page.url.endswith(reverse("admin:index"))
    expect_no_problems(page_problems)


# --- 2: the footer's phone numbers, and the contact page's, never break inside --------------------


@pytest.mark.parametrize("width", ["390", "1366"])
@pytest.mark.parametrize("lang", ["ar", "en"])
def test_phone_numbers_read_left_to_right_on_one_line(open_page, lang, width, screenshot, page_problems):
    page = open_page(lang, width)
    page.goto(reverse("contact"))
    phones = page.locator('a[href^="tel:"]')
    assert phones.count() == 4  # two on the page, two in the footer
    for index in range(phones.count()):
        expect_left_to_right_on_one_line(phones.nth(index))
    abroad = page.locator('footer a[href^="tel:+"]')
    expect(abroad).to_have_text(re.compile(r"^\+966"))
    screenshot(page, f"{lang}-{width}", "contact")
    found = {}
    expect_no_axe_violations(page, "contact", found)
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)
    expect_no_problems(page_problems)


# --- 5: notices without the SMS prefix -------------------------------------------------------------


@pytest.mark.parametrize("width", ["390", "1366"])
@pytest.mark.parametrize("lang", ["ar", "en"])
def test_notices_read_without_the_sms_prefix(open_page, user_factory, lang, width, sms_outbox, screenshot, page_problems):
    from absher.notifications.services import notify

    user = user_factory(state=AccountState.ACTIVE, preferred_language=lang)
    notify(user=user, source="passports", kind="paid", params={"bill": "B-2026-000123", "amount": "300"})
    prefix = "أبشر:" if lang == "ar" else "Absher:"
    assert sms_outbox[-1].body.startswith(prefix)  # the SMS keeps its sender
    page = open_page(lang, width, user)
    page.goto(reverse("passports:home"))
    notice = page.locator(".passport-notices li").first
    expect(notice).to_contain_text("B-2026-000123")
    assert not notice.inner_text().strip().startswith(prefix), notice.inner_text()
    assert "أبشر:" not in notice.inner_text() and "Absher:" not in notice.inner_text()
    screenshot(page, f"{lang}-{width}", "notices")
    expect_no_problems(page_problems)


# --- 6: the public centres page ---------------------------------------------------------------------


@pytest.fixture
def centres():
    common = {"region": "riyadh", "city_ar": "الرياض", "city_en": "Riyadh", "accessibility_ar": "مدخل بلا درج",
              "accessibility_en": "Step-free entrance"}
    return [
        # Never sent a heartbeat (as every demo kiosk): a citizen can still use it.
        Kiosk.objects.create(
            serial="KSK-RUH-001", site_name_ar="مكتب الأحوال المدنية بالملز", site_name_en="Civil Affairs Office, Al Malaz",
            address_ar="حي الملز", address_en="Al Malaz district", opening_hours_ar="الأحد إلى الخميس، 7:30 صباحًا – 2:30 مساءً",
            opening_hours_en="Sunday to Thursday, 7:30 am – 2:30 pm", phone="011 000 0101",
            latitude=Decimal("24.66600"), longitude=Decimal("46.73370"), **common,
        ),
        Kiosk.objects.create(
            serial="KSK-RUH-002", site_name_ar="الرياض بارك", site_name_en="Riyadh Park mall", address_ar="حي العقيق",
            address_en="Al Aqiq district", opening_hours_ar="يوميًا، 10 صباحًا – 11 مساءً",
            opening_hours_en="Every day, 10 am – 11 pm", in_service=False, out_of_service_reason="screen", **common,
        ),
    ]


@pytest.mark.parametrize("width", ["390", "1366"])
@pytest.mark.parametrize("lang", ["ar", "en"])
def test_the_centres_page_says_what_a_citizen_needs(open_page, centres, lang, width, screenshot, page_problems):
    page = open_page(lang, width)
    page.goto(reverse("biometrics:centre-list") + "?region=riyadh")
    open_card = page.locator('article.centre-card[data-serial="KSK-RUH-001"]')
    closed_card = page.locator('article.centre-card[data-serial="KSK-RUH-002"]')
    expect(open_card.locator(".centre-status")).to_have_attribute("data-status", "available")
    expect(closed_card.locator(".centre-status")).to_have_attribute("data-status", "out_of_service")
    expect(page.locator('[data-status="offline"], [data-status="online"]')).to_have_count(0)
    expect(open_card).to_contain_text("7:30")
    expect(closed_card).to_contain_text("11 مساءً" if lang == "ar" else "11 pm")
    phone = open_card.locator('a.centre-phone[href="tel:0110000101"]')
    expect(phone).to_have_text("011 000 0101")
    expect_left_to_right_on_one_line(phone)
    expect(closed_card.locator("a.centre-phone")).to_have_count(0)
    map_link = open_card.locator("a.centre-map-link")
    expect(map_link).to_have_attribute("href", re.compile(r"^https://www\.openstreetmap\.org/\?mlat=24\.66600&mlon=46\.73370"))
    expect(closed_card.locator("a.centre-map-link")).to_have_attribute(
        "href", re.compile(r"^https://www\.openstreetmap\.org/search\?query="))
    # No script of a map service on the page: only our own.
    sources = page.evaluate("Array.from(document.scripts).map(s => s.src)")
    assert all(source.startswith(page.url.split("/centres/")[0]) for source in sources), sources
    screenshot(page, f"{lang}-{width}", "centres")
    found = {}
    expect_no_axe_violations(page, "centres", found)
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)
    expect_no_problems(page_problems)


# --- axe on the other pages changed: the landing page, the profile, the error pages ----------------


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_the_changed_pages_pass_axe(open_page, user_factory, lang):
    found = {}
    registered = user_factory(state=AccountState.REGISTERED)
    page = open_page(lang, "1366", registered)
    for name in ["accounts:welcome", "accounts:activation-help", "accounts:profile", "accounts:login", "home"]:
        page.goto(reverse(name))
        expect_no_axe_violations(page, name, found)
    page.goto("/no-such-page/")
    expect_no_axe_violations(page, "404", found)
    staff = user_factory(state=AccountState.ACTIVE, is_staff=True)
    page = open_page(lang, "390", staff)
    page.goto(reverse("home"))
    expect_no_axe_violations(page, "home (staff, phone)", found)
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)
