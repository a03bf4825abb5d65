"""/api/v1/devices/ and the app's tokens (QUALITY 38, 39): the same list and actions as the sessions
page; refresh tokens rotate, a reused one ends its device; tokens are stored as digests only."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from absher.models import AuditEvent
from devices import tokens
from devices.models import AccessToken, Device, RefreshToken

from .conftest import FIREFOX_WINDOWS

pytestmark = pytest.mark.django_db

LIST = reverse("api:device-list")
REFRESH = reverse("api:token-refresh")


def api(pair=None, language="en") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language, REMOTE_ADDR="203.0.113.50")
    if pair is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair.access_token}")
    return client


def error_code(response) -> str:
    return response.json()["error"]["code"]


# --- the list ---


def test_the_list_marks_this_device_and_shows_only_the_accounts_own(user_factory, app_device, sign_in):
    user, other = user_factory(state="active"), user_factory(state="registered")
    browser = sign_in(user, user_agent=FIREFOX_WINDOWS, address="192.0.2.10")
    tablet, _ = app_device(user, name="iPad")
    phone, pair = app_device(user, name="Pixel 8")
    app_device(other, name="Not mine")
    app_device(user, name="Gone", ended_at=timezone.now(), ending="signed_out")

    response = api(pair).get(LIST)

    assert response.status_code == 200
    body = response.json()
    # This device first, then the most recently seen (the iPad signed in after the browser).
    assert [d["name"] for d in body] == ["Pixel 8", "iPad", "Firefox on Windows"]
    assert [d["current"] for d in body] == [True, False, False]
    assert body[2]["kind"] == "web" and body[2]["client_address"] == "192.0.2.10"
    assert {d["id"] for d in body} == {phone.pk, tablet.pk, browser.session["absher_device"]}
    assert set(body[0]) == {
        "id", "kind", "name", "client_address", "last_seen_address", "signed_in_with", "signed_in_at", "last_seen_at", "current",
    }


def test_a_registered_account_not_yet_activated_has_its_list(user_factory, app_device):
    _, pair = app_device(user_factory(state="registered"))
    assert api(pair).get(LIST).status_code == 200


def test_without_a_token_the_list_is_refused(user_factory, sign_in):
    # A browser's session is no credential for the API.
    browser = sign_in(user_factory())
    assert browser.get(LIST).status_code == 401
    response = api().get(LIST)
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")
    assert api().get(LIST, HTTP_AUTHORIZATION="Bearer aat_nonsense").status_code == 401


# --- ending ---


def test_ending_another_device_signs_it_out(user_factory, app_device, committed):
    user = user_factory()
    _, mine = app_device(user, name="Pixel 8")
    other, theirs = app_device(user, name="Old phone")
    with committed():
        response = api(mine).post(reverse("api:device-end", args=[other.pk]))
    assert response.status_code == 204
    other.refresh_from_db()
    assert other.ending == Device.Ending.ENDED_BY_CITIZEN
    assert api(theirs).get(LIST).status_code == 401
    assert api(mine).get(LIST).status_code == 200
    assert not AccessToken.objects.filter(device=other).exists() and not RefreshToken.objects.filter(device=other).exists()
    assert api().post(REFRESH, {"refresh_token": theirs.refresh_token}, format="json").status_code == 401


def test_ending_another_citizens_device_is_not_found(user_factory, app_device):
    _, mine = app_device(user_factory())
    theirs, their_pair = app_device(user_factory())
    response = api(mine).post(reverse("api:device-end", args=[theirs.pk]))
    assert response.status_code == 404 and error_code(response) == "not_found"
    theirs.refresh_from_db()
    assert theirs.ended_at is None
    assert api(their_pair).get(LIST).status_code == 200
    assert api(mine).post(reverse("api:device-end", args=[9_999_999])).status_code == 404


def test_this_device_is_ended_by_signing_out_not_from_the_list(user_factory, app_device):
    device, pair = app_device(user_factory())
    response = api(pair).post(reverse("api:device-end", args=[device.pk]))
    assert response.status_code == 400 and error_code(response) == "device_current"
    assert "sign out" in response.json()["error"]["message"]
    assert api(pair).post(reverse("api:sign-out")).status_code == 204
    assert api(pair).get(LIST).status_code == 401


def test_end_others_keeps_this_device(user_factory, app_device, sign_in, committed):
    user = user_factory()
    browser = sign_in(user)
    _, other_pair = app_device(user, name="Tablet")
    device, pair = app_device(user, name="Pixel 8")
    _, strangers = app_device(user_factory())
    with committed():
        response = api(pair).post(reverse("api:devices-end-others"))
    assert response.status_code == 200 and response.json() == {"ended": 2}
    assert list(Device.objects.filter(user=user, ended_at__isnull=True)) == [device]
    assert browser.get(reverse("accounts:profile")).status_code == 302
    assert api(other_pair).get(LIST).status_code == 401
    assert api(strangers).get(LIST).status_code == 200


def test_not_me_ends_everything_this_device_too(user_factory, app_device, sign_in, committed, sms_outbox):
    user = user_factory()
    browser = sign_in(user)
    device, pair = app_device(user)
    sent = len(sms_outbox)
    with committed():
        response = api(pair).post(reverse("api:devices-not-me"))
    assert response.status_code == 200 and response.json()["ended"] == 2
    assert "Forgot your password" in response.json()["message"]
    assert api(pair).get(LIST).status_code == 401
    assert browser.get(reverse("accounts:profile")).status_code == 302
    user.refresh_from_db()
    assert not user.has_usable_password()
    assert [m.to for m in sms_outbox[sent:]] == [user.mobile]
    assert AuditEvent.objects.get(action="account_not_me", subject=user).details["device"] == device.pk


# --- the tokens ---


def test_a_refresh_token_gives_a_new_pair_once(user_factory, app_device):
    device, pair = app_device(user_factory())
    response = api().post(REFRESH, {"refresh_token": pair.refresh_token}, format="json")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    fresh = response.json()
    assert fresh["refresh_token"] != pair.refresh_token and fresh["access_token"] != pair.access_token
    lifetime = int(settings.API_ACCESS_TOKEN_LIFETIME.total_seconds())
    assert lifetime - 1 <= fresh["expires_in"] <= lifetime
    # The new access token works; the old one ended with its pair.
    assert api().get(LIST, HTTP_AUTHORIZATION=f"Bearer {fresh['access_token']}").status_code == 200
    assert api(pair).get(LIST).status_code == 401
    # The new refresh token rotates again.
    again = api().post(REFRESH, {"refresh_token": fresh["refresh_token"]}, format="json")
    assert again.status_code == 200


def test_a_refresh_token_used_twice_ends_its_device_and_every_token(user_factory, app_device):
    user = user_factory()
    device, pair = app_device(user)
    first = api().post(REFRESH, {"refresh_token": pair.refresh_token}, format="json").json()

    replay = api().post(REFRESH, {"refresh_token": pair.refresh_token}, format="json")

    assert replay.status_code == 401 and error_code(replay) == "token_reused"
    device.refresh_from_db()
    assert device.ending == Device.Ending.TOKEN_REUSED
    # The thief's and the app's tokens alike: the whole family ends.
    assert api().get(LIST, HTTP_AUTHORIZATION=f"Bearer {first['access_token']}").status_code == 401
    assert api().post(REFRESH, {"refresh_token": first["refresh_token"]}, format="json").status_code == 401
    assert not AccessToken.objects.filter(device=device).exists()
    assert AuditEvent.objects.filter(action="api_refresh_token_reused", subject=user, details__device=device.pk).exists()


def test_an_access_token_expires_exactly_at_its_lifetime(user_factory, app_device):
    _, pair = app_device(user_factory())
    lifetime = settings.API_ACCESS_TOKEN_LIFETIME
    with time_machine.travel(timezone.now() + lifetime - timedelta(seconds=1), tick=False):
        assert api(pair).get(LIST).status_code == 200
    with time_machine.travel(timezone.now() + lifetime, tick=False):
        response = api(pair).get(LIST)
    assert response.status_code == 401 and error_code(response) == "token_invalid"


def test_an_expired_refresh_token_is_refused(user_factory, app_device):
    device, pair = app_device(user_factory())
    with time_machine.travel(timezone.now() + settings.API_REFRESH_TOKEN_LIFETIME, tick=False):
        response = api().post(REFRESH, {"refresh_token": pair.refresh_token}, format="json")
    assert response.status_code == 401 and error_code(response) == "token_invalid"
    device.refresh_from_db()
    assert device.ended_at is None  # expiry is not theft


def test_an_ended_devices_tokens_are_refused(user_factory, app_device):
    from devices.services import device_end

    device, pair = app_device(user_factory())
    device_end(device, ending=Device.Ending.STAFF)
    assert api(pair).get(LIST).status_code == 401
    assert api().post(REFRESH, {"refresh_token": pair.refresh_token}, format="json").status_code == 401


def test_a_suspended_accounts_tokens_are_refused(user_factory, app_device):
    user = user_factory()
    _, pair = app_device(user)
    user.state = "suspended"
    user.save(update_fields=["state"])
    assert api(pair).get(LIST).status_code == 401


def test_tokens_are_stored_only_as_digests(user_factory, app_device):
    from devices.rules import digest

    device, pair = app_device(user_factory())
    refreshed = api().post(REFRESH, {"refresh_token": pair.refresh_token}, format="json").json()
    raws = [pair.access_token, pair.refresh_token, refreshed["access_token"], refreshed["refresh_token"]]
    rows = []
    with connection.cursor() as cursor:
        for table in (AccessToken._meta.db_table, RefreshToken._meta.db_table, Device._meta.db_table):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - the models' own table names
            rows.extend(str(value) for row in cursor.fetchall() for value in row)
    stored = "\n".join(rows)
    assert not any(raw in stored for raw in raws)
    assert not any(raw[4:] in stored for raw in raws)  # not even without the prefix
    assert AccessToken.objects.filter(digest=digest(refreshed["access_token"])).exists()
    assert RefreshToken.objects.filter(digest=digest(refreshed["refresh_token"])).exists()


def test_a_refresh_token_never_outlives_the_devices_maximum_age(user_factory, app_device):
    device, _ = app_device(user_factory())
    Device.objects.filter(pk=device.pk).update(signed_in_at=timezone.now() - settings.API_DEVICE_MAX_AGE + timedelta(days=1))
    device.refresh_from_db()
    pair = tokens.issue_pair(device)
    assert pair.refresh_expires_at == device.signed_in_at + settings.API_DEVICE_MAX_AGE


def test_tokens_purge_drops_only_what_can_no_longer_work(user_factory, app_device):
    device, pair = app_device(user_factory())
    later = timezone.now() + settings.API_ACCESS_TOKEN_LIFETIME
    assert tokens.purge_expired(now=later) == 1  # the access token
    assert RefreshToken.objects.filter(device=device).count() == 1
    assert tokens.purge_expired(now=timezone.now() + settings.API_REFRESH_TOKEN_LIFETIME + timedelta(days=1)) == 1


def test_errors_speak_the_apps_language(user_factory, app_device):
    device, pair = app_device(user_factory())
    english = api(pair, "en").post(reverse("api:device-end", args=[device.pk])).json()["error"]["message"]
    arabic = api(pair, "ar").post(reverse("api:device-end", args=[device.pk])).json()["error"]["message"]
    assert english == "This is the session you are using now. To end it, sign out."
    assert arabic  # the Arabic once the catalogue has it (locale/pending/sessions.json)
