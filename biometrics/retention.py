"""Purges of kiosk working rows after the retention set in settings (RETENTION_* in
absher/settings/base.py says why). Run daily by Celery beat (biometrics.tasks); idempotent.

An attempt that completed an activation or a change of mobile is the evidence of it (the
citizen's page names the kiosk from it) and is kept; so is the audit trail.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from absher.periodic import delete_in_batches

from .models import EnrollmentAttempt, MatchThrottle


def kiosk_attempts_purge(*, now: datetime | None = None, days: int | None = None) -> int:
    """Delete the reader attempts older than RETENTION_KIOSK_ATTEMPT_DAYS that completed nothing."""
    now = now or timezone.now()
    keep = timedelta(days=settings.RETENTION_KIOSK_ATTEMPT_DAYS if days is None else days)
    return delete_in_batches(EnrollmentAttempt.objects.filter(at__lt=now - keep, completed_at__isnull=True))


def match_throttles_purge(*, now: datetime | None = None, days: int | None = None) -> int:
    """Delete the failed-match counts of IDs untouched for RETENTION_THROTTLE_DAYS and not locked now."""
    now = now or timezone.now()
    idle = timedelta(days=settings.RETENTION_THROTTLE_DAYS if days is None else days)
    stale = MatchThrottle.objects.filter(updated_at__lt=now - idle).filter(
        Q(locked_until__isnull=True) | Q(locked_until__lte=now))
    return delete_in_batches(stale)
