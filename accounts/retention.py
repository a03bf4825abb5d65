"""Purges of the working rows that only enforce a rule, after the retention set in settings
(RETENTION_* in absher/settings/base.py says why each). Run daily by Celery beat (accounts.tasks);
idempotent. The audit trail, which records that each code was sent and each lockout, is never purged.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from absher.periodic import delete_in_batches

from .models import LoginThrottle, OneTimeCode

#: The longest window the SMS caps count codes over (accounts.otp: per mobile a day): a code younger
#: than this is never purged, whatever the setting, or the purge would reset the caps.
OTP_COUNTED_FOR = timedelta(days=1)


def one_time_codes_purge(*, now: datetime | None = None, days: int | None = None) -> int:
    """Delete the one-time codes created more than RETENTION_OTP_DAYS ago; returns how many."""
    now = now or timezone.now()
    keep = max(timedelta(days=settings.RETENTION_OTP_DAYS if days is None else days), OTP_COUNTED_FOR)
    return delete_in_batches(OneTimeCode.objects.filter(created_at__lt=now - keep))


def login_throttles_purge(*, now: datetime | None = None, days: int | None = None) -> int:
    """Delete the sign-in throttle rows untouched for RETENTION_THROTTLE_DAYS and not locked now."""
    now = now or timezone.now()
    idle = timedelta(days=settings.RETENTION_THROTTLE_DAYS if days is None else days)
    stale = LoginThrottle.objects.filter(updated_at__lt=now - idle).filter(
        Q(locked_until__isnull=True) | Q(locked_until__lte=now))
    return delete_in_batches(stale)
