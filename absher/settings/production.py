"""Production: every secret from the environment, with no default; HTTPS only."""

import environ

from .base import *  # noqa: F403
from .base import DATABASES, REDIS_URL, env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
OTP_HMAC_KEY = env("OTP_HMAC_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
DATABASES = {**DATABASES, "default": env.db("DATABASE_URL")}  # the replica (base.py), when there is one, stays
for _alias in DATABASES:
    DATABASES[_alias]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
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
SECURE_HSTS_SECONDS = 63072000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-absher_session"
# Sessions are read from the cache only when it is the one Redis every process shares (base.py,
# "Sessions"): each process's own memory would go on serving a session another process has ended.
if not REDIS_URL:
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
CSRF_COOKIE_NAME = "__Host-csrftoken"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
