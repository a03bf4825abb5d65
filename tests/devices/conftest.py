"""Shared helpers of the sessions and devices tests: a real sign-in through the pages (so that the
device, its cookie and its notice come from the code that makes them), and app devices with tokens."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import code_in

PASSWORD = "GoodPass2026"
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"
)
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Mobile/15E148 Safari/604.1"
)


@pytest.fixture
def sign_in(committed, sms_outbox):
    """`sign_in(user, client=None, user_agent=..., address=...)`: the password, then the SMS code,
    through the pages; returns the client, signed in (its device recorded)."""

    def run(user, client=None, *, user_agent=CHROME_ANDROID, address="198.51.100.7", password=PASSWORD):
        client = client or Client(HTTP_USER_AGENT=user_agent, REMOTE_ADDR=address)
        with committed():
            response = client.post(reverse("accounts:login"), {"identifier": user.username, "password": password})
        assert response.status_code == 302 and response.url == reverse("accounts:login-verify"), response
        with committed():
            response = client.post(reverse("accounts:login-verify"), {"code": code_in(sms_outbox[-1])})
        assert response.status_code == 302, response
        return client

    return run


@pytest.fixture
def app_device():
    """`app_device(user, name="Pixel 8")`: an app device signed in now, and its token pair."""
    from devices import tokens
    from devices.models import Device

    def make(user, name="Pixel 8", **fields):
        now = timezone.now()
        device = Device.objects.create(
            user=user, kind="app", name=name, signed_in_at=now, last_seen_at=now, **fields
        )
        return device, tokens.issue_pair(device)

    return make


def bearer(pair) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {pair.access_token}"}


@pytest.fixture(autouse=True)
def _no_ended_marks():
    """The "ended" marks live in the cache, keyed by the device's row id, which a rolled-back test
    gives out again: each test starts and leaves without them."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
