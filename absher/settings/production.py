"""Production: every secret from the environment, with no default; HTTPS only."""

import environ

from .base import *  # noqa: F403
from .base import LOGGING, REDIS_URL, env, with_query_metrics

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
OTP_HMAC_KEY = env("OTP_HMAC_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
DATABASES = {"default": with_query_metrics(env.db("DATABASE_URL"))}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
SMS_BACKEND = env("SMS_BACKEND", default="absher.sms.backends.twilio.SmsBackend")
MALWARE_SCANNER = env("MALWARE_SCANNER", default="civil_affairs.scanning.ClamdScanner")
FINGERPRINT_KEY = env("FINGERPRINT_KEY")
PAYMENT_NOTIFICATION_KEY = env("PAYMENT_NOTIFICATION_KEY")
NOTIFY_ENCRYPTION_KEY = env("NOTIFY_ENCRYPTION_KEY")
# Outside effects leave through the workers: a broker is required (the cache's Redis by default; better a
# database of its own with maxmemory-policy noeviction, so that no queued message is ever evicted).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or environ.Env.NOTSET)
CELERY_TASK_ALWAYS_EAGER = False
# Only a demo deployment runs the simulated payment gateway (deploy check passports.E004).
PAYMENT_SIMULATOR_ALLOWED = env.bool("PAYMENT_SIMULATOR_ALLOWED", default=False)
FINGERPRINT_READER = env("FINGERPRINT_READER", default="biometrics.readers.agent.KioskAgentReader")
# No default: the hand-written matcher is unproven on real fingers, so a deployment names its
# matcher; left unset (None), the deploy check biometrics.E005 fails.
FINGERPRINT_MATCHER = env("FINGERPRINT_MATCHER", default=None)

SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The probes and the metrics scrape come over plain http from inside (an orchestrator, Prometheus),
# not through the proxy that terminates TLS: they get their answer, not a redirect to https.
SECURE_REDIRECT_EXEMPT = [r"^health/(live|ready)/$", r"^metrics$"]
SECURE_HSTS_SECONDS = 63072000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-absher_session"
CSRF_COOKIE_NAME = "__Host-csrftoken"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# One JSON object a line for the log aggregator, with the request's id (absher.logging.JsonFormatter).
LOG_FORMAT = env("DJANGO_LOG_FORMAT", default="json")
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT

# Error tracking: only when SENTRY_DSN is set (absher/sentry.py says what is sent, and what never is).
SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN:
    from absher.sentry import init_sentry

    init_sentry(
        dsn=SENTRY_DSN,
        environment=env("SENTRY_ENVIRONMENT", default="production"),
        release=env("SENTRY_RELEASE", default="") or None,
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )
