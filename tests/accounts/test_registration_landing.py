"""Issue 11: the registration form's language follows the page; the steps of registration; where a
newly registered account lands; the header's links for citizens and staff."""

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.forms import RegistrationForm, page_language
from accounts.models import AccountState, User
from tests.accounts.test_views import post, registration_post
from tests.conftest import code_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("active", "expected"), [("ar", "ar"), ("en", "en"), ("en-us", "en"), ("ar-sa", "ar"), ("fr", "ar")])
def test_page_language_is_one_of_the_portals(active, expected):
    with translation.override(active):
        assert page_language() == expected


@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_preferred_language_defaults_to_the_forms_language(client, language):
    with translation.override(language):
        assert RegistrationForm().fields["language"].initial == language
    client.cookies["absher_language"] = language
    body = client.get(reverse("accounts:register")).content.decode()
    assert _checked(body) == language


def _checked(body: str) -> str:
    """The value of the checked radio of the field `language`."""
    import re

    for tag in re.findall(r"<input[^>]*name=\"language\"[^>]*>", body):
        if " checked" in tag:
            return re.search(r'value="(\w+)"', tag).group(1)
    return ""


def _register_and_confirm(client, committed, sms_outbox, person, **overrides):
    response = post(client, committed, reverse("accounts:register"), registration_post(person, **overrides))
    assert response.url == reverse("accounts:register-confirm")
    return post(client, committed, response.url, {"code": code_in(sms_outbox[-1])})


def _sign_in(client, committed, sms_outbox, username="Newcomer2026", next_url=""):
    data = {"identifier": username, "password": "Riyadh2026x"}
    if next_url:
        data["next"] = next_url
    response = post(client, committed, reverse("accounts:login"), data)
    assert response.url == reverse("accounts:login-verify")
    return post(client, committed, response.url, {"code": code_in(sms_outbox[-1])})


def test_an_english_registration_signs_in_and_texts_in_english(client, person_factory, sms_outbox, committed):
    client.cookies["absher_language"] = "en"
    person = person_factory()
    with translation.override("en"):
        language = RegistrationForm().fields["language"].initial
    _register_and_confirm(client, committed, sms_outbox, person, language=language)
    assert User.objects.get(username="Newcomer2026").preferred_language == "en"
    response = _sign_in(client, committed, sms_outbox)
    assert response.cookies["absher_language"].value == "en"
    assert sms_outbox[-1].body.startswith("Absher: your code to sign in")


def test_the_first_sign_in_after_registering_lands_on_the_next_step(client, person_factory, sms_outbox, committed):
    person = person_factory()
    _register_and_confirm(client, committed, sms_outbox, person)
    response = _sign_in(client, committed, sms_outbox)
    assert response.status_code == 302 and response.url == reverse("accounts:welcome")
    with translation.override("en"):
        client.cookies["absher_language"] = "en"
        page = client.get(response.url)
    body = page.content.decode()
    assert page.status_code == 200
    assert 'aria-current="step"' in body and "Step 3 of 4:" in body
    assert f'href="{reverse("biometrics:centre-list")}"' in body and 'id="find-a-kiosk"' in body

    # The next sign-in goes home: only the first one after registering shows the next step.
    client.post(reverse("accounts:logout"))
    response = _sign_in(client, committed, sms_outbox)
    assert response.url == reverse("home")


def test_a_sign_in_with_a_next_page_goes_there_even_right_after_registering(client, person_factory, sms_outbox, committed):
    _register_and_confirm(client, committed, sms_outbox, person_factory())
    response = _sign_in(client, committed, sms_outbox, next_url=reverse("accounts:profile"))
    assert response.url == reverse("accounts:profile")


def test_the_welcome_page_is_for_registered_accounts_only(client, user_factory):
    assert client.get(reverse("accounts:welcome")).status_code == 302  # signed out: to the sign-in page
    client.force_login(user_factory(state=AccountState.ACTIVE))
    response = client.get(reverse("accounts:welcome"))
    assert response.status_code == 302 and response.url == reverse("home")


@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_registration_pages_show_their_steps(client, person_factory, sms_outbox, committed, language):
    client.cookies["absher_language"] = language
    with translation.override(language):
        first = client.get(reverse("accounts:register")).content.decode()
        assert first.count('class="steps-item') == 4 and first.count("steps-current") == 1
        response = post(client, committed, reverse("accounts:register"), registration_post(person_factory()))
        second = client.get(response.url).content.decode()
    assert second.count("steps-done") == 1 and second.count("steps-current") == 1
    assert '<bdi dir="ltr">05•••••678</bdi>' in second


def test_the_sign_in_code_page_shows_no_registration_steps(client, user_factory, sms_outbox, committed):
    user = user_factory(password="Riyadh2026x")
    post(client, committed, reverse("accounts:login"), {"identifier": user.username, "password": "Riyadh2026x"})
    body = client.get(reverse("accounts:login-verify")).content.decode()
    assert "steps-item" not in body and '<bdi dir="ltr">05•••••' in body


# --- the header --------------------------------------------------------------------------------


def _header(client) -> str:
    body = client.get(reverse("home")).content.decode()
    return body[body.index("<header"):body.index("</header>")]


def test_the_header_offers_register_only_to_visitors(client, user_factory):
    register = f'href="{reverse("accounts:register")}"'
    assert register in _header(client)
    client.force_login(user_factory(state=AccountState.REGISTERED))
    assert register not in _header(client)


def test_only_staff_see_the_staff_site_in_the_header(client, user_factory):
    staff_link = f'href="{reverse("admin:index")}"'
    assert staff_link not in _header(client)
    citizen = user_factory(state=AccountState.ACTIVE)
    client.force_login(citizen)
    assert staff_link not in _header(client)
    client.force_login(user_factory(state=AccountState.ACTIVE, is_staff=True))
    assert staff_link in _header(client) and 'id="staff-site-link"' in _header(client)
    # The layout's cached fragments never carry one visitor's link to the next.
    client.force_login(citizen)
    assert staff_link not in _header(client)
