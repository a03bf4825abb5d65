"""The purges beat runs daily: one-time codes and sign-in throttles after their retention; the audit stays."""

import uuid
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from absher.audit import audit_record
from absher.models import AuditEvent
from accounts import retention
from accounts.models import LoginThrottle, OneTimeCode, OtpPurpose
from accounts.tasks import purge_login_throttles, purge_one_time_codes

pytestmark = pytest.mark.django_db


def code(user, *, age: timedelta) -> OneTimeCode:
    created = timezone.now() - age
    return OneTimeCode.objects.create(
        user=user, purpose=OtpPurpose.LOGIN, challenge=uuid.uuid4(), mobile=user.mobile, digest="0" * 64,
        created_at=created, expires_at=created + timedelta(minutes=5))


def test_codes_past_their_retention_are_deleted_and_the_audit_stays(user_factory, settings):
    settings.RETENTION_OTP_DAYS = 30
    user = user_factory()
    old = code(user, age=timedelta(days=30, seconds=1))
    kept = code(user, age=timedelta(days=29, hours=23))
    with time_machine.travel(timezone.now() - timedelta(days=400)):
        audit_record(action="otp_sent", subject=user, purpose="login")
        audit_record(action="otp_sent", subject=user, purpose="login")
    assert purge_one_time_codes.delay().get() == {"deleted": 1}
    assert list(OneTimeCode.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not OneTimeCode.objects.filter(pk=old.pk).exists()
    assert AuditEvent.objects.filter(action="otp_sent").count() == 2  # never purged
    assert purge_one_time_codes.delay().get() == {"deleted": 0}  # idempotent


def test_a_code_the_sms_caps_still_count_is_never_purged_whatever_the_setting(user_factory):
    user = user_factory()
    counted = code(user, age=timedelta(hours=23))
    past = code(user, age=timedelta(hours=25))
    assert retention.one_time_codes_purge(days=0) == 1
    assert list(OneTimeCode.objects.values_list("pk", flat=True)) == [counted.pk]
    assert not OneTimeCode.objects.filter(pk=past.pk).exists()


def throttle(key, *, idle: timedelta, locked_until=None) -> LoginThrottle:
    row = LoginThrottle.objects.create(key=key, failures=3, locked_until=locked_until)
    LoginThrottle.objects.filter(pk=row.pk).update(updated_at=timezone.now() - idle)
    return row


def test_idle_unlocked_sign_in_throttles_are_deleted(settings):
    settings.RETENTION_THROTTLE_DAYS = 30
    now = timezone.now()
    throttle("user:1", idle=timedelta(days=31))
    throttle("ip:192.0.2.1", idle=timedelta(days=31), locked_until=now - timedelta(days=30))
    recent = throttle("user:2", idle=timedelta(days=29))
    # Not reachable with today's 24-hour cap, but a lock still running is never lifted by a purge.
    locked = throttle("user:3", idle=timedelta(days=31), locked_until=now + timedelta(hours=1))
    assert purge_login_throttles.delay().get() == {"deleted": 2}
    assert set(LoginThrottle.objects.values_list("pk", flat=True)) == {recent.pk, locked.pk}
