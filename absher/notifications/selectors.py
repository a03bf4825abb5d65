"""Reads of the notification pipeline: the citizen's notices, the outbox's health."""

from datetime import datetime

from django.db.models import Count, Min
from django.utils import timezone

from .models import PENDING, MessageStatus, Notice, OutboxMessage


def notices_of(user, *, source: str, limit: int = 5):
    """The user's latest notices of one app, read or not."""
    return Notice.objects.filter(user=user, source=source).order_by("-at", "-id")[:limit]


def unread_notices(user, *, source: str):
    return Notice.objects.filter(user=user, source=source, read_at=None).order_by("-at", "-id")


def unread_notice_count(user, *, source: str) -> int:
    return Notice.objects.filter(user=user, source=source, read_at=None).count()


def outbox_stats(*, now: datetime | None = None) -> dict:
    """The outbox's depth by status and the age of its oldest waiting message (issue 10's metric).

    `by_status` has every status (0 when none); `pending` counts what still waits for a worker
    (created, sending, temporary-failure); `oldest_pending_seconds` is None when nothing waits.
    """
    now = now or timezone.now()
    counts = dict(OutboxMessage.objects.order_by().values_list("status").annotate(n=Count("id")))
    by_status = {status: counts.get(status, 0) for status in MessageStatus.values}
    oldest = OutboxMessage.objects.filter(status__in=PENDING).aggregate(oldest=Min("created_at"))["oldest"]
    return {
        "by_status": by_status,
        "pending": sum(by_status[status] for status in PENDING),
        "dead_letter": by_status[MessageStatus.DEAD_LETTER],
        "oldest_pending_seconds": max(0.0, (now - oldest).total_seconds()) if oldest else None,
    }
