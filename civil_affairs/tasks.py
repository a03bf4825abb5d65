"""Periodic work of civil affairs, on Celery beat (CELERY_BEAT_SCHEDULE): thin tasks round the services."""

from absher.periodic import periodic_task

from . import services

#: Files younger than this are left alone (an upload may be on its way to its request).
SWEEP_GRACE_SECONDS = 3600


@periodic_task()
def sweep_attachments() -> dict:
    return services.attachments_sweep(older_than_seconds=SWEEP_GRACE_SECONDS)
