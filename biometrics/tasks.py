"""Periodic work of the kiosks, on Celery beat (CELERY_BEAT_SCHEDULE): thin tasks round the services."""

from absher.periodic import periodic_task

from . import retention


@periodic_task()
def purge_kiosk_attempts() -> dict:
    return {"attempts": retention.kiosk_attempts_purge(), "match_throttles": retention.match_throttles_purge()}
