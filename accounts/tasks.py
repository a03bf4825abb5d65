"""Periodic work of accounts, on Celery beat (CELERY_BEAT_SCHEDULE): thin tasks round the services."""

from absher.periodic import periodic_task

from . import retention, services


@periodic_task()
def expire_registrations() -> dict:
    return {"expired": services.expire_pending_registrations()}


@periodic_task()
def purge_one_time_codes() -> dict:
    return {"deleted": retention.one_time_codes_purge()}


@periodic_task()
def purge_login_throttles() -> dict:
    return {"deleted": retention.login_throttles_purge()}
