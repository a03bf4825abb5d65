"""The settings of the worker process the worker tests start (tests/integration/conftest.py): the
test settings, with tasks queued on Redis instead of run eagerly, the test database named in the
environment (DATABASE_URL), and SMS through the file backend with faults the test injects."""

import os
from datetime import timedelta
from pathlib import Path

from absher.settings.test import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_URL = os.environ["ABSHER_WORKER_BROKER_URL"]
CELERY_VISIBILITY_TIMEOUT = int(os.environ.get("ABSHER_WORKER_VISIBILITY_TIMEOUT", "3600"))
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    # A short visibility timeout is only useful if the sweep for abandoned messages runs as often.
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
CELERY_IMPORTS = ["tests.integration.tasks_for_tests"]
SMS_BACKEND = "tests.integration.gateway.SmsBackend"
SMS_FILE_PATH = os.environ["ABSHER_WORKER_SMS_FILE"]

# What a test shortens so that it can wait for it (seconds, from the environment).
if os.environ.get("ABSHER_WORKER_NOTIFY_RETRY_DELAYS"):
    NOTIFY_RETRY_DELAYS = tuple(int(s) for s in os.environ["ABSHER_WORKER_NOTIFY_RETRY_DELAYS"].split(","))
if os.environ.get("ABSHER_WORKER_NOTIFY_LEASE"):
    NOTIFY_LEASE = timedelta(seconds=float(os.environ["ABSHER_WORKER_NOTIFY_LEASE"]))
    NOTIFY_REQUEUE_AFTER = NOTIFY_LEASE
# The beat these tests start sends only the outbox's sweeper, this often.
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {"task": "absher.notifications.tasks.outbox_sweep",
                     "schedule": float(os.environ.get("ABSHER_WORKER_SWEEP_EVERY", "60"))},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(Path(SMS_FILE_PATH).with_name("celerybeat-schedule"))
