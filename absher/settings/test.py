"""Tests: fast hasher, in-memory SMS and cache, media in a temporary folder, captcha in test mode."""

import os
import tempfile

from .base import *  # noqa: F403
from .base import BASE_DIR, MIDDLEWARE, env, with_query_metrics

DEBUG = False
SECRET_KEY = "test-only-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ"
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
DATABASES = {"default": with_query_metrics(env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'test.sqlite3'}"))}
# A replica alias that mirrors default (Django's test mirror), and no router to use it, whatever
# DATABASE_REPLICA_URL says: tests/test_db_router.py turns the router and its middleware on itself.
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS = []
MIDDLEWARE = [name for name in MIDDLEWARE if name != "absher.db_router.ReplicaReadsMiddleware"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SMS_BACKEND = "absher.sms.backends.locmem.SmsBackend"
# Tasks run eagerly, at the commit that enqueues them, whatever the environment says; the worker
# tests (tests/integration) turn this off and start a real worker on Redis.
CELERY_BROKER_URL = "memory://"
CELERY_TASK_ALWAYS_EAGER = True
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
MEDIA_ROOT = tempfile.mkdtemp(prefix="absher-test-media-")
PRIVATE_FILES_ROOT = tempfile.mkdtemp(prefix="absher-test-private-")
CAPTCHA_TEST_MODE = True
FINGERPRINT_READER = "biometrics.readers.simulated.SimulatedReader"
FINGERPRINT_SIMULATOR_ALLOWED = True
OTP_HMAC_KEY = "test-otp-key"
DOCUMENT_SIGNING_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="  # a test key (bytes 0..31)
LANGUAGE_COOKIE_SECURE = False
# Playwright's sync API runs an event loop in the test thread; Django must allow ORM use there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
