"""A sign-in from a device the account has never signed in with sends an SMS notice to its mobile
(the browser's long-lived device cookie, or the app's installation id); the first sign-in of an
account and a known device send none."""

import pytest
from django.test import Client
from django.urls import reverse

from absher.notifications.models import OutboxMessage
from devices.models import Device
from devices.signals import DEVICE_COOKIE

from .conftest import FIREFOX_WINDOWS

pytestmark = pytest.mark.django_db


def notices(user) -> int:
    return OutboxMessage.objects.filter(user=user, purpose="devices.new_device").count()


def test_first_sign_in_no_notice_a_new_browser_one_the_same_browser_again_none(user_factory, sign_in, sms_outbox):
    user = user_factory()

    first = sign_in(user)
    assert notices(user) == 0
    cookie = first.cookies[DEVICE_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and len(cookie.value) >= 20

    second = sign_in(user, user_agent=FIREFOX_WINDOWS)
    assert notices(user) == 1
    assert sms_outbox[-1].to == user.mobile  # after the sign-in code: the notice
    assert sms_outbox[-1].body == OutboxMessage.objects.get(user=user, purpose="devices.new_device").body
    assert second.cookies[DEVICE_COOKIE].value != cookie.value

    # The first browser signs out and in again: its cookie is known, no notice.
    first.post(reverse("accounts:logout"))
    sign_in(user, client=first)
    assert notices(user) == 1
    assert Device.objects.filter(user=user).count() == 3
    assert len({d.key_digest for d in Device.objects.filter(user=user)}) == 2


def test_a_known_browser_whose_device_ended_is_still_known(user_factory, sign_in, committed):
    user = user_factory()
    browser = sign_in(user)
    with committed():
        browser.post(reverse("accounts:logout"))
    assert Device.objects.get(user=user).ending == Device.Ending.SIGNED_OUT
    sign_in(user, client=browser)
    assert notices(user) == 0


def test_a_forged_cookie_counts_as_a_new_device(user_factory, sign_in):
    user = user_factory()
    sign_in(user)
    browser = Client(HTTP_USER_AGENT=FIREFOX_WINDOWS)
    browser.cookies[DEVICE_COOKIE] = "short"
    sign_in(user, client=browser)
    assert notices(user) == 1
    assert browser.cookies[DEVICE_COOKIE].value != "short"


def test_the_notice_is_in_the_accounts_language(user_factory, sign_in, sms_outbox):
    user = user_factory(preferred_language="en")
    sign_in(user)
    sign_in(user, user_agent=FIREFOX_WINDOWS)
    message = OutboxMessage.objects.get(user=user, purpose="devices.new_device")
    assert message.language == "en"
    assert sms_outbox[-1].body.startswith("Absher: your account was signed in on a new device.")


def test_a_new_app_installation_sends_a_notice_and_the_same_one_does_not(user_factory, sign_in, committed):
    from django.test import RequestFactory

    from api.auth import start_app_device

    user = user_factory()
    sign_in(user)
    request = RequestFactory().post("/api/v1/auth/sign-in/code/", HTTP_USER_AGENT="AbsherApp/3.1 (Android 14)")
    installation = "i" * 32
    with committed():
        start_app_device(request, user, device_id=installation, device_name="Pixel 8", signed_in_with="password_sms")
    assert notices(user) == 1
    with committed():
        start_app_device(request, user, device_id=installation, device_name="Pixel 8", signed_in_with="password_sms")
    assert notices(user) == 1
    assert Device.objects.filter(user=user, kind="app").count() == 2


def test_a_rolled_back_sign_in_sends_no_notice(user_factory, sign_in, sms_outbox, django_capture_on_commit_callbacks):
    from django.db import transaction

    from devices.services import device_start

    user = user_factory()
    sign_in(user)
    sent = len(sms_outbox)
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                device_start(user=user, kind="app", name="X", device_key="k" * 32)
                raise RuntimeError("the token's insert failed")
        except RuntimeError:
            pass
    assert len(sms_outbox) == sent and notices(user) == 0
