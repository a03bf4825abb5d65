"""Periodic work on Celery beat: every periodic task holds a lock of its own while it runs.

Beat sends each task on its schedule (CELERY_BEAT_SCHEDULE). A run that outlasts its period, a
message delivered twice, a second beat started by mistake: the same work can start twice at
once. `periodic_task` makes a function a shared task that runs only while it holds the task's
lock; a second run at the same time returns at once, `{"skipped": "running elsewhere"}`, and
the next tick does the work. The functions it wraps are idempotent as well (conditional
updates, row locks), so the lock spares work and gateway calls rather than guarding money.

The lock, `exclusive(name)`:
- PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`), released at the end of the
  run or, should the worker die, when its connection closes. Not the transaction-level one
  (`pg_try_advisory_xact_lock`): the work runs several transactions of its own, durable ones
  among them, and calls gateways between them, so there is no one transaction to hold it in.
  (So workers reach PostgreSQL directly or through a session-pooling proxy, never a
  transaction-pooling one, which would give the lock's session to another client.)
- Anything else (SQLite in development, where tasks run eagerly in one process): the cache's
  atomic `add`, with the hard time limit as its lifetime so that a crashed run frees it.
"""

import functools
import hashlib
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)

SKIPPED = {"skipped": "running elsewhere"}


def lock_key(name: str) -> int:
    """The advisory lock's key: a signed 64-bit number from the lock's name (stable across processes)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


@contextmanager
def exclusive(name: str) -> Iterator[bool]:
    """Yields True while this process holds the lock `name`, False when another holds it (then do nothing)."""
    if connection.vendor == "postgresql":
        key = lock_key(name)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            held = bool(cursor.fetchone()[0])
        try:
            yield held
        finally:
            if held:
                try:
                    with connection.cursor() as cursor:
                        cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
                except DatabaseError:
                    # The connection is gone, and the lock went with it.
                    logger.warning("could not release the lock %s: its connection is gone", name)
        return
    cache_key = f"absher:lock:{name}"
    held = cache.add(cache_key, 1, timeout=getattr(settings, "CELERY_TASK_TIME_LIMIT", 300))
    try:
        yield held
    finally:
        if held:
            cache.delete(cache_key)


def periodic_task(*, lock: str | None = None, **options) -> Callable:
    """A shared task (named `module.function`) whose body runs only while it holds its lock.

    `lock` names the lock (default: the task's name); tasks that must not run at the same time
    as each other share one.
    """

    def wrap(func: Callable) -> Callable:
        name = f"{func.__module__}.{func.__name__}"
        lock_name = lock or name

        @functools.wraps(func)
        def run(*args, **kwargs):
            with exclusive(lock_name) as held:
                if not held:
                    logger.info("periodic task %s skipped: another run holds the lock %s", name, lock_name)
                    return dict(SKIPPED)
                result = func(*args, **kwargs)
            logger.info("periodic task %s: %s", name, result)
            return result

        return shared_task(name=name, **options)(run)

    return wrap


def delete_in_batches(queryset, *, batch: int = 5000) -> int:
    """Delete what `queryset` selects, `batch` rows a statement, so that no purge holds a long
    transaction or locks a large table at once. Returns how many rows were deleted."""
    model = queryset.model
    deleted = 0
    while True:
        ids = list(queryset.order_by().values_list("pk", flat=True)[:batch])
        if not ids:
            return deleted
        _total, by_model = model.objects.filter(pk__in=ids).delete()
        deleted += by_model.get(model._meta.label, 0)
