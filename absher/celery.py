"""The Celery app: background work on Redis (DESIGN.md, "Outside effects leave through one pipeline").

Configured from Django's settings (the CELERY_* names in absher/settings/base.py); each app's
`tasks.py` is found by autodiscovery. Without CELERY_BROKER_URL (development, unit tests) tasks
run eagerly in the calling process, so nothing more needs to be installed or started.

    celery -A absher worker -l INFO      # delivers the messages and runs what beat sends
    celery -A absher beat -l INFO        # the periodic work (CELERY_BEAT_SCHEDULE), one process only
"""

import os
from pathlib import Path

from celery import Celery
from celery.beat import PersistentScheduler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "absher.settings.dev")


class BeatScheduler(PersistentScheduler):
    """Celery's file-backed beat scheduler, which makes the folder of its file first (var/ on a fresh clone)."""

    def setup_schedule(self):
        Path(self.schedule_filename).parent.mkdir(parents=True, exist_ok=True)
        super().setup_schedule()


app = Celery("absher")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
