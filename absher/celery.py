"""The Celery app: background work on Redis (DESIGN.md, "Outside effects leave through one pipeline").

Configured from Django's settings (the CELERY_* names in absher/settings/base.py); each app's
`tasks.py` is found by autodiscovery. Without CELERY_BROKER_URL (development, unit tests) tasks
run eagerly in the calling process, so nothing more needs to be installed or started.

    celery -A absher worker -l INFO      # delivers the messages and runs what beat sends
    celery -A absher beat -l INFO        # the periodic work (CELERY_BEAT_SCHEDULE), one process only

A task enqueued during a web request carries the request's id in its message headers, and its
run in the worker logs under that id (absher.request_id): the signal handlers at the end.
"""

import os
from pathlib import Path

from celery import Celery, signals
from celery.beat import PersistentScheduler

from . import request_id

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "absher.settings.dev")


class BeatScheduler(PersistentScheduler):
    """Celery's file-backed beat scheduler, which makes the folder of its file first (var/ on a fresh clone)."""

    def setup_schedule(self):
        Path(self.schedule_filename).parent.mkdir(parents=True, exist_ok=True)
        super().setup_schedule()


app = Celery("absher")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.before_task_publish.connect
def _publish_request_id(headers=None, **kwargs):
    """The id of the request (or task) that enqueues a task goes with its message."""
    current = request_id.current_request_id()
    if current and headers is not None:
        headers.setdefault(request_id.HEADER, current)


# The tokens of the ids set for the tasks running in this process, by task id: a task run eagerly
# inside a request (development, tests) puts the request's own id back when it ends.
_tokens = {}


def _header_of(task) -> str | None:
    task_request = getattr(task, "request", None)
    # Celery puts a message's custom headers on the task's request; older versions kept them in
    # request.headers.
    value = getattr(task_request, request_id.HEADER, None) or (getattr(task_request, "headers", None) or {}).get(
        request_id.HEADER
    )
    return request_id.sane(value)


@signals.task_prerun.connect
def _enter_request_id(task_id=None, task=None, **kwargs):
    value = _header_of(task)
    if value and task_id:
        _tokens[task_id] = request_id.activate(value)


@signals.task_postrun.connect
def _leave_request_id(task_id=None, **kwargs):
    token = _tokens.pop(task_id, None)
    if token is not None:
        try:
            request_id.deactivate(token)
        except ValueError:  # ended in another context than it began (a pool's quirk): clear it there
            request_id.activate(None)
