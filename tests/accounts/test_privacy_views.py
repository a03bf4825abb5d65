"""The pages and the API of "take your data" and "close your account"."""

import json
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from absher.models import AuditEvent
from accounts.models import AccountState, User
from accounts.views_privacy import CLOSE
from civil_affairs import services as civil
from civil_affairs.models import RequestType
from devices import tokens
from devices.models import Device
from tests.conftest import code_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def citizen(user_factory):
    return user_factory(state=AccountState.ACTIVE, username="Privacy2026x", mobile="+966500000888")


@pytest.fixture
def signed_in(client, citizen):
    client.force_login(citizen)
    return client


def bearer(user):
    now = timezone.now()
    device = Device.objects.create(user=user, kind="app", name="T", signed_in_at=now, last_seen_at=now)
    pair = tokens.issue_pair(device)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {pair.access_token}")
    return api


# --- take your data -----------------------------------------------------------------------


def test_the_data_page_offers_both_downloads(signed_in):
    page = signed_in.get(reverse("accounts:data"))
    assert page.status_code == 200
    body = page.content.decode()
    assert reverse("accounts:data-json") in body and reverse("accounts:data-print") in body


def test_the_profile_links_to_the_data_and_the_closing(signed_in):
    body = signed_in.get(reverse("accounts:profile")).content.decode()
    assert reverse("accounts:data") in body and reverse("accounts:close") in body


def test_the_file_is_an_attachment_with_the_export_and_is_recorded(signed_in, citizen, today):
    response = signed_in.get(reverse("accounts:data-json"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"] == f'attachment; filename="absher-personal-data-{today.isoformat()}.json"'
    assert response["X-Content-Type-Options"] == "nosniff" and "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["format"] == "absher-personal-data/1" and data["account"]["username"] == "Privacy2026x"
    row = AuditEvent.objects.get(action="personal_data_downloaded")
    assert row.subject_id == citizen.pk and row.details == {"what": "json"}


@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_printable_page_reads_in_both_languages_and_calendars(client, citizen, language):
    citizen.preferred_language = language
    citizen.save(update_fields=["preferred_language"])
    client.force_login(citizen)
    client.cookies["absher_language"] = language
    with translation.override(language):
        response = client.get(reverse("accounts:data-print"), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    body = response.content.decode()
    assert citizen.person.national_id in body and "Privacy2026x" in body
    assert citizen.mobile in body
    assert ("هـ" in body) if language == "ar" else ("AH" in body)  # the Hijri date beside the Gregorian
    assert AuditEvent.objects.filter(action="personal_data_downloaded", details__what="page").exists()


def test_the_data_pages_need_a_sign_in(client):
    for name in ("accounts:data", "accounts:data-json", "accounts:data-print", "accounts:close"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


# --- close your account -------------------------------------------------------------------


def test_closing_through_the_pages_signs_out_and_says_goodbye(signed_in, citizen, sms_outbox, committed):
    page = signed_in.get(reverse("accounts:close"))
    assert page.status_code == 200 and 'name="understood"' in page.content.decode()
    # Without the box ticked, nothing is sent.
    response = signed_in.post(reverse("accounts:close"), {})
    assert response.status_code == 200 and not sms_outbox
    with committed():
        response = signed_in.post(reverse("accounts:close"), {"understood": "yes"})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:close-verify")
    assert signed_in.get(reverse("accounts:close-verify")).status_code == 200
    wrong = signed_in.post(reverse("accounts:close-verify"), {"code": "000000" if code_in(sms_outbox[-1]) != "000000" else "111111"})
    assert wrong.status_code == 200
    with committed():
        response = signed_in.post(reverse("accounts:close-verify"), {"code": code_in(sms_outbox[-1])})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:closed")
    goodbye = signed_in.get(reverse("accounts:closed"))
    assert goodbye.status_code == 200
    assert not goodbye.wsgi_request.user.is_authenticated
    assert signed_in.get(reverse("accounts:closed")).status_code == 302  # once
    assert signed_in.get(reverse("accounts:profile")).status_code == 302  # signed out
    citizen.refresh_from_db()
    assert citizen.state == AccountState.CLOSED


def test_the_close_page_says_what_stands_in_the_way_and_offers_no_button(signed_in, citizen, sms_outbox):
    civil.request_submit(
        applicant=citizen, request_type=RequestType.objects.get(code="general_inquiry"), data={}, description="x",
        files=[], submission_key=uuid.uuid4(), client_address="192.0.2.1",
    )
    page = signed_in.get(reverse("accounts:close"))
    body = page.content.decode()
    assert page.status_code == 200 and 'name="understood"' not in body
    assert "request" in body.lower() or "طلب" in body
    response = signed_in.post(reverse("accounts:close"), {"understood": "yes"})
    assert response.status_code == 200 and not sms_outbox


def test_the_code_step_without_a_closing_in_progress_goes_home(signed_in):
    assert signed_in.get(reverse("accounts:close-verify")).status_code == 302


def test_another_accounts_closing_in_the_session_is_ignored(client, citizen, user_factory):
    other = user_factory(state=AccountState.ACTIVE)
    client.force_login(citizen)
    session = client.session
    session[CLOSE] = {"user_id": other.pk, "challenge": str(uuid.uuid4())}
    session.save()
    assert client.get(reverse("accounts:close-verify")).status_code == 302
    assert client.post(reverse("accounts:close-verify"), {"code": "123456"}).status_code == 302
    other.refresh_from_db()
    assert other.state == AccountState.ACTIVE


# --- the API --------------------------------------------------------------------------------


def test_the_api_gives_the_same_data(citizen, today):
    api = bearer(citizen)
    response = api.get("/api/v1/profile/data/")
    assert response.status_code == 200
    assert response.json()["format"] == "absher-personal-data/1"
    assert response.json()["account"]["username"] == "Privacy2026x"
    assert AuditEvent.objects.filter(action="personal_data_downloaded", details__what="api").exists()


def test_the_api_needs_a_token():
    api = APIClient()
    assert api.get("/api/v1/profile/data/").status_code == 401
    assert api.post("/api/v1/profile/close/").status_code == 401


def test_closing_through_the_api(citizen, sms_outbox, committed):
    api = bearer(citizen)
    with committed():
        started = api.post("/api/v1/profile/close/")
    assert started.status_code == 200
    challenge = started.json()["challenge"]
    wrong = api.post("/api/v1/profile/close/confirm/", {"challenge": challenge, "code": "000000"
                     if code_in(sms_outbox[-1]) != "000000" else "111111"}, format="json")
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "wrong"
    with committed():
        done = api.post("/api/v1/profile/close/confirm/", {"challenge": challenge, "code": code_in(sms_outbox[-1])},
                        format="json")
    assert done.status_code == 204
    assert User.objects.get(pk=citizen.pk).state == AccountState.CLOSED
    # The token went with the device.
    assert api.get("/api/v1/profile/data/").status_code == 401


def test_the_api_refuses_a_challenge_of_another_account(citizen, user_factory, sms_outbox, committed):
    other = user_factory(state=AccountState.ACTIVE)
    with committed():
        challenge = bearer(other).post("/api/v1/profile/close/").json()["challenge"]
    response = bearer(citizen).post("/api/v1/profile/close/confirm/", {"challenge": challenge,
                                    "code": code_in(sms_outbox[-1])}, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "challenge_invalid"
    assert User.objects.get(pk=other.pk).state == AccountState.ACTIVE


def test_the_api_says_why_an_account_cannot_be_closed(user_factory):
    staff = user_factory(state=AccountState.ACTIVE, is_staff=True)
    response = bearer(staff).post("/api/v1/profile/close/")
    assert response.status_code == 400 and response.json()["error"]["code"] == "close_staff_account"
