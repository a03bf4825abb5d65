"""Background work: the Celery set-up (eager without a broker, required in production), the beat
schedule, and the one lock every periodic task holds, so that two runs at once are safe.

The real worker is in tests/integration (marked `worker`)."""

import os
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.checks import run_checks
from django.utils import timezone

from absher import celery_app, periodic
from accounts.models import AccountState, User

from .test_security import ROOT, production_env

pytestmark = pytest.mark.django_db


def registered_tasks() -> set[str]:
    celery_app.loader.import_default_modules()  # what a worker does at start: every app's tasks.py
    return set(celery_app.tasks)


# --- the set-up -------------------------------------------------------------------------------------


def test_without_a_broker_tasks_run_eagerly_and_their_errors_surface():
    assert celery_app.conf.task_always_eager is True
    assert celery_app.conf.task_eager_propagates is True
    assert celery_app.conf.broker_url == "memory://"  # nothing waits for a broker that is not there


def test_a_message_is_acknowledged_only_when_its_task_is_done():
    conf = celery_app.conf
    assert conf.task_acks_late is True and conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_serializer == "json" and conf.accept_content == ["json"]
    assert conf.task_ignore_result is True
    assert conf.task_soft_time_limit < conf.task_time_limit


def test_the_visibility_timeout_outlasts_every_countdown_and_the_time_limit():
    """Redis gives a message nobody acknowledged to another worker after the visibility timeout:
    a countdown longer than it would run the task twice."""
    from passports.tasks import REFUND_RETRY_DELAYS

    timeout = celery_app.conf.broker_transport_options["visibility_timeout"]
    assert timeout > celery_app.conf.task_time_limit
    assert timeout > max(REFUND_RETRY_DELAYS)
    assert timeout > max(settings.NOTIFY_RETRY_DELAYS)  # the outbox's retries: hours at the end


def test_every_scheduled_task_exists_and_runs_in_riyadh_time():
    tasks = registered_tasks()
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert {entry["task"] for entry in schedule.values()} <= tasks
    assert {"accounts.tasks.expire_registrations", "civil_affairs.tasks.sweep_attachments",
            "passports.tasks.send_expiry_reminders", "passports.tasks.reconcile_payments",
            "absher.tasks.clear_sessions", "accounts.tasks.purge_one_time_codes", "accounts.tasks.purge_login_throttles",
            "biometrics.tasks.purge_kiosk_attempts", "biometrics.tasks.resume_dedup_requests",
            "absher.notifications.tasks.outbox_sweep", "absher.notifications.tasks.purge_outbox",
            "absher.tasks.refill_captcha_pool", "devices.tasks.expire_devices"} == {entry["task"] for entry in schedule.values()}
    assert celery_app.conf.timezone == "Asia/Riyadh"
    reminders = schedule["send-expiry-reminders"]["schedule"]
    assert reminders.hour == {9} and reminders.minute == {0}
    assert schedule["expire-registrations"]["schedule"] == timedelta(minutes=5)
    assert schedule["outbox-sweep"]["schedule"] == timedelta(minutes=1)
    # A run the workers could not start before the next is due is dropped, not piled up.
    assert all(entry["options"]["expires"] > 0 for entry in schedule.values())


def test_beat_makes_the_folder_of_its_schedule_file(tmp_path):
    """`celery -A absher beat` on a fresh clone: var/ does not exist yet."""
    from absher.celery import BeatScheduler

    path = tmp_path / "var" / "celerybeat-schedule"
    scheduler = BeatScheduler(app=celery_app, schedule_filename=str(path))
    try:
        assert path.parent.is_dir()
        assert "outbox-sweep" in scheduler.schedule and "expire-registrations" in scheduler.schedule
    finally:
        scheduler.close()


def test_a_deployment_never_runs_tasks_inside_the_request(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert "absher.E010" in {e.id for e in run_checks(include_deployment_checks=True)}
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "memory://"
    assert "absher.E010" in {e.id for e in run_checks(include_deployment_checks=True)}
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/1"
    assert "absher.E010" not in {e.id for e in run_checks(include_deployment_checks=True)}


def _production(**changes):
    env = {k: v for k, v in production_env().items() if k not in {"CELERY_BROKER_URL", "REDIS_URL"}}
    env.update(changes)
    code = ("import django; django.setup(); from absher import celery_app as a; "
            "print(a.conf.broker_url, a.conf.task_always_eager)")
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_production_needs_a_broker_and_takes_the_caches_redis_by_default():
    missing = _production()
    assert missing.returncode != 0 and "CELERY_BROKER_URL" in missing.stderr
    derived = _production(REDIS_URL="redis://cache.internal:6379/0")
    assert derived.returncode == 0, derived.stderr
    assert derived.stdout.split() == ["redis://cache.internal:6379/0", "False"]
    own = _production(REDIS_URL="redis://cache.internal:6379/0", CELERY_BROKER_URL="redis://queue.internal:6379/2")
    assert own.stdout.split() == ["redis://queue.internal:6379/2", "False"]


def test_development_runs_tasks_eagerly_unless_a_broker_is_named():
    env = {k: v for k, v in os.environ.items() if k not in {"CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"}}
    code = ("import django; django.setup(); from absher import celery_app as a; "
            "print(a.conf.task_always_eager, a.conf.broker_url)")
    run = lambda **extra: subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**env, **extra},  # noqa: E731
                                         capture_output=True, text=True, timeout=120)
    assert run(DJANGO_SETTINGS_MODULE="absher.settings.dev").stdout.split() == ["True", "memory://"]
    named = run(DJANGO_SETTINGS_MODULE="absher.settings.dev", CELERY_BROKER_URL="redis://127.0.0.1:6379/5")
    assert named.stdout.split() == ["False", "redis://127.0.0.1:6379/5"]


# --- the lock ---------------------------------------------------------------------------------------


class HeldElsewhere:
    """Holds a lock from another thread (another database connection) until released."""

    def __init__(self, name):
        self.name, self.taken, self.release, self.result = name, threading.Event(), threading.Event(), None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        from django.db import connection

        try:
            with periodic.exclusive(self.name) as held:
                self.result = held
                self.taken.set()
                self.release.wait(30)
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()
        assert self.taken.wait(30)
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join(30)


def test_a_lock_held_elsewhere_is_refused_and_free_again_once_released():
    with HeldElsewhere("tests.lock") as other:
        assert other.result is True
        with periodic.exclusive("tests.lock") as held:
            assert held is False
        with periodic.exclusive("tests.another") as held:
            assert held is True
    with periodic.exclusive("tests.lock") as held:
        assert held is True
    with periodic.exclusive("tests.lock") as held:  # and released after use
        assert held is True


def test_lock_keys_are_stable_64_bit_numbers():
    assert periodic.lock_key("accounts.tasks.expire_registrations") == periodic.lock_key(
        "accounts.tasks.expire_registrations")
    assert periodic.lock_key("a") != periodic.lock_key("b")
    assert -(2**63) <= periodic.lock_key("a") < 2**63


def stale_registration(user_factory):
    user = user_factory(state=AccountState.PENDING_PHONE)
    User.objects.filter(pk=user.pk).update(date_joined=timezone.now() - timedelta(hours=25))
    return user


def test_a_periodic_task_runs_its_service_once_at_a_time(user_factory):
    from accounts.tasks import expire_registrations

    user = stale_registration(user_factory)
    with HeldElsewhere("accounts.tasks.expire_registrations"):
        assert expire_registrations.delay().get() == periodic.SKIPPED  # another run is at it: nothing done
        assert User.objects.filter(pk=user.pk).exists()
    assert expire_registrations.delay().get() == {"expired": 1}
    assert not User.objects.filter(pk=user.pk).exists()
    assert expire_registrations.delay().get() == {"expired": 0}  # idempotent


# --- the project's own periodic work ------------------------------------------------------------------


def test_clear_sessions_deletes_the_expired_ones_only():
    from absher.tasks import clear_sessions

    old, live = SessionStore(), SessionStore()
    old.create()
    live.create()
    Session.objects.filter(session_key=old.session_key).update(expire_date=timezone.now() - timedelta(seconds=1))
    assert clear_sessions.delay().get() == {"cleared": True}
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]


@pytest.mark.parametrize(("name", "keys"), [
    ("accounts.tasks.expire_registrations", {"expired"}),
    ("accounts.tasks.purge_one_time_codes", {"deleted"}),
    ("accounts.tasks.purge_login_throttles", {"deleted"}),
    ("civil_affairs.tasks.sweep_attachments", {"promoted", "deleted"}),
    ("passports.tasks.send_expiry_reminders", {"sent"}),
    ("passports.tasks.reconcile_payments", {"confirmed", "closed", "waiting", "mismatched", "unreachable", "refunded",
                                            "refund_declined", "refund_pending"}),
    ("biometrics.tasks.purge_kiosk_attempts", {"attempts", "match_throttles"}),
    ("biometrics.tasks.resume_dedup_requests", {"requeued"}),
    ("absher.tasks.clear_sessions", {"cleared"}),
    ("devices.tasks.expire_devices", {"expired"}),
])
def test_every_periodic_task_runs_its_service_and_frees_its_lock(name, keys):
    task = celery_app.tasks[name] if name in registered_tasks() else None
    assert task is not None, name
    first = task.delay().get()
    assert set(first) == keys
    assert set(task.delay().get()) == keys  # the lock was released: the second run ran too
