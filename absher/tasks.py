"""Periodic work of the project itself, on Celery beat (CELERY_BEAT_SCHEDULE)."""

from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .periodic import periodic_task


@periodic_task()
def clear_sessions() -> dict:
    """What `manage.py clearsessions` does: delete the expired sessions (the database engine keeps them)."""
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
    return {"cleared": True}


@periodic_task()
def refill_captcha_pool() -> dict:
    """Tops the captcha pool up to CAPTCHA_POOL_SIZE challenges that can still be shown (with at
    least CAPTCHA_GET_FROM_POOL_TIMEOUT minutes left), then deletes the expired ones: with the pool
    on, django-simple-captcha no longer deletes them when a form is checked."""
    from captcha.models import CaptchaStore

    showable = timezone.now() + timedelta(minutes=settings.CAPTCHA_GET_FROM_POOL_TIMEOUT)
    missing = settings.CAPTCHA_POOL_SIZE - CaptchaStore.objects.filter(expiration__gt=showable).count()
    if missing > 0:
        with transaction.atomic():
            CaptchaStore.create_pool(missing)
    CaptchaStore.remove_expired()
    return {"made": max(missing, 0)}
