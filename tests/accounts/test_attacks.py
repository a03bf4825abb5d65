"""Attacks on sign-in and codes (QUALITY 2, 3, 8, 19), through the pages."""

import logging

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.urls import reverse

from accounts.models import AccountState, User
from tests.conftest import code_in, make_id

pytestmark = pytest.mark.django_db


def test_credential_stuffing_gets_no_session_without_the_code(client, person_factory):
    """1,000 accounts x 3 passwords (one of them right): not one session is signed in."""
    from civil_affairs.models import Person

    people = Person.objects.bulk_create(
        Person(national_id=make_id("1", 500_000 + i), name_ar="س", name_en="S", sex="M",
               birth_date="1990-01-01", nationality="SA", national_id_issued=True)
        for i in range(1000)
    )
    hashed = make_password("RightPass2026")
    User.objects.bulk_create(
        User(username=f"Victim{i:04d}Ab", password=hashed, person=person, mobile=f"+96655{i:07d}", state=AccountState.ACTIVE)
        for i, person in enumerate(people)
    )
    passwords = ["Password123", "RightPass2026", "Qwerty2026x"]
    reached_code_step = 0
    for i in range(1000):
        for j, password in enumerate(passwords):
            # Spread over many addresses, as a botnet would, so per-address limits do not hide the result.
            response = client.post(
                reverse("accounts:login"),
                {"identifier": f"Victim{i:04d}Ab", "password": password},
                REMOTE_ADDR=f"10.{i // 250}.{i % 250}.{j + 1}",
            )
            reached_code_step += response.status_code == 302
    assert reached_code_step == 1000  # every right password only led to the code step
    signed_in = [s for s in Session.objects.all() if "_auth_user_id" in s.get_decoded()]
    assert signed_in == []
    assert client.get(reverse("accounts:profile")).status_code == 302


def test_failures_are_counted_per_client_address_across_accounts(client, user_factory):
    users = [user_factory() for _ in range(6)]
    for i in range(50):
        response = client.post(
            reverse("accounts:login"), {"identifier": users[i % 6].username, "password": "wrong"}, REMOTE_ADDR="192.0.2.7"
        )
    # The 50th failure from one address locks the address, whatever account is tried next.
    response = client.post(
        reverse("accounts:login"), {"identifier": users[0].username, "password": "GoodPass2026"}, REMOTE_ADDR="192.0.2.7"
    )
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    other = client.post(
        reverse("accounts:login"), {"identifier": users[0].username, "password": "GoodPass2026"}, REMOTE_ADDR="192.0.2.8"
    )
    assert other.status_code == 302


def test_no_code_or_password_reaches_the_logs(client, person_factory, sms_outbox, committed, caplog):
    caplog.set_level(logging.DEBUG)
    person = person_factory()
    with committed():
        client.post(
            reverse("accounts:register"),
            {
                "national_id": person.national_id, "mobile": "512345670", "username": "Logcheck2026",
                "password1": "Secret2026xy", "password2": "Secret2026xy", "email": "l@example.com",
                "email2": "l@example.com", "language": "ar", "captcha_0": "x", "captcha_1": "PASSED", "terms": "on",
            },
        )
    code = code_in(sms_outbox[-1])
    with committed():
        client.post(reverse("accounts:register-confirm"), {"code": "000000" if code != "000000" else "111111"})
        client.post(reverse("accounts:register-confirm"), {"code": code})
    assert "Secret2026xy" not in caplog.text and code not in caplog.text


def test_gateway_failure_is_said_on_the_page_and_the_resend_works(client, person_factory, sms_outbox, committed, settings):
    from absher.sms.backends import locmem

    person = person_factory()
    # Down for the code's lifetime: the task retries while the code lives, then the page says so.
    locmem.fail_next.extend([True] * (1 + len(settings.NOTIFY_RETRY_DELAYS)))
    with committed():
        response = client.post(
            reverse("accounts:register"),
            {
                "national_id": person.national_id, "mobile": "512345671", "username": "Gateway2026x",
                "password1": "Riyadh2026x", "password2": "Riyadh2026x", "email": "g@example.com",
                "email2": "g@example.com", "language": "en", "captcha_0": "x", "captcha_1": "PASSED", "terms": "on",
            },
        )
    page = client.get(response.url)
    assert page.context["delivery_failed"] is True
    locmem.fail_next.clear()  # the gateway is back
    assert User.objects.filter(username="Gateway2026x", state=AccountState.PENDING_PHONE).exists()
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    with time_machine.travel(timezone.now() + timedelta(seconds=61), tick=False):
        with committed():
            client.post(reverse("accounts:register-resend"))
        assert client.get(response.url).context["delivery_failed"] is False
        with committed():
            client.post(response.url, {"code": code_in(sms_outbox[-1])})
    assert User.objects.get(username="Gateway2026x").state == AccountState.REGISTERED


def test_e_services_wait_for_activation(rf, user_factory):
    from django.http import HttpResponse

    from accounts.decorators import active_account_required

    @active_account_required
    def service(request):
        return HttpResponse("service")

    request = rf.get("/service/")
    request.user = user_factory(state=AccountState.REGISTERED)
    refused = service(request)
    assert refused.status_code == 403 and reverse("contact").encode() in refused.content
    request.user = user_factory(state=AccountState.ACTIVE)
    assert service(request).content == b"service"
