"""Settings of bench/notifications.py's processes (gunicorn, the Celery worker, the bench itself):
the test settings (fast hasher, captcha in test mode), PostgreSQL from DATABASE_URL, the broker on
a Redis database of the bench's own, SMS to the fake HTTP gateway, and the code caps lifted so that
one session can ask for a new code again and again."""

import os
from datetime import timedelta

from absher.settings.test import *  # noqa: F403

ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
CAPTCHA_TEST_MODE = False  # the bench makes its registration through the service, not the form
CELERY_BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/7")
# BENCH_EAGER=1: the control, tasks run inside the request (as the portal did before the queue).
CELERY_TASK_ALWAYS_EAGER = bool(os.environ.get("BENCH_EAGER"))
SMS_BACKEND = "bench.notifications_gateway.SmsBackend"
BENCH_GATEWAY_URL = os.environ.get("BENCH_GATEWAY_URL", "")
# Longer than the slow gateway's answer: the worker waits for it rather than retrying.
NOTIFY_GATEWAY_TIMEOUT = 30.0
OTP_RESEND_COOLDOWN = timedelta(0)
OTP_MAX_PER_MOBILE_15_MIN = OTP_MAX_PER_MOBILE_DAY = OTP_MAX_PER_ADDRESS_HOUR = 10**9
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
