"""Periodic work of devices, on Celery beat (CELERY_BEAT_SCHEDULE)."""

from absher.periodic import periodic_task

from . import services


@periodic_task()
def expire_devices() -> dict:
    return {"expired": services.expire_devices()}
