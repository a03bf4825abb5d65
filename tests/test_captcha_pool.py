"""The registration page's challenges come from a pool the worker keeps full (absher.tasks.refill_captcha_pool)."""

from datetime import timedelta

import pytest
from captcha.models import CaptchaStore
from django.urls import reverse
from django.utils import timezone

from absher.tasks import refill_captcha_pool

pytestmark = pytest.mark.django_db


@pytest.fixture
def pool(settings):
    settings.CAPTCHA_POOL_SIZE = 5
    return settings


def test_the_settings_serve_challenges_from_the_pool_with_ten_minutes_left_at_least(settings):
    assert settings.CAPTCHA_GET_FROM_POOL is True
    assert settings.CAPTCHA_GET_FROM_POOL_TIMEOUT == 10 < settings.CAPTCHA_TIMEOUT


def test_the_refill_tops_the_pool_up_and_deletes_the_expired(pool):
    now = timezone.now()
    expired = CaptchaStore.objects.create(challenge="OLD", response="old", expiration=now - timedelta(seconds=1))
    # Still valid, but with less than CAPTCHA_GET_FROM_POOL_TIMEOUT left: never shown again, so not counted.
    fading = CaptchaStore.objects.create(challenge="FADE", response="fade", expiration=now + timedelta(minutes=9, seconds=59))
    showable = CaptchaStore.objects.create(challenge="KEEP", response="keep", expiration=now + timedelta(minutes=10, seconds=30))
    assert refill_captcha_pool() == {"made": 4}
    assert not CaptchaStore.objects.filter(pk=expired.pk).exists()
    assert CaptchaStore.objects.filter(pk__in=[fading.pk, showable.pk]).count() == 2
    assert CaptchaStore.objects.filter(expiration__gt=now + timedelta(minutes=10)).count() == 5
    made = CaptchaStore.objects.filter(pk__gt=showable.pk)
    assert made.count() == 4 and all(row.expiration > now + timedelta(minutes=29) for row in made)  # CAPTCHA_TIMEOUT
    assert refill_captcha_pool() == {"made": 0}  # full: nothing made


def test_the_registration_page_shows_a_challenge_of_the_pool_and_inserts_nothing(client, pool):
    refill_captcha_pool()
    keys = set(CaptchaStore.objects.values_list("hashkey", flat=True))
    for _ in range(3):
        page = client.get(reverse("accounts:register"))
        assert page.status_code == 200
        assert any(key in page.content.decode() for key in keys)
    assert set(CaptchaStore.objects.values_list("hashkey", flat=True)) == keys


def test_an_empty_pool_still_shows_a_challenge(client, pool):
    assert not CaptchaStore.objects.exists()
    assert client.get(reverse("accounts:register")).status_code == 200
    assert CaptchaStore.objects.count() == 1
