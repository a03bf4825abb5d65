"""A father adds his daughter as a dependent in a real browser, in Arabic, and staff approve it.

The father sees his son refused before any form (the list of his children says why, with the
date in both calendars, and no request is filed), then files the request for his daughter with
a photo; a superuser takes and approves it in the staff queue; the daughter then appears on the
father's "My dependents" page. Selectors are ids, names and reversed URLs, never translated text.
"""

import importlib
import re
from datetime import date, timedelta

import pytest
from django.apps import apps
from django.urls import reverse
from PIL import Image
from playwright.sync_api import expect

from accounts.models import AccountState
from civil_affairs import ages
from civil_affairs.models import RequestStatus, ServiceRequest
from dependents.models import GuardianLink

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANG = "ar"
FATHER_PASSWORD = "Riyadh2026x"
STAFF_PASSWORD = "Staff2026Queue"
SUBMIT = "form.portal-form button[type=submit]"
REFERENCE = re.compile(r"CA-\d{4}-\d{6}")
# The page may print its digits in Arabic-Indic form; the checks read them as ASCII.
ASCII_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")


def submit(page, selector=SUBMIT):
    with page.expect_navigation():
        page.locator(selector).click()


def click_to(page, selector, url):
    page.locator(selector).first.click()
    page.wait_for_url(f"**{url}")


def expect_arabic(page):
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")


def watch_favicon_misses(page) -> list[str]:
    """The console errors of Chromium's own /favicon.ico fetch: the staff admin's pages link no
    icon (the portal's base.html does), so the browser asks for /favicon.ico and gets a 404."""
    misses: list[str] = []

    def seen(message):
        if message.type == "error" and message.location.get("url", "").endswith("/favicon.ico"):
            misses.append(f"console {message.type}: {message.text}")

    page.on("console", seen)
    return misses


def expect_no_problems(page_problems, *, expected=()):
    unexpected = list(page_problems.items)
    for item in expected:
        unexpected.remove(item)
    assert unexpected == [], "\n".join(unexpected)


def birth_for(reaches: date) -> date:
    """A birth date on which 14 years and 10 months (Hijri) fall exactly on `reaches`."""
    guess = reaches - timedelta(days=round(14 * 354.37 + 10 * 29.53))
    for shift in range(-40, 41):
        birth = guess + timedelta(days=shift)
        if ages.anniversary(birth, years=14, months=10, calendar=ages.HIJRI) == reaches:
            return birth
    raise AssertionError(f"no birth date reaches 14 years and 10 months (Hijri) on {reaches}")


def ensure_request_types():
    """A transactional test starts from a flushed database: put the migration's types back."""
    migration = importlib.import_module("civil_affairs.migrations.0003_request_types_and_groups")
    migration.forwards(apps, None)


def sign_in(page, username, password, *, sms_outbox, sms_code, next_url="", expect_url=None):
    before = len(sms_outbox)
    login = reverse("accounts:login")
    page.goto(f"{login}?next={next_url}" if next_url else login)
    expect_arabic(page)
    page.locator("#id_identifier").fill(username)
    page.locator("#id_password").fill(password)
    submit(page)
    page.wait_for_url(f"**{reverse('accounts:login-verify')}")
    page.locator("#id_code").fill(sms_code(after=before))
    submit(page)
    page.wait_for_url(f"**{expect_url or reverse('home')}")
    expect(page.locator("header")).to_contain_text(username)


def sign_out(page):
    submit(page, f'header form[action="{reverse("accounts:logout")}"] button[type=submit]')
    page.wait_for_url(f"**{reverse('home')}")
    expect(page.locator(f'header a[href="{reverse("accounts:login")}"]')).to_be_visible()


@pytest.fixture(autouse=True)
def no_code_cooldown(settings):
    # The father signs in again within a minute of his last code; the per-mobile cooldown
    # (OTP_RESEND_COOLDOWN) would refuse that sign-in, which is not what this flow checks.
    settings.OTP_RESEND_COOLDOWN = timedelta(0)


@pytest.fixture
def family(person_factory, user_factory, today):
    ensure_request_types()
    father = person_factory(
        sex="M", birth_date=date(1978, 5, 10), name_ar="سعد عبدالله الحربي", name_en="Saad Abdullah Alharbi"
    )
    mother = person_factory(
        sex="F", birth_date=date(1982, 9, 3), name_ar="نورة محمد القحطاني", name_en="Noura Mohammed Alqahtani"
    )
    daughter = person_factory(
        sex="F",
        birth_date=birth_for(today - timedelta(days=30)),
        father=father,
        mother=mother,
        national_id_issued=False,
        name_ar="سلمى سعد الحربي",
        name_en="Salma Saad Alharbi",
    )
    son = person_factory(
        sex="M",
        birth_date=birth_for(today + timedelta(days=20)),
        father=father,
        mother=mother,
        national_id_issued=False,
        name_ar="عمر سعد الحربي",
        name_en="Omar Saad Alharbi",
    )
    account = user_factory(
        state=AccountState.ACTIVE, person=father, password=FATHER_PASSWORD, username="SaadFather2026"
    )
    staff = user_factory(
        state=AccountState.ACTIVE,
        password=STAFF_PASSWORD,
        username="QueueOfficer01",
        mobile="+966500000999",
        is_staff=True,
        is_superuser=True,
    )
    return {"account": account, "daughter": daughter, "son": son, "staff": staff, "today": today}


def test_father_adds_daughter_and_staff_approve(
    page, family, sms_outbox, sms_code, screenshot, page_problems, tmp_path
):
    account, daughter, son, staff = family["account"], family["daughter"], family["son"], family["staff"]
    photo = tmp_path / "salma.png"
    Image.new("RGB", (60, 80), (240, 240, 240)).save(photo, "PNG")
    new_request = reverse("civil_affairs:request-new", args=["add_dependent"])
    favicon_misses = watch_favicon_misses(page)

    # --- the father signs in and finds the service by clicking ---------------------------
    sign_in(page, account.username, FATHER_PASSWORD, sms_outbox=sms_outbox, sms_code=sms_code)
    expect_arabic(page)
    screenshot(page, LANG, "home")

    click_to(page, f'.service-catalogue a[href="{reverse("civil_affairs:home")}"]', reverse("civil_affairs:home"))
    expect_arabic(page)
    screenshot(page, LANG, "civil-affairs")

    type_list = reverse("civil_affairs:request-type-list")
    click_to(page, f'main a.stretched-link[href="{type_list}"]', type_list)
    screenshot(page, LANG, "request-types")

    click_to(page, f'main a[href="{new_request}"]', new_request)
    # The son and the daughter as the registry records them, before any form (issue 11).
    expect(page.locator("li.dependent-choice")).to_have_count(2)
    expect(page.locator("#id_description")).to_have_count(0)
    screenshot(page, LANG, "new-request")

    # --- the son is two months and some days short of 14 years 10 months: refused ---------
    son_card = page.locator(f"#choice-{son.national_id}")
    refusal = son_card.locator("ul.refusal-reasons li")
    expect(refusal).to_have_count(1)
    expect(refusal).to_be_visible()
    expect(son_card.locator("a.choose")).to_have_count(0)
    shown = refusal.inner_text().translate(ASCII_DIGITS)
    eligible_from = family["today"] + timedelta(days=20)
    hijri = ages.to_hijri(eligible_from)
    assert str(eligible_from.year) in shown, shown
    assert re.search(r"\b14\d\d\b", shown) and str(hijri.year) in shown, shown
    assert not ServiceRequest.objects.exists()
    expect_arabic(page)
    screenshot(page, LANG, "refused-too-young")

    # --- the daughter: the form, a description and her photo ------------------------------
    page.locator(f"#choice-{daughter.national_id} a.choose").click()
    page.wait_for_url(f"**dependent_national_id={daughter.national_id}")
    expect(page.locator("#id_files")).to_be_attached()
    expect(page.locator("input[type=hidden][name=dependent_national_id]")).to_have_value(daughter.national_id)
    page.locator("#id_description").fill("أرجو إضافة ابنتي سلمى تابعةً في حسابي. مرفق صورتها.")
    page.set_input_files("#id_files", str(photo))
    screenshot(page, LANG, "new-request-filled")
    submit(page)
    page.wait_for_url(re.compile(r"/services/civil-affairs/requests/CA-\d{4}-\d{6}/$"))

    filed = ServiceRequest.objects.get()
    assert REFERENCE.fullmatch(filed.reference), filed.reference
    assert filed.subject_id == daughter.pk and filed.applicant_id == account.pk
    assert filed.status == RequestStatus.SUBMITTED
    assert filed.attachments.count() == 1
    expect(page.locator(".messages .alert-success")).to_contain_text(filed.reference)
    expect(page.locator("main h1 + p strong[dir=ltr]")).to_have_text(filed.reference)
    expect(page.locator(f"main .badge.status-{RequestStatus.SUBMITTED}").first).to_be_visible()
    expect(page.locator("main")).to_contain_text(daughter.name_ar)
    screenshot(page, LANG, "request-sent")
    sign_out(page)

    # --- staff: password + SMS code, then the queue, take, approve -----------------------
    staff_index = reverse("admin:index")
    sign_in(
        page,
        staff.username,
        STAFF_PASSWORD,
        sms_outbox=sms_outbox,
        sms_code=sms_code,
        next_url=staff_index,
        expect_url=staff_index,
    )
    queue = reverse("admin:civil_affairs_servicerequest_changelist")
    click_to(page, f'#content-main a[href="{queue}"]', queue)
    expect(page.locator("#result_list")).to_contain_text(filed.reference)
    screenshot(page, LANG, "staff-queue")

    for action, status in (("take", RequestStatus.IN_REVIEW), ("approve", RequestStatus.APPROVED)):
        page.locator(f'input[name=_selected_action][value="{filed.pk}"]').check()
        page.locator("select[name=action]").select_option(action)
        with page.expect_navigation():
            page.locator("button[name=index]").click()
        page.wait_for_url(f"**{queue}")
        expect(page.locator("ul.messagelist li.success")).to_be_visible()
        expect(page.locator("ul.messagelist li.error")).to_have_count(0)
        filed.refresh_from_db()
        assert filed.status == status, (action, filed.status)
        screenshot(page, LANG, f"staff-{action}")

    assert filed.assigned_to_id == staff.pk
    link = GuardianLink.objects.get(dependent=daughter)
    assert link.guardian_account_id == account.pk and link.relation == "father"
    assert not GuardianLink.objects.filter(dependent=son).exists()
    # The admin's own "log out" ends the portal session too.
    submit(page, "#logout-form button[type=submit]")
    page.wait_for_url(f"**{reverse('home')}")
    expect(page.locator(f'header a[href="{reverse("accounts:login")}"]')).to_be_visible()

    # --- the father sees his daughter on My dependents -----------------------------------
    sign_in(page, account.username, FATHER_PASSWORD, sms_outbox=sms_outbox, sms_code=sms_code)
    dependents = reverse("dependents:dependent-list")
    click_to(page, f'header a[href="{dependents}"]', dependents)
    expect_arabic(page)
    card = page.locator(f'section.dependent[aria-labelledby="dependent-{daughter.national_id}"]')
    expect(card).to_be_visible()
    expect(page.locator("section.dependent")).to_have_count(1)
    expect(card.locator("h2")).to_have_text(daughter.name_ar)
    expect(card).to_contain_text(daughter.national_id)
    dates = card.inner_text().translate(ASCII_DIGITS)
    assert str(daughter.birth_date.year) in dates, dates
    assert str(ages.to_hijri(daughter.birth_date).year) in dates, dates
    assert str(ages.anniversary(daughter.birth_date, years=15, calendar=ages.HIJRI).year) in dates, dates
    expect(card.locator(f'a[href="{reverse("civil_affairs:request-detail", args=[filed.reference])}"]')).to_be_visible()
    screenshot(page, LANG, "my-dependents")

    expect_no_problems(page_problems, expected=favicon_misses)
