"""A kiosk in a real browser, portrait 1080 x 1920, in Arabic: an operator binds the device, a citizen
activates the account with the simulated reader; the kiosk resets itself when left idle; the public
centres page by region. Selectors are ids, names and reversed URLs, never translated text.
"""

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import AccountState, User
from biometrics import synthetic
from biometrics.matching import get_matcher
from biometrics.models import EnrollmentAttempt, Kiosk, KioskFlow
from civil_affairs.models import Person
from civil_affairs.services_registry import person_fingerprint_reference_set

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

KIOSK_VIEWPORT = {"width": 1080, "height": 1920}
PASSWORD = "Riyadh2026x"
OPERATOR_PASSWORD = "Kiosk2026Operator"
MIN_TARGET = 48  # QUALITY.md: kiosk touch targets at least 48 px
CITIZEN_ID = "1000012359"


@pytest.fixture(autouse=True)
def kiosk_settings(settings):
    settings.ROOT_URLCONF = "tests.biometrics.urls"  # until absher/urls.py mounts biometrics.urls
    settings.FINGERPRINT_READER = "biometrics.readers.simulated.SimulatedReader"
    settings.FINGERPRINT_SIMULATOR_ALLOWED = True
    settings.FINGERPRINT_SIMULATOR_SEED = "browser"
    settings.OTP_RESEND_COOLDOWN = timedelta(0)
    return settings


@pytest.fixture
def kiosk_page(browser, live_server, page_problems):
    context = browser.new_context(viewport=KIOSK_VIEWPORT, locale="ar-SA", base_url=live_server.url, has_touch=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page_problems.watch(page)
    yield page
    context.close()


@pytest.fixture
def kiosk():
    return Kiosk.objects.create(
        serial="KSK-RUH-001", region="riyadh", city_ar="الرياض", city_en="Riyadh",
        site_name_ar="مكتب الأحوال المدنية بالملز", site_name_en="Civil Affairs Office, Al Malaz",
        address_ar="حي الملز، طريق صلاح الدين الأيوبي", address_en="Al Malaz district, Salah Al Din Al Ayoubi Road",
        opening_hours_ar="الأحد إلى الخميس، 7:30 صباحًا – 2:30 مساءً", opening_hours_en="Sunday to Thursday, 7:30 am – 2:30 pm",
        accessibility_ar="مدخل بلا درج", accessibility_en="Step-free entrance",
    )


@pytest.fixture
def operator():
    user = User(username="KioskOperator1", mobile="+966500000908", email="op@example.com", state=AccountState.ACTIVE, is_staff=True)
    user.set_password(OPERATOR_PASSWORD)
    user.save()
    user.groups.add(Group.objects.get(name="Kiosk operators"))
    return user


@pytest.fixture
def citizen():
    person = Person.objects.create(
        national_id=CITIZEN_ID, name_ar="فهد عبدالله القحطاني", name_en="Fahad Abdullah Alqahtani", sex="M",
        birth_date=date(1990, 4, 1), nationality="SA", national_id_issued=True,
    )
    reference = get_matcher().enrol(synthetic.enrolment_images(CITIZEN_ID))  # NBIS through libfprint, as every match here
    person_fingerprint_reference_set(person=person, template=reference, actor=None)
    user = User(username="Fahad2026x", mobile="+966551230001", email="fahad@example.com", person=person,
                state=AccountState.REGISTERED, preferred_language="ar")
    user.set_password(PASSWORD)
    user.save()
    return user


def submit(page, selector):
    with page.expect_navigation():
        page.locator(selector).click()


def expect_arabic(page):
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")


def expect_touch_targets(page):
    """Every visible control of the page is at least MIN_TARGET px both ways."""
    small = page.evaluate(
        """(min) => Array.from(document.querySelectorAll('button, a, input:not([type=hidden]), select, summary'))
            .filter(el => el.offsetParent !== null)
            .map(el => [el.id || el.name || el.textContent.trim().slice(0, 20), el.getBoundingClientRect()])
            .filter(([name, r]) => r.width < min || r.height < min)
            .map(([name, r]) => `${name}: ${Math.round(r.width)}x${Math.round(r.height)}`)""",
        MIN_TARGET,
    )
    assert small == [], small


def expect_no_problems(page_problems):
    assert page_problems.items == [], "\n".join(page_problems.items)


def bind_device(page, kiosk, sms_outbox, sms_code, screenshot):
    """The operator signs in on the kiosk (password, SMS code) and binds it; then signed out of it."""
    before = len(sms_outbox)
    page.goto(f"{reverse('accounts:login')}?next={reverse('biometrics:kiosk-provision')}")
    page.locator("#id_identifier").fill("KioskOperator1")
    page.locator("#id_password").fill(OPERATOR_PASSWORD)
    submit(page, "form.portal-form button[type=submit]")
    page.locator("#id_code").fill(sms_code(after=before))
    submit(page, "form.portal-form button[type=submit]")
    page.wait_for_url(f"**{reverse('biometrics:kiosk-provision')}")
    page.locator("#id_kiosk").select_option(str(kiosk.pk))
    screenshot(page, "ar", "provision")
    submit(page, "#provision-submit")
    page.wait_for_url(f"**{reverse('biometrics:kiosk-start')}")
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["absher_kiosk"]["httpOnly"] and cookies["absher_kiosk"]["sameSite"] == "Strict"
    assert "absher_session" not in cookies  # the operator is signed out of the kiosk device


def test_a_citizen_activates_the_account_at_the_kiosk_in_arabic(
    kiosk_page, kiosk, operator, citizen, sms_outbox, sms_code, screenshot, page_problems
):
    page = kiosk_page
    bind_device(page, kiosk, sms_outbox, sms_code, screenshot)

    # The first screen: the language.
    expect(page.locator("#language-ar")).to_be_visible()
    expect_touch_targets(page)
    screenshot(page, "ar", "language")
    submit(page, "#language-ar")
    expect_arabic(page)
    screenshot(page, "ar", "menu")
    expect_touch_targets(page)
    submit(page, "#purpose-activation")

    # The ID number, typed on the kiosk's own keypad.
    page.wait_for_url(f"**{reverse('biometrics:kiosk-id')}")
    expect_arabic(page)
    for digit in CITIZEN_ID:
        page.locator(".kiosk-keypad button", has_text=digit).first.click()
    expect(page.locator("#id_national_id")).to_have_value(CITIZEN_ID)
    expect_touch_targets(page)
    screenshot(page, "ar", "id-number")
    submit(page, "#kiosk-next")

    # The right index finger on the (simulated) reader.
    page.wait_for_url(f"**{reverse('biometrics:kiosk-finger')}")
    expect(page.locator("#kiosk-simulator")).to_be_visible()
    expect_touch_targets(page)
    screenshot(page, "ar", "finger")
    submit(page, "#kiosk-scan")

    page.wait_for_url(f"**{reverse('biometrics:kiosk-terms')}")
    screenshot(page, "ar", "terms")
    page.locator("#id_accept").check()
    submit(page, "#kiosk-next")

    page.wait_for_url(f"**{reverse('biometrics:kiosk-mobile')}")
    page.locator("#id_mobile").fill("551230001")
    expect_touch_targets(page)
    screenshot(page, "ar", "mobile")
    before = len(sms_outbox)
    submit(page, "#kiosk-next")

    page.wait_for_url(f"**{reverse('biometrics:kiosk-mobile-code')}")
    page.locator("#id_code").fill(sms_code(after=before))
    screenshot(page, "ar", "mobile-code")
    submit(page, "#kiosk-next")

    page.wait_for_url(f"**{reverse('biometrics:kiosk-credentials')}")
    page.locator("#id_identifier").fill("Fahad2026x")
    page.locator("#id_password").fill(PASSWORD)
    screenshot(page, "ar", "sign-in")
    before = len(sms_outbox)
    submit(page, "#kiosk-next")

    page.wait_for_url(f"**{reverse('biometrics:kiosk-login-code')}")
    page.locator("#id_code").fill(sms_code(after=before))
    screenshot(page, "ar", "sign-in-code")
    submit(page, "#kiosk-next")

    page.wait_for_url(f"**{reverse('biometrics:kiosk-done')}")
    expect(page.locator("#kiosk-done")).to_have_attribute("data-purpose", "activation")
    expect_arabic(page)
    screenshot(page, "ar", "done")
    citizen.refresh_from_db()
    assert citizen.state == AccountState.ACTIVE and citizen.activation_method == "kiosk_fingerprint"
    assert EnrollmentAttempt.objects.get(account=citizen).completed_at is not None

    # Finish: the first screen, nothing of the citizen on it or in the kiosk's store.
    submit(page, "#kiosk-cancel")
    page.wait_for_url(f"**{reverse('biometrics:kiosk-start')}")
    assert CITIZEN_ID not in page.content() and "Fahad" not in page.content()
    assert not KioskFlow.objects.exists()
    expect_no_problems(page_problems)


def test_the_kiosk_resets_itself_when_left_idle(kiosk_page, kiosk, operator, sms_outbox, sms_code, screenshot, settings, page_problems):
    page = kiosk_page
    bind_device(page, kiosk, sms_outbox, sms_code, screenshot)
    settings.KIOSK_IDLE_TIMEOUT = timedelta(seconds=3)
    submit(page, "#language-ar")
    submit(page, "#purpose-activation")
    page.wait_for_url(f"**{reverse('biometrics:kiosk-id')}")
    page.locator("#id_national_id").fill("1000012")
    # No touch for 3 seconds: kiosk.js posts the reset, and the first screen is back, empty.
    page.wait_for_url(f"**{reverse('biometrics:kiosk-start')}", timeout=8_000)
    expect(page.locator("#language-ar")).to_be_visible()
    screenshot(page, "ar", "after-idle")
    assert not KioskFlow.objects.exists()
    expect_no_problems(page_problems)


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_the_centres_page_by_region(page, kiosk, lang, screenshot, page_problems):
    from django.utils import timezone

    Kiosk.objects.filter(pk=kiosk.pk).update(last_heartbeat_at=timezone.now())
    Kiosk.objects.create(
        serial="KSK-MAK-001", region="makkah", city_ar="جدة", city_en="Jeddah", site_name_ar="إدارة الجوازات بجدة",
        site_name_en="Passports Department, Jeddah", address_ar="حي الروضة", address_en="Al Rawdah district",
        opening_hours_ar="يوميًا", opening_hours_en="Every day", in_service=False,
    )
    page.goto(reverse("biometrics:centre-list"))
    if lang == "en":
        submit(page, "header form.language-switcher button[name=language][value=en]")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    screenshot(page, lang, "regions")
    page.locator("#id_region").select_option("riyadh")
    submit(page, "#show-centres")
    card = page.locator('article.centre-card[data-serial="KSK-RUH-001"]')
    expect(card).to_be_visible()
    expect(card.locator(".kiosk-status")).to_have_attribute("data-status", "available")
    expect(card).to_contain_text("مكتب الأحوال المدنية بالملز" if lang == "ar" else "Civil Affairs Office, Al Malaz")
    expect(page.locator('article.centre-card[data-serial="KSK-MAK-001"]')).to_have_count(0)
    screenshot(page, lang, "riyadh")
    page.locator("#id_region").select_option("makkah")
    submit(page, "#show-centres")
    expect(page.locator('article.centre-card[data-serial="KSK-MAK-001"] .kiosk-status')).to_have_attribute("data-status", "out_of_service")
    screenshot(page, lang, "makkah")
    expect_no_problems(page_problems)


# --- accessibility: every kiosk screen and the centres page pass axe-core in both languages -------


def axe_violations(page):
    from tests.browser.test_accessibility import AXE

    if not AXE.exists():
        pytest.skip(f"{AXE} is missing: run `npm ci`")
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    return page.evaluate(
        "async () => { const r = await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}}); return r.violations.map(v => "
        "({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})); }"
    )


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_every_kiosk_screen_passes_axe(browser, live_server, kiosk, operator, citizen, lang):
    import json

    from biometrics.credentials import cookie_name, credential_issue
    from biometrics.flows import flow_begin
    from biometrics.kiosk_views import STEP_URLS
    from biometrics.services import kiosk_provision

    kiosk = kiosk_provision(kiosk=kiosk, actor=operator, client_address="127.0.0.1")
    context = browser.new_context(viewport=KIOSK_VIEWPORT, bypass_csp=True, base_url=live_server.url)
    context.add_cookies([{"name": cookie_name(), "value": credential_issue(kiosk), "url": live_server.url}])
    page = context.new_page()
    found = {}

    def check(name):
        if problems := axe_violations(page):
            found[name] = problems

    page.goto(reverse("biometrics:kiosk-start"))
    check("start")
    screens = {
        "menu": {},
        "id": {"purpose": "activation"},
        "finger": {"purpose": "activation", "national_id": CITIZEN_ID, "notice": "no_match", "remaining": 4},
        "terms": {"purpose": "activation", "national_id": CITIZEN_ID, "user_id": citizen.pk},
        "mobile": {"purpose": "activation", "user_id": citizen.pk},
        "mobile_code": {"purpose": "activation", "user_id": citizen.pk, "challenge": "00000000-0000-0000-0000-000000000000"},
        "credentials": {"purpose": "activation", "user_id": citizen.pk},
        "new_mobile": {"purpose": "mobile_change", "user_id": citizen.pk},
        "done": {"purpose": "activation"},
        "stop": {"reason": "already_active"},
    }
    from django.utils import timezone

    for step, data in screens.items():
        flow = flow_begin(kiosk, language=lang, now=timezone.now())
        flow.data.update(step=step, **data)
        flow.save()
        page.goto(reverse(STEP_URLS[step]))
        expect(page.locator("html")).to_have_attribute("lang", lang)
        check(step)
        if step in ("id", "mobile", "credentials"):  # and with the error summary
            page.locator("#kiosk-next").click()
            page.wait_for_load_state()
            check(f"{step} (errors)")
    context.close()
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_the_centres_page_passes_axe(browser, live_server, kiosk, lang):
    import json

    context = browser.new_context(bypass_csp=True, base_url=live_server.url)
    context.add_cookies([{"name": "absher_language", "value": lang, "url": live_server.url}])
    page = context.new_page()
    page.goto(reverse("biometrics:centre-list") + "?region=riyadh")
    problems = axe_violations(page)
    context.close()
    assert problems == [], json.dumps(problems, ensure_ascii=False, indent=1)
