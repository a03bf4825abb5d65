"""Flows through the test client: what a citizen does, and what bad input gets."""

import pytest
import time_machine
from django.urls import reverse

from absher.models import AuditEvent
from accounts.models import AccountState, User
from tests.conftest import code_in

pytestmark = pytest.mark.django_db


def registration_post(person, **overrides):
    data = {
        "national_id": person.national_id,
        "mobile": "512345678",
        "username": "Newcomer2026",
        "password1": "Riyadh2026x",
        "password2": "Riyadh2026x",
        "email": "new@example.com",
        "email2": "new@example.com",
        "language": "en",
        "captcha_0": "any",
        "captcha_1": "PASSED",
        "terms": "on",
    }
    data.update(overrides)
    return data


def post(client, committed, url, data, **kwargs):
    with committed():
        return client.post(url, data, **kwargs)


def test_register_confirm_login_code_home(client, person_factory, sms_outbox, committed):
    person = person_factory()
    response = post(client, committed, reverse("accounts:register"), registration_post(person))
    assert response.status_code == 302 and response.url == reverse("accounts:register-confirm")
    assert sms_outbox[-1].to == "+966512345678"
    page = client.get(response.url)
    assert "05•••••678" in page.content.decode()
    response = post(client, committed, response.url, {"code": code_in(sms_outbox[-1])})
    assert response.url == reverse("accounts:login")
    assert User.objects.get(username="Newcomer2026").state == AccountState.REGISTERED

    response = post(client, committed, reverse("accounts:login"), {"identifier": "newcomer2026", "password": "Riyadh2026x"})
    assert response.url == reverse("accounts:login-verify")
    assert client.get(reverse("accounts:profile")).status_code != 200  # no session before the code
    session_before = client.session.session_key
    response = post(client, committed, reverse("accounts:login-verify"), {"code": code_in(sms_outbox[-1])})
    # The first sign-in after registering lands on the next step, activation (issue 11).
    assert response.status_code == 302 and response.url == reverse("accounts:welcome")
    assert client.session.session_key != session_before  # rotated at login
    assert client.get(reverse("accounts:profile")).status_code == 200
    assert response.cookies["absher_language"].value == "en"


def test_arabic_indic_digits_are_accepted(client, person_factory, committed):
    person = person_factory()
    to_arabic = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
    data = registration_post(person, national_id=person.national_id.translate(to_arabic), mobile="٥١٢٣٤٥٦٧٨")
    response = post(client, committed, reverse("accounts:register"), data)
    assert response.status_code == 302
    assert User.objects.get(username="Newcomer2026").mobile == "+966512345678"


@pytest.mark.parametrize(
    "field, value, code_fragment",
    [
        ("national_id", "1234567890", "national_id"),
        ("national_id", "12345", "national_id"),
        ("mobile", "112345678", "mobile"),
        ("mobile", "5123", "mobile"),
        ("username", "short1A", "username"),
        ("username", "alllower123", "username"),
        ("password1", "weakpass", "password1"),
        ("password2", "Different2026", "password2"),
        ("email", "not-an-email", "email"),
        ("email2", "other@example.com", "email2"),
        ("terms", "", "terms"),
        ("captcha_1", "WRONG", "captcha"),
    ],
)
def test_bad_input_on_each_field_keeps_what_was_typed(client, person_factory, field, value, code_fragment):
    person = person_factory()
    data = registration_post(person, **{field: value})
    if field == "terms":
        data.pop("terms")
    response = client.post(reverse("accounts:register"), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert code_fragment in form.errors
    body = response.content.decode()
    assert "error-summary" in body
    assert "<title>" in body and ("Error:" in body or "خطأ" in body)
    # What the user typed is kept, except the passwords.
    if field != "national_id":
        assert person.national_id in body
    if field != "email":
        assert "new@example.com" in body
    assert "Riyadh2026x" not in body


def test_under_age_registration_is_explained_with_the_date(client, person_factory, today):
    from datetime import date

    from civil_affairs.demo import years_ago

    # 17 years and a month: clear of both edges (14 years 10 months, 18) on every day of the year.
    young = person_factory(birth_date=years_ago(today, 17, days=31), national_id_issued=False)
    response = client.post(reverse("accounts:register"), registration_post(young))
    assert response.status_code == 200
    assert "national_id" in response.context["form"].errors
    assert isinstance(young.birth_date, date)


def test_wrong_password_and_unknown_user_get_the_same_page(client, user_factory):
    user_factory(username="Faisal2026x")
    unknown = client.post(reverse("accounts:login"), {"identifier": "Nobody2026x", "password": "x"})
    wrong = client.post(reverse("accounts:login"), {"identifier": "Faisal2026x", "password": "x"})
    assert unknown.context["form"].non_field_errors() == wrong.context["form"].non_field_errors()
    assert "Faisal2026x" in wrong.content.decode()  # the identifier typed is kept


def test_lockout_message_says_until_when(client, user_factory):
    user = user_factory(username="Faisal2026x")
    for i in range(10):
        response = client.post(
            reverse("accounts:login"),
            {"identifier": [user.username, user.national_id][i % 2], "password": "wrong"},
        )
    errors = " ".join(response.context["form"].non_field_errors())
    assert ":" in errors  # a time, HH:MM
    assert AuditEvent.objects.filter(action="account_locked").exists()


def test_pending_account_is_sent_to_confirm_its_mobile(client, user_factory, sms_outbox, committed):
    user_factory(username="Pending2026x", state=AccountState.PENDING_PHONE)
    response = client.post(reverse("accounts:login"), {"identifier": "Pending2026x", "password": "GoodPass2026"})
    assert response.url == reverse("accounts:register-confirm")
    post(client, committed, reverse("accounts:register-resend"), {})
    response = post(client, committed, reverse("accounts:register-confirm"), {"code": code_in(sms_outbox[-1])})
    assert User.objects.get(username="Pending2026x").state == AccountState.REGISTERED


def test_forgotten_password_flow_ends_other_sessions(client, user_factory, sms_outbox, committed):
    from django.test import Client

    user = user_factory()
    other = Client()
    other.force_login(user)
    assert other.get(reverse("accounts:profile")).status_code == 200
    response = post(
        client, committed, reverse("accounts:password-reset"),
        {"national_id": user.national_id, "mobile": user.mobile, "captcha_0": "x", "captcha_1": "PASSED"},
    )
    assert response.url == reverse("accounts:password-reset-verify")
    response = post(client, committed, response.url, {"code": code_in(sms_outbox[-1])})
    assert response.url == reverse("accounts:password-reset-new")
    same = client.post(response.url, {"password1": "GoodPass2026", "password2": "GoodPass2026"})
    assert "password1" in same.context["form"].errors  # must differ from the current one
    response = post(client, committed, reverse("accounts:password-reset-new"), {"password1": "NewPass2026x", "password2": "NewPass2026x"})
    assert response.url == reverse("accounts:login")
    assert other.get(reverse("accounts:profile")).status_code == 302  # the other session ended


def test_password_change_needs_the_sms_code(client, user_factory, sms_outbox, committed):
    user = user_factory()
    client.force_login(user)
    response = post(
        client, committed, reverse("accounts:password-change"),
        {"current_password": "GoodPass2026", "password1": "Changed2026x", "password2": "Changed2026x"},
    )
    assert response.url == reverse("accounts:password-change-verify")
    user.refresh_from_db()
    assert user.check_password("GoodPass2026")  # nothing changes before the code
    response = post(client, committed, response.url, {"code": code_in(sms_outbox[-1])})
    user.refresh_from_db()
    assert user.check_password("Changed2026x")
    assert client.get(reverse("accounts:profile")).status_code == 200  # this session stays


def test_email_and_language_change(client, user_factory):
    user = user_factory()
    client.force_login(user)
    response = client.post(reverse("accounts:email-change"), {"email": "a@example.com", "email2": "b@example.com"})
    assert "email2" in response.context["form"].errors
    client.post(reverse("accounts:email-change"), {"email": "a@example.com", "email2": "a@example.com"})
    client.post(reverse("accounts:profile-language"), {"language": "en"})
    user.refresh_from_db()
    assert (user.email, user.preferred_language) == ("a@example.com", "en")


def test_session_ends_after_15_minutes_idle_and_12_hours_in_all(client, user_factory, sms_outbox, committed):
    from datetime import UTC, datetime, timedelta

    user = user_factory()
    t0 = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
    with time_machine.travel(t0, tick=False):
        post(client, committed, reverse("accounts:login"), {"identifier": user.username, "password": "GoodPass2026"})
        post(client, committed, reverse("accounts:login-verify"), {"code": code_in(sms_outbox[-1])})
    with time_machine.travel(t0 + timedelta(minutes=14, seconds=59), tick=False):
        assert client.get(reverse("accounts:profile")).status_code == 200
    with time_machine.travel(t0 + timedelta(minutes=29, seconds=58), tick=False):
        assert client.get(reverse("accounts:profile")).status_code == 200  # 14:59 idle
    with time_machine.travel(t0 + timedelta(minutes=44, seconds=58), tick=False):
        assert client.get(reverse("accounts:profile")).status_code == 302  # 15:00 idle
    # Absolute limit: active every 10 minutes, still ends at 12 hours.
    with time_machine.travel(t0 + timedelta(days=1), tick=False):
        post(client, committed, reverse("accounts:login"), {"identifier": user.username, "password": "GoodPass2026"})
        post(client, committed, reverse("accounts:login-verify"), {"code": code_in(sms_outbox[-1])})
    start = t0 + timedelta(days=1)
    minute = 10
    while minute < 12 * 60:
        with time_machine.travel(start + timedelta(minutes=minute), tick=False):
            assert client.get(reverse("accounts:profile")).status_code == 200, minute
        minute += 10
    with time_machine.travel(start + timedelta(hours=12), tick=False):
        assert client.get(reverse("accounts:profile")).status_code == 302


def test_logout_ends_the_session(client, user_factory):
    client.force_login(user_factory())
    assert client.get(reverse("accounts:profile")).status_code == 200
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("accounts:profile")).status_code == 302


def test_logout_needs_post(client, user_factory):
    client.force_login(user_factory())
    assert client.get(reverse("accounts:logout")).status_code == 405


@pytest.mark.parametrize("url_name", ["home", "contact", "accounts:login", "accounts:register", "accounts:password-reset", "accounts:terms"])
def test_public_pages_within_the_query_budget(client, url_name, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        assert client.get(reverse(url_name)).status_code == 200


def test_profile_within_the_query_budget(client, user_factory, django_assert_max_num_queries):
    client.force_login(user_factory())
    with django_assert_max_num_queries(8):
        assert client.get(reverse("accounts:profile")).status_code == 200
