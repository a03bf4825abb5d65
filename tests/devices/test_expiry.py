"""Devices nobody can use any more leave the sessions list, and the daily task marks them ended."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from devices import services, tokens
from devices.models import AccessToken, Device, RefreshToken


def _device(user, kind, *, signed_in_ago, seen_ago):
    now = timezone.now()
    return Device.objects.create(
        user=user, kind=kind, name=kind, signed_in_at=now - signed_in_ago, last_seen_at=now - seen_ago
    )


@pytest.mark.django_db
def test_a_web_session_idle_past_its_timeout_leaves_the_list(user_factory):
    user = user_factory(state="active")
    idle = settings.SESSION_IDLE_TIMEOUT
    alive = _device(user, Device.Kind.WEB, signed_in_ago=timedelta(hours=1), seen_ago=idle - timedelta(seconds=1))
    _device(user, Device.Kind.WEB, signed_in_ago=timedelta(hours=1), seen_ago=idle + timedelta(seconds=1))
    too_old = settings.SESSION_ABSOLUTE_TIMEOUT
    _device(user, Device.Kind.WEB, signed_in_ago=too_old + timedelta(seconds=1), seen_ago=timedelta(seconds=5))

    assert list(services.active_devices(user)) == [alive]


@pytest.mark.django_db
def test_an_app_device_lives_while_its_refresh_token_can(user_factory):
    user = user_factory(state="active")
    lifetime = settings.API_REFRESH_TOKEN_LIFETIME
    alive = _device(user, Device.Kind.APP, signed_in_ago=lifetime, seen_ago=lifetime - timedelta(minutes=1))
    _device(user, Device.Kind.APP, signed_in_ago=lifetime * 2, seen_ago=lifetime + timedelta(minutes=1))
    max_age = settings.API_DEVICE_MAX_AGE
    _device(user, Device.Kind.APP, signed_in_ago=max_age + timedelta(minutes=1), seen_ago=timedelta(minutes=1))

    assert list(services.active_devices(user)) == [alive]


@pytest.mark.django_db
def test_the_task_marks_the_dead_ones_ended_and_drops_dead_tokens(user_factory):
    user = user_factory(state="active")
    alive = _device(user, Device.Kind.APP, signed_in_ago=timedelta(days=1), seen_ago=timedelta(minutes=1))
    pair = tokens.issue_pair(alive)
    dead = _device(user, Device.Kind.WEB, signed_in_ago=timedelta(days=1), seen_ago=timedelta(hours=2))
    AccessToken.objects.create(device=alive, digest="0" * 64, expires_at=timezone.now() - timedelta(seconds=1))

    assert services.expire_devices() == 1

    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.ending == Device.Ending.EXPIRED and dead.ended_at is not None
    assert alive.ended_at is None
    assert not AccessToken.objects.filter(digest="0" * 64).exists()
    # The live pair still works.
    assert tokens.authenticate_access(pair.access_token)[1] == alive
    assert RefreshToken.objects.filter(device=alive).count() == 1


@pytest.mark.django_db
def test_the_auditors_read_sessions_devices_and_passkeys():
    from django.contrib.auth.models import Group

    granted = {f"{p.content_type.app_label}.{p.codename}" for p in Group.objects.get(name="Auditors").permissions.all()}
    assert {"devices.view_device", "passkeys.view_passkey"} <= granted
    assert "devices.change_device" not in granted
