"""The app's sign-in (password -> SMS code -> tokens), refresh with rotation, reuse detection,
sign-out, the language of errors, and what does NOT sign in at the API (a web session cookie)."""

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from absher.models import AuditEvent
from accounts.models import AccountState
from devices.models import AccessToken, Device, RefreshToken
from tests.conftest import code_in

from .conftest import API, assert_error

pytestmark = pytest.mark.django_db

SIGN_IN = f"{API}auth/sign-in/"
CODE = f"{API}auth/sign-in/code/"
RESEND = f"{API}auth/sign-in/resend/"
REFRESH = f"{API}auth/token/refresh/"
SIGN_OUT = f"{API}auth/sign-out/"
DEVICE_ID = "app-installation-0123456789abcdef"
PASSWORD = "GoodPass2026"


@pytest.fixture
def citizen(user_factory):
    return user_factory(state=AccountState.ACTIVE)


@pytest.fixture
def post(committed):
    """`post(path, data, client=None, **extra)`: a JSON POST whose commit runs (the SMS goes)."""

    def call(path, data=None, client=None, **extra):
        with committed():
            return (client or APIClient()).post(path, data or {}, format="json", **extra)

    return call


@pytest.fixture
def challenge_of(post):
    def begin(user, **extra):
        response = post(SIGN_IN, {"username": user.username, "password": PASSWORD}, **extra)
        assert response.status_code == 200, response.content
        return response.json()["challenge"]

    return begin


@pytest.fixture
def signed_in(post, challenge_of, sms_outbox):
    """`signed_in(user) -> tokens`: the whole sign-in, as the app does it."""

    def run(user, device_id=DEVICE_ID):
        challenge = challenge_of(user)
        response = post(CODE, {"challenge": challenge, "code": code_in(sms_outbox[-1]), "device_id": device_id,
                               "device_name": "Pixel 8"})
        assert response.status_code == 200, response.content
        return response.json()

    return run


def authorised(access_token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token}")
    return client


def works(access_token: str) -> bool:
    """Does this access token sign in? (sign-out answers 204 to a live one; a fresh client each time)."""
    from devices import tokens

    return tokens.authenticate_access(access_token) is not None


# --- signing in ---------------------------------------------------------------------------


def test_password_then_sms_code_gives_a_device_its_tokens(post, citizen, sms_outbox):
    response = post(SIGN_IN, {"username": citizen.username, "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"challenge", "masked_mobile", "code_expires_in"}
    masked = body["masked_mobile"]
    assert masked.endswith(citizen.mobile[-3:]) and citizen.mobile[-7:-3] not in masked
    assert body["code_expires_in"] == int(settings.OTP_VALIDITY.total_seconds())
    assert len(sms_outbox) == 1 and sms_outbox[0].to == citizen.mobile

    response = post(CODE, {"challenge": body["challenge"], "code": code_in(sms_outbox[0]), "device_id": DEVICE_ID,
                           "device_name": "Pixel 8"})
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    tokens = response.json()
    assert tokens["token_type"] == "Bearer"
    assert tokens["access_token"].startswith("aat_") and tokens["refresh_token"].startswith("art_")
    lifetime = int(settings.API_ACCESS_TOKEN_LIFETIME.total_seconds())
    assert lifetime - 5 <= tokens["expires_in"] <= lifetime
    device = Device.objects.get(user=citizen)
    assert (device.kind, device.name, device.signed_in_with, device.ended_at) == ("app", "Pixel 8", "password_sms", None)
    assert works(tokens["access_token"])
    actions = list(AuditEvent.objects.filter(subject=citizen).order_by("id").values_list("action", flat=True))
    assert actions == ["login_password_ok", "otp_sent", "login_succeeded", "device_signed_in"]


def test_the_id_number_signs_in_too(post, citizen):
    response = post(SIGN_IN, {"username": citizen.person.national_id, "password": PASSWORD})
    assert response.status_code == 200


def test_a_wrong_password_and_an_unknown_username_get_the_same_error(post, citizen):
    wrong = post(SIGN_IN, {"username": citizen.username, "password": "WrongPass2026"}, HTTP_ACCEPT_LANGUAGE="en")
    unknown = post(SIGN_IN, {"username": "Nobody2026x", "password": "WrongPass2026"}, HTTP_ACCEPT_LANGUAGE="en")
    error = assert_error(wrong, 400, "invalid_credentials")
    assert error == assert_error(unknown, 400, "invalid_credentials")
    assert error["message"] == "The username, ID number or password is incorrect."


def test_a_missing_field_is_a_field_error(post):
    error = assert_error(post(SIGN_IN, {"username": "Someone2026"}), 400, "invalid")
    assert list(error["fields"]) == ["password"]
    assert error["fields"]["password"][0]["code"] == "required"


def test_a_body_that_is_not_json_is_a_parse_error():
    response = APIClient().post(SIGN_IN, "{not json", content_type="application/json")
    assert_error(response, 400, "parse_error")


def _lock_out(do_post, identifiers):
    """LOGIN_FAILURE_LIMIT wrong passwords, then one more try; the last two answers."""
    answers = [do_post(identifiers[i % len(identifiers)]) for i in range(settings.LOGIN_FAILURE_LIMIT + 1)]
    return answers


def test_lockout_after_the_limit_with_the_same_audit_rows_as_the_web(post, client, user_factory):
    web_user, app_user = user_factory(state=AccountState.ACTIVE), user_factory(state=AccountState.ACTIVE)

    api_answers = _lock_out(
        lambda identifier: post(SIGN_IN, {"username": identifier, "password": "wrong"}, REMOTE_ADDR="192.0.2.20",
                                HTTP_ACCEPT_LANGUAGE="en"),
        [app_user.username, app_user.person.national_id],
    )
    _lock_out(
        lambda identifier: client.post(reverse("accounts:login"), {"identifier": identifier, "password": "wrong"},
                                       REMOTE_ADDR="192.0.2.10"),
        [web_user.username, web_user.person.national_id],
    )

    for answer in api_answers[: settings.LOGIN_FAILURE_LIMIT - 1]:
        assert_error(answer, 400, "invalid_credentials")
    locked = assert_error(api_answers[settings.LOGIN_FAILURE_LIMIT - 1], 429, "locked")
    assert ":" in locked["message"]  # until when, HH:MM
    assert_error(api_answers[-1], 429, "locked")
    # The app is told when to try again (the lockout's first period: LOGIN_LOCKOUT_BASE).
    retry = int(api_answers[-1]["Retry-After"])
    assert 0 < retry <= settings.LOGIN_LOCKOUT_BASE.total_seconds()
    # Even the right password waits for the end of the lockout.
    assert_error(post(SIGN_IN, {"username": app_user.username, "password": PASSWORD}, REMOTE_ADDR="192.0.2.20"),
                 429, "locked")

    def trail(user, address):
        rows = AuditEvent.objects.filter(client_address=address).order_by("id")
        return [(row.action, row.subject_id == user.pk, sorted(row.details)) for row in rows]

    web = trail(web_user, "192.0.2.10")
    assert len(web) == settings.LOGIN_FAILURE_LIMIT + 2  # ten failures, the lock, one refusal
    assert trail(app_user, "192.0.2.20")[: len(web)] == web
    assert [action for action, *_ in web].count("account_locked") == 1
    assert [action for action, *_ in web][-1] == "login_refused_locked"


def test_five_wrong_codes_void_the_code(post, citizen, challenge_of, sms_outbox):
    challenge = challenge_of(citizen)
    right = code_in(sms_outbox[-1])
    wrong = "000000" if right != "000000" else "111111"
    answers = [post(CODE, {"challenge": challenge, "code": wrong, "device_id": DEVICE_ID}, HTTP_ACCEPT_LANGUAGE="en")
               for _ in range(settings.OTP_MAX_ATTEMPTS)]
    for tries_left, answer in zip(range(settings.OTP_MAX_ATTEMPTS - 1, 0, -1), answers, strict=False):
        error = assert_error(answer, 400, "wrong")
        assert str(tries_left) in error["message"]
    assert_error(answers[-1], 400, "exhausted")
    # The right code no longer works: the sign-in starts again.
    assert_error(post(CODE, {"challenge": challenge, "code": right, "device_id": DEVICE_ID}), 400, "exhausted")
    assert not Device.objects.filter(user=citizen).exists()
    assert AuditEvent.objects.filter(subject=citizen, action="otp_failed").count() == settings.OTP_MAX_ATTEMPTS + 1


def test_a_code_of_another_sign_in_or_a_forged_challenge_is_refused(post, citizen, user_factory, challenge_of,
                                                                    sms_outbox):
    other = user_factory(state=AccountState.ACTIVE)
    mine = challenge_of(citizen)
    my_code = code_in(sms_outbox[-1])
    challenge_of(other)
    assert_error(post(CODE, {"challenge": mine + "x", "code": my_code, "device_id": DEVICE_ID}), 400,
                 "challenge_invalid")
    assert_error(post(RESEND, {"challenge": "not-a-challenge"}), 400, "challenge_invalid")
    # The other account's code is not this sign-in's.
    other_code = code_in(sms_outbox[-1])
    if other_code != my_code:
        assert_error(post(CODE, {"challenge": mine, "code": other_code, "device_id": DEVICE_ID}), 400, "wrong")


def test_the_challenge_expires_with_the_code(post, citizen, challenge_of, sms_outbox):
    challenge = challenge_of(citizen)
    code = code_in(sms_outbox[-1])
    with time_machine.travel(timezone.now() + settings.OTP_VALIDITY * 2 + timedelta(seconds=1)):
        assert_error(post(CODE, {"challenge": challenge, "code": code, "device_id": DEVICE_ID}), 400,
                     "challenge_invalid")


def test_resend_waits_a_minute_then_sends_a_new_code_that_replaces_the_old(post, citizen, challenge_of, sms_outbox):
    challenge = challenge_of(citizen)
    first = code_in(sms_outbox[-1])
    assert_error(post(RESEND, {"challenge": challenge}), 429, "cooldown")
    assert len(sms_outbox) == 1
    with time_machine.travel(timezone.now() + settings.OTP_RESEND_COOLDOWN + timedelta(seconds=1)):
        response = post(RESEND, {"challenge": challenge})
        assert response.status_code == 204
        assert len(sms_outbox) == 2
        second = code_in(sms_outbox[-1])
        if first != second:
            assert_error(post(CODE, {"challenge": challenge, "code": first, "device_id": DEVICE_ID}), 400)
        response = post(CODE, {"challenge": challenge, "code": second, "device_id": DEVICE_ID})
        assert response.status_code == 200, response.content


def test_an_account_waiting_for_its_mobile_is_sent_to_the_website(post, user_factory):
    pending = user_factory(state=AccountState.PENDING_PHONE)
    assert_error(post(SIGN_IN, {"username": pending.username, "password": PASSWORD}), 400, "pending_phone")


def test_a_suspended_account_cannot_sign_in_and_its_tokens_stop(post, citizen, signed_in):
    tokens = signed_in(citizen)
    citizen.state = AccountState.SUSPENDED
    citizen.save(update_fields=["state"])
    assert_error(post(SIGN_IN, {"username": citizen.username, "password": PASSWORD}), 400, "suspended")
    assert_error(authorised(tokens["access_token"]).post(SIGN_OUT), 401, "token_invalid")
    # Nor does its refresh token give it a new pair.
    assert_error(post(REFRESH, {"refresh_token": tokens["refresh_token"]}), 401, "token_invalid")


# --- tokens -------------------------------------------------------------------------------


def test_refresh_rotates_the_pair(post, citizen, signed_in):
    first = signed_in(citizen)
    response = post(REFRESH, {"refresh_token": first["refresh_token"]})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    second = response.json()
    assert second["access_token"] != first["access_token"] and second["refresh_token"] != first["refresh_token"]
    assert not works(first["access_token"])  # the old pair's access token ends with it
    assert works(second["access_token"])
    assert Device.objects.filter(user=citizen, ended_at=None).count() == 1
    third = post(REFRESH, {"refresh_token": second["refresh_token"]})
    assert third.status_code == 200


def test_a_refresh_token_used_twice_ends_the_device(post, citizen, signed_in):
    first = signed_in(citizen)
    second = post(REFRESH, {"refresh_token": first["refresh_token"]}).json()
    assert works(second["access_token"])

    error = assert_error(post(REFRESH, {"refresh_token": first["refresh_token"]}, HTTP_ACCEPT_LANGUAGE="en"), 401,
                         "token_reused")
    assert "used twice" in error["message"]
    # The whole family ends: the access token the thief or the app holds, and the newest refresh token.
    assert not works(second["access_token"])
    assert_error(authorised(second["access_token"]).post(SIGN_OUT), 401, "token_invalid")
    assert_error(post(REFRESH, {"refresh_token": second["refresh_token"]}), 401, "token_invalid")
    device = Device.objects.get(user=citizen)
    assert (device.ending, device.ended_at is not None) == (Device.Ending.TOKEN_REUSED, True)
    assert AuditEvent.objects.filter(subject=citizen, action="api_refresh_token_reused").count() == 1


@pytest.mark.parametrize("refresh_token", ["", "art_", "art_" + "x" * 43, "aat_" + "x" * 43, "x" * 101])
def test_a_refresh_token_that_is_not_one_is_refused(post, refresh_token):
    response = post(REFRESH, {"refresh_token": refresh_token})
    assert response.status_code in (400, 401)
    assert_error(response, response.status_code)


def test_an_expired_refresh_token_is_refused(post, citizen, signed_in):
    tokens = signed_in(citizen)
    with time_machine.travel(timezone.now() + settings.API_REFRESH_TOKEN_LIFETIME + timedelta(seconds=1)):
        assert_error(post(REFRESH, {"refresh_token": tokens["refresh_token"]}), 401, "token_invalid")


def test_an_access_token_lives_its_lifetime(citizen, signed_in):
    tokens = signed_in(citizen)
    with time_machine.travel(timezone.now() + settings.API_ACCESS_TOKEN_LIFETIME - timedelta(seconds=5)):
        assert works(tokens["access_token"])
    with time_machine.travel(timezone.now() + settings.API_ACCESS_TOKEN_LIFETIME + timedelta(seconds=1)):
        response = authorised(tokens["access_token"]).post(SIGN_OUT)
        assert_error(response, 401, "token_invalid")
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_sign_out_ends_the_device_and_its_tokens(citizen, signed_in, post):
    tokens = signed_in(citizen)
    assert authorised(tokens["access_token"]).post(SIGN_OUT).status_code == 204
    device = Device.objects.get(user=citizen)
    assert device.ending == Device.Ending.SIGNED_OUT
    assert not AccessToken.objects.filter(device=device).exists()
    assert_error(authorised(tokens["access_token"]).post(SIGN_OUT), 401, "token_invalid")
    # Nor does its refresh token give it a new pair.
    assert_error(post(REFRESH, {"refresh_token": tokens["refresh_token"]}), 401, "token_invalid")
    assert_error(post(REFRESH, {"refresh_token": tokens["refresh_token"]}), 401, "token_invalid")


def test_tokens_are_stored_only_as_digests(citizen, signed_in, post):
    from django.db import connection

    first = signed_in(citizen)
    second = post(REFRESH, {"refresh_token": first["refresh_token"]}).json()
    raws = [first["access_token"], first["refresh_token"], second["access_token"], second["refresh_token"]]
    stored = set(AccessToken.objects.values_list("digest", flat=True)) | set(
        RefreshToken.objects.values_list("digest", flat=True))
    assert hashlib.sha256(second["access_token"].encode()).hexdigest() in stored
    assert hashlib.sha256(second["refresh_token"].encode()).hexdigest() in stored
    # No table holds a token itself (nor a part of one long enough to matter).
    with connection.cursor() as cursor:
        for model in (AccessToken, RefreshToken, Device, AuditEvent):
            cursor.execute(f"SELECT * FROM {model._meta.db_table}")  # noqa: S608 - our own table names
            dump = repr(cursor.fetchall())
            for raw in raws:
                assert raw[4:20] not in dump, f"a token is stored in {model._meta.db_table}"


@pytest.mark.parametrize("header", ["Bearer", "Bearer a b", "Bearer aat_nope", "Bearer \u00e9t\u00e9"])
def test_a_malformed_or_unknown_bearer_header_is_a_401(header):
    response = APIClient().post(SIGN_OUT, HTTP_AUTHORIZATION=header.encode().decode("latin-1"))
    assert_error(response, 401)
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_no_token_is_a_401_not_authenticated():
    response = APIClient().post(SIGN_OUT)
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


# --- what does not sign in at the API -------------------------------------------------------


def test_a_web_session_cookie_does_not_authenticate_at_the_api(client, citizen):
    """The API takes bearer tokens only: a signed-in browser's cookie is nobody there, so no page
    of another site can ride the session (and the API needs no CSRF token: tests/test_security.py)."""
    client.force_login(citizen)
    assert client.get(reverse("accounts:profile")).status_code == 200  # the session works on the pages
    assert_error(client.post(SIGN_OUT, content_type="application/json"), 401, "not_authenticated")
    assert Device.objects.filter(user=citizen, kind="app").count() == 0


def test_a_bearer_request_needs_no_csrf_token(bearer, citizen):
    client = bearer(citizen)
    client.handler.enforce_csrf_checks = True
    assert client.post(SIGN_OUT).status_code == 204


# --- language -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "language"),
    [("en", "en"), ("en-GB,en;q=0.9", "en"), ("ar", "ar"), ("ar-SA", "ar"), ("", "ar"), ("fr-FR", "ar"),
     ("fr;q=0.9,en;q=0.5", "en")],
)
def test_errors_speak_the_accept_language(post, header, language):
    from django.utils import translation

    response = post(SIGN_IN, {"username": "Nobody2026x", "password": "wrong"}, HTTP_ACCEPT_LANGUAGE=header)
    error = assert_error(response, 400, "invalid_credentials")
    with translation.override(language):
        expected = translation.gettext("The username, ID number or password is incorrect.")
    assert error["message"] == expected
    assert response["Content-Language"] == language
    assert "Accept-Language" in response["Vary"]
    if language == "ar":
        assert error["message"] != "The username, ID number or password is incorrect."
