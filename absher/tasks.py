"""Periodic work of the project itself, on Celery beat (CELERY_BEAT_SCHEDULE)."""

from importlib import import_module

from django.conf import settings

from .periodic import periodic_task


@periodic_task()
def clear_sessions() -> dict:
    """What `manage.py clearsessions` does: delete the expired sessions (the database engine keeps them)."""
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
    return {"cleared": True}
