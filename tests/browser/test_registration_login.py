"""A citizen in a real browser: register, confirm the mobile, sign in with the SMS code, sign out.

Selectors are ids and form structure, never translated text, except where the language itself
is what is checked. Every page of a flow is saved under test-artifacts/screenshots/.
"""

import itertools

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from accounts.exceptions import OtpRejected

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ["ar", "en"]
BROWSER_LOCALES = {"ar": "ar-SA", "en": "en-US"}
PASSWORD = "Riyadh2026x"
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
SUBMIT = "form.portal-form button[type=submit]"
_mobiles = itertools.count(1)


@pytest.fixture
def lang():
    return "ar"


@pytest.fixture
def browser_locale(lang):
    # The browser asks for the flow's language; the portal must still open in Arabic.
    return BROWSER_LOCALES[lang]


def fresh_mobile() -> str:
    return f"55{next(_mobiles):07d}"


def submit(page, selector=SUBMIT):
    with page.expect_navigation():
        page.locator(selector).click()


def expect_language(page, lang):
    html = page.locator("html")
    expect(html).to_have_attribute("lang", lang)
    expect(html).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")


def choose_language(page, lang):
    """The header's switcher (a POST that sets a cookie); Arabic is where every visit starts."""
    expect_language(page, "ar")
    if lang == "en":
        submit(page, "header form.language-switcher button[name=language][value=en]")
        expect_language(page, "en")
        cookies = {cookie["name"]: cookie["value"] for cookie in page.context.cookies()}
        assert cookies.get("absher_language") == "en"


def expect_signed_in(page, username):
    expect(page.locator("header")).to_contain_text(username)
    expect(page.locator(f'header form[action="{reverse("accounts:logout")}"]')).to_be_visible()


def expect_no_problems(page_problems):
    assert page_problems.items == [], "\n".join(page_problems.items)


def error_title_prefixes(lang) -> tuple[str, ...]:
    if lang == "en":
        return ("Error:",)
    with translation.override("ar"):
        translated = gettext("Error:")
    # The Arabic catalogue may not be compiled yet: then the page says it in English.
    return ("خطأ",) if translated != "Error:" else ("خطأ", "Error:")


def fill_registration(page, *, person, mobile, username, email, email2, lang):
    page.locator("#id_national_id").fill(person.national_id)
    page.locator("#id_mobile").fill(mobile)
    page.locator("#id_username").fill(username)
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.locator("#id_email").fill(email)
    page.locator("#id_email2").fill(email2)
    page.locator(f"input[name=language][value={lang}]").check()
    page.locator("#id_captcha_1").fill("PASSED")
    page.locator("#id_terms").check()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_register_confirm_sign_in_sign_out(page, lang, person_factory, sms_code, sms_outbox, screenshot, page_problems):
    person = person_factory()
    mobile = fresh_mobile()
    username = f"Browser2026{lang}"
    email = f"browser.{lang}@example.com"

    page.goto("/")
    screenshot(page, lang, "home")
    choose_language(page, lang)
    if lang == "en":
        screenshot(page, lang, "home-switched")

    page.locator(f'header a[href="{reverse("accounts:register")}"]').click()
    page.wait_for_url(f"**{reverse('accounts:register')}")
    expect_language(page, lang)  # the choice is remembered on the next page
    screenshot(page, lang, "register")

    # First with a second e-mail that differs: the page comes back with the errors on top.
    fill_registration(
        page,
        person=person,
        mobile=mobile,
        username=username,
        email=email,
        email2=f"other.{lang}@example.com",
        lang=lang,
    )
    submit(page)
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary.locator('a[href="#id_email2"]')).to_be_visible()
    page.wait_for_function("document.activeElement && document.activeElement.classList.contains('error-summary')")
    assert page.title().startswith(error_title_prefixes(lang)), page.title()
    expect(page.locator("#id_national_id")).to_have_value(person.national_id)
    expect(page.locator("#id_username")).to_have_value(username)
    expect(page.locator("#id_email")).to_have_value(email)
    expect(page.locator("#id_password1")).to_have_value("")
    expect(page.locator("#id_password2")).to_have_value("")
    expect_language(page, lang)
    assert sms_outbox == []
    screenshot(page, lang, "register-error")

    fill_registration(page, person=person, mobile=mobile, username=username, email=email, email2=email, lang=lang)
    submit(page)
    page.wait_for_url(f"**{reverse('accounts:register-confirm')}")
    expect_language(page, lang)
    screenshot(page, lang, "register-code")

    page.locator("#id_code").fill(sms_code(after=0))
    submit(page)
    page.wait_for_url(f"**{reverse('accounts:login')}")
    expect(page.locator(".messages .alert-success")).to_be_visible()
    expect_language(page, lang)
    screenshot(page, lang, "registered-sign-in")

    page.locator("#id_identifier").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    submit(page)
    page.wait_for_url(f"**{reverse('accounts:login-verify')}")
    screenshot(page, lang, "sign-in-code")

    page.locator("#id_code").fill(sms_code(after=1))
    submit(page)
    # The first sign-in after registering lands on the next step: activation (issue 11).
    page.wait_for_url(f"**{reverse('accounts:welcome')}")
    expect_signed_in(page, username)
    expect_language(page, lang)
    screenshot(page, lang, "signed-in")

    submit(page, f'header form[action="{reverse("accounts:logout")}"] button[type=submit]')
    page.wait_for_url(f"**{reverse('home')}")
    header = page.locator("header")
    expect(header).not_to_contain_text(username)
    expect(header.locator(f'a[href="{reverse("accounts:login")}"]')).to_be_visible()
    expect(page.locator(".messages .alert")).to_be_visible()
    expect_language(page, lang)
    screenshot(page, lang, "signed-out")

    assert len(sms_outbox) == 2
    expect_no_problems(page_problems)


def sign_in_with_password(page, identifier, password, *, screenshot, lang):
    page.goto(reverse("accounts:login"))
    expect_language(page, lang)
    page.locator("#id_identifier").fill(identifier)
    page.locator("#id_password").fill(password)
    screenshot(page, lang, "sign-in")
    submit(page)
    page.wait_for_url(f"**{reverse('accounts:login-verify')}")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_wrong_code_is_explained_and_the_right_one_still_works(
    page, lang, user_factory, sms_code, sms_outbox, screenshot, page_problems
):
    user = user_factory(password="GoodPass2026", preferred_language=lang)
    if lang == "en":
        page.goto("/")
        choose_language(page, lang)

    sign_in_with_password(page, user.username, "GoodPass2026", screenshot=screenshot, lang=lang)
    screenshot(page, lang, "sign-in-code")
    code = sms_code(after=0)
    wrong = "000000" if code != "000000" else "111111"

    page.locator("#id_code").fill(wrong)
    submit(page)
    with translation.override(lang):
        expected = OtpRejected("wrong", remaining=4).message()
    expect(page.locator(".error-summary")).to_contain_text(expected)
    expect(page.locator("#id_code")).to_contain_class("is-invalid")
    expect(page.locator("#id_code")).to_have_attribute("aria-invalid", "true")
    expect_language(page, lang)
    screenshot(page, lang, "wrong-code")

    page.locator("#id_code").fill(code)
    submit(page)
    page.wait_for_url(f"**{reverse('home')}")
    expect_signed_in(page, user.username)
    screenshot(page, lang, "signed-in")
    assert len(sms_outbox) == 1  # the first code was enough: no new one was needed
    expect_no_problems(page_problems)


def test_sign_in_with_arabic_indic_digits(page, user_factory, sms_code, screenshot, page_problems):
    user = user_factory(password="GoodPass2026")
    arabic_id = user.person.national_id.translate(ARABIC_INDIC)
    assert not arabic_id.isascii()

    sign_in_with_password(page, arabic_id, "GoodPass2026", screenshot=screenshot, lang="ar")
    screenshot(page, "ar", "sign-in-code")
    page.locator("#id_code").fill(sms_code(after=0).translate(ARABIC_INDIC))
    submit(page)
    page.wait_for_url(f"**{reverse('home')}")
    expect_signed_in(page, user.username)
    screenshot(page, "ar", "signed-in")
    expect_no_problems(page_problems)
