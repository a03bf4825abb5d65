"""devices.services, devices.signals and accounts.middleware: starting and ending devices, "it
wasn't me", what is live, and a web session whose device ended."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from absher.models import AuditEvent
from devices import rules, services
from devices.exceptions import DeviceIsCurrent, DeviceNotFound
from devices.models import AccessToken, Device, RefreshToken
from devices.signals import SESSION_DEVICE

pytestmark = pytest.mark.django_db


def web_device(user, *, seen_ago=timedelta(0), signed_in_ago=timedelta(0), **fields) -> Device:
    now = timezone.now()
    return Device.objects.create(
        user=user, kind="web", name="Chrome on Android", signed_in_at=now - signed_in_ago, last_seen_at=now - seen_ago, **fields
    )


# --- device_start ---


def test_device_start_records_the_sign_in_with_digests_only(user_factory):
    user = user_factory()
    device = services.device_start(
        user=user, kind="web", name="n" * 150, user_agent="u" * 400, device_key="device-key-" + "x" * 30,
        session_key="session-key-123", client_address="192.0.2.5", signed_in_with="passkey",
    )
    assert len(device.name) == 100 and len(device.user_agent) == 300
    assert device.key_digest == rules.digest("device-key-" + "x" * 30)
    assert device.session_digest == rules.digest("session-key-123")
    assert device.client_address == device.last_seen_address == "192.0.2.5"
    assert device.signed_in_at == device.last_seen_at and device.is_active
    event = AuditEvent.objects.get(action="device_signed_in", subject=user)
    assert event.details == {"device": device.pk, "kind": "web", "method": "passkey", "new_device": False}


def test_device_start_without_a_key_or_an_address(user_factory):
    device = services.device_start(user=user_factory(), kind="app", name="")
    assert device.key_digest == "" and device.client_address is None


def test_a_new_web_device_does_not_inherit_an_ended_mark_of_a_reused_id(user_factory):
    user = user_factory()
    next_id = (Device.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    cache.set(services.ENDED_CACHE_KEY.format(next_id), True)
    device = services.device_start(user=user, kind="web", name="x")
    assert services.web_session_alive(device.pk, check_database=False)
    cache.delete(services.ENDED_CACHE_KEY.format(next_id))


# --- device_end and devices_end_all ---


def test_device_end_ends_once_revokes_tokens_and_marks_a_web_session(user_factory, app_device, committed):
    user = user_factory()
    app, _pair = app_device(user)
    web = web_device(user)
    with committed():
        assert services.device_end(app, ending="ended", actor=user, client_address="192.0.2.9") is True
        assert services.device_end(web, ending="ended") is True
    assert not AccessToken.objects.filter(device=app).exists() and not RefreshToken.objects.filter(device=app).exists()
    assert cache.get(services.ENDED_CACHE_KEY.format(web.pk)) is True
    assert cache.get(services.ENDED_CACHE_KEY.format(app.pk)) is None
    first = app.ended_at
    assert services.device_end(app, ending="staff") is False
    app.refresh_from_db()
    assert app.ended_at == first and app.ending == "ended"
    assert AuditEvent.objects.filter(action="device_ended", subject=user).count() == 2
    event = AuditEvent.objects.get(action="device_ended", details__device=app.pk)
    assert event.actor_id == user.pk and event.client_address == "192.0.2.9" and event.details["ending"] == "ended"


def test_the_ended_mark_waits_for_the_commit(user_factory, django_capture_on_commit_callbacks):
    web = web_device(user_factory())
    with django_capture_on_commit_callbacks(execute=False):
        services.device_end(web, ending="ended")
    assert cache.get(services.ENDED_CACHE_KEY.format(web.pk)) is None


@pytest.mark.parametrize("keep_as", ["device", "id", "none"])
def test_devices_end_all_keeps_the_one_named(keep_as, user_factory, app_device):
    user, other = user_factory(), user_factory()
    kept = web_device(user)
    app_device(user)
    web_device(user)
    theirs = web_device(other)
    keep = {"device": kept, "id": kept.pk, "none": None}[keep_as]
    ended = services.devices_end_all(user, ending="ended", keep=keep)
    live = set(Device.objects.filter(ended_at__isnull=True).values_list("pk", flat=True))
    assert ended == (2 if keep is not None else 3)
    assert live == ({kept.pk, theirs.pk} if keep is not None else {theirs.pk})


def test_device_end_own(user_factory):
    user, other = user_factory(), user_factory()
    mine, current, theirs = web_device(user), web_device(user), web_device(other)
    with pytest.raises(DeviceNotFound):
        services.device_end_own(user=user, device_id=theirs.pk, current_device_id=current.pk)
    with pytest.raises(DeviceIsCurrent):
        services.device_end_own(user=user, device_id=current.pk, current_device_id=current.pk)
    ended = services.device_end_own(user=user, device_id=mine.pk, current_device_id=current.pk, client_address="192.0.2.1")
    assert ended.ending == Device.Ending.ENDED_BY_CITIZEN
    # Ending it again changes nothing; without a current device (an older session) any may end.
    services.device_end_own(user=user, device_id=mine.pk, current_device_id=None)
    mine.refresh_from_db()
    assert mine.ending == Device.Ending.ENDED_BY_CITIZEN
    assert AuditEvent.objects.filter(action="device_ended", details__device=mine.pk).count() == 1
    theirs.refresh_from_db()
    assert theirs.ended_at is None


def test_device_errors_have_codes_and_messages():
    translation.activate("en")
    assert DeviceNotFound.code == "not_found" and DeviceIsCurrent.code == "device_current"
    assert "sign out" in DeviceIsCurrent().message() and DeviceNotFound().message()


# --- not_me ---


def test_not_me(user_factory, app_device, committed, sms_outbox):
    user, other = user_factory(), user_factory()
    web = web_device(user)
    _app, _pair = app_device(user)
    theirs = web_device(other)
    with committed():
        assert services.not_me(user, client_address="192.0.2.77", from_device=web) == 2
    user.refresh_from_db()
    assert not user.has_usable_password()
    assert not Device.objects.filter(user=user, ended_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.ended_at is None
    assert [m.to for m in sms_outbox] == [user.mobile]
    event = AuditEvent.objects.get(action="account_not_me")
    assert (event.actor_id, event.subject_id, event.client_address) == (user.pk, user.pk, "192.0.2.77")
    assert event.details == {"ended": 2, "device": web.pk}
    assert AuditEvent.objects.filter(action="device_ended", subject=user, details__ending="not_me").count() == 2


def test_not_me_with_nothing_signed_in_still_locks_the_password(user_factory, committed, sms_outbox):
    user = user_factory()
    with committed():
        assert services.not_me(user) == 0
    user.refresh_from_db()
    assert not user.has_usable_password() and len(sms_outbox) == 1


# --- what is live ---


@pytest.mark.parametrize(
    ("seen_ago", "signed_in_ago", "listed"),
    [
        (timedelta(0), timedelta(0), True),
        (settings.SESSION_IDLE_TIMEOUT - timedelta(seconds=1), timedelta(hours=1), True),
        (settings.SESSION_IDLE_TIMEOUT, timedelta(hours=1), False),
        (timedelta(0), settings.SESSION_ABSOLUTE_TIMEOUT - timedelta(seconds=1), True),
        (timedelta(0), settings.SESSION_ABSOLUTE_TIMEOUT, False),
    ],
)
def test_a_web_session_is_live_until_its_timeouts(seen_ago, signed_in_ago, listed, user_factory):
    user = user_factory()
    device = web_device(user, seen_ago=seen_ago, signed_in_ago=signed_in_ago)
    assert (device in services.active_devices(user)) is listed


@pytest.mark.parametrize(
    ("seen_ago", "signed_in_ago", "listed"),
    [
        (settings.API_REFRESH_TOKEN_LIFETIME - timedelta(seconds=1), timedelta(days=40), True),
        (settings.API_REFRESH_TOKEN_LIFETIME, timedelta(days=40), False),
        (timedelta(0), settings.API_DEVICE_MAX_AGE - timedelta(seconds=1), True),
        (timedelta(0), settings.API_DEVICE_MAX_AGE, False),
    ],
)
def test_an_app_is_live_until_its_refresh_token_or_its_maximum_age(seen_ago, signed_in_ago, listed, user_factory):
    user = user_factory()
    now = timezone.now()
    device = Device.objects.create(
        user=user, kind="app", name="Pixel", signed_in_at=now - signed_in_ago, last_seen_at=now - seen_ago
    )
    assert (device in services.active_devices(user)) is listed


def test_expire_devices_ends_only_the_stale(user_factory):
    user = user_factory()
    fresh = web_device(user)
    stale = web_device(user, seen_ago=settings.SESSION_IDLE_TIMEOUT, signed_in_ago=timedelta(hours=1))
    gone = web_device(user, ended_at=timezone.now() - timedelta(days=1), ending="signed_out")
    assert services.expire_devices() == 1
    for device in (fresh, stale, gone):
        device.refresh_from_db()
    assert fresh.ended_at is None and stale.ending == Device.Ending.EXPIRED and gone.ending == "signed_out"
    assert services.expire_devices() == 0


def test_web_session_alive(user_factory):
    device = web_device(user_factory(), seen_ago=timedelta(minutes=5))
    assert services.web_session_alive(device.pk, check_database=False)
    assert services.web_session_alive(device.pk, check_database=True, client_address="192.0.2.200")
    device.refresh_from_db()
    assert device.last_seen_address == "192.0.2.200"
    assert timezone.now() - device.last_seen_at < timedelta(seconds=5)
    Device.objects.filter(pk=device.pk).update(ended_at=timezone.now())
    assert services.web_session_alive(device.pk, check_database=False)  # the cache alone says nothing yet
    assert not services.web_session_alive(device.pk, check_database=True)
    assert not services.web_session_alive(10**12, check_database=True)  # a device that is no more


# --- signals and the middleware ---


def test_sign_out_ends_the_device(user_factory, sign_in):
    user = user_factory()
    client = sign_in(user)
    device_id = client.session[SESSION_DEVICE]
    client.post(reverse("accounts:logout"))
    device = Device.objects.get(pk=device_id)
    assert device.ending == Device.Ending.SIGNED_OUT
    assert device.name == "Chrome on Android" and device.client_address == "198.51.100.7"


def test_signing_in_again_in_the_same_session_ends_the_former_device(user_factory):
    user = user_factory()
    client = Client()
    client.force_login(user)
    first = client.session[SESSION_DEVICE]
    client.force_login(user)
    second = client.session[SESSION_DEVICE]
    assert first != second
    assert Device.objects.get(pk=first).ending == Device.Ending.SIGNED_OUT
    assert Device.objects.get(pk=second).ended_at is None


def test_an_ended_session_is_signed_out_with_a_message(user_factory, sign_in, committed):
    user = user_factory()
    client = sign_in(user)
    client.cookies["absher_language"] = "en"
    with committed():
        services.device_end(Device.objects.get(pk=client.session[SESSION_DEVICE]), ending="ended")
    response = client.get(reverse("accounts:profile"), follow=True)
    assert "This session was ended from your account" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_idle_timeout_ends_the_device_as_expired(user_factory, sign_in):
    import time_machine

    user = user_factory()
    client = sign_in(user)
    device_id = client.session[SESSION_DEVICE]
    with time_machine.travel(timezone.now() + settings.SESSION_IDLE_TIMEOUT + timedelta(seconds=1), tick=False):
        client.get(reverse("accounts:profile"))
    assert Device.objects.get(pk=device_id).ending == Device.Ending.EXPIRED


def test_a_session_from_before_devices_were_recorded_stays(user_factory):
    client = Client()
    client.force_login(user_factory())
    session = client.session
    del session[SESSION_DEVICE]
    session.save()
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_closing_an_account_ends_and_removes_its_devices(user_factory, app_device):
    from accounts.signals import account_closed

    user = user_factory()
    web_device(user)
    app_device(user)
    account_closed.send(sender=None, user=user)
    assert not Device.objects.filter(user=user).exists()
    assert AuditEvent.objects.filter(action="device_ended", subject=user, details__ending="account_closed").count() == 2
