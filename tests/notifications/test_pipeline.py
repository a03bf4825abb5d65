"""The outbox: written in the caller's transaction, sent by a task after the commit, once (QUALITY 31, 32)."""

import threading
from functools import partial

import pytest
from django.core import mail
from django.db import connection, transaction

from absher.notifications import delivery, tasks, texts
from absher.notifications.models import MessageStatus, Notice, OutboxMessage
from absher.notifications.services import message_enqueue, notify
from absher.sms.backends import locmem
from tests.conftest import require_postgres

from . import backends

pytestmark = pytest.mark.django_db

texts.register("tests", notice=lambda kind, params: f"notice {kind} {params.get('n', '')}",
               sms=lambda kind, params: f"Absher test: {kind} {params.get('n', '')}")


def enqueue_sms(to="+966512345600", text="Absher: hello", **fields):
    return message_enqueue(to=to, language="en", purpose="tests.hello", render=lambda: text, **fields)


def test_a_rolled_back_transaction_leaves_no_row_and_sends_nothing(citizen, committed, sms_outbox):
    with committed() as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        notify(user=citizen, source="tests", kind="ping", params={"n": 1})
        enqueue_sms()
        raise RuntimeError("a fault after the service")
    assert callbacks == []
    assert not OutboxMessage.objects.exists() and not Notice.objects.exists()
    assert sms_outbox == []


def test_a_committed_message_is_delivered_once_by_the_task(citizen, committed, sms_outbox):
    with committed() as callbacks:
        notice = notify(user=citizen, source="tests", kind="ping", params={"n": 7})
        message = OutboxMessage.objects.get()
        # Nothing leaves before the commit: the row waits, `created`.
        assert message.status == MessageStatus.CREATED and sms_outbox == []
    assert len(callbacks) == 1
    assert [(m.to, m.body) for m in sms_outbox] == [(citizen.mobile, "Absher test: ping 7")]
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED and message.attempts == 1
    assert message.provider_reference == "LM1" and message.sent_at and message.finished_at
    assert message.purpose == "tests.ping" and message.user == citizen and message.language == "en"
    assert [entry["status"] for entry in message.history] == ["delivered"]
    assert notice.text == "notice ping 7" and notice.read_at is None


def test_the_request_only_enqueues_the_task_never_calls_the_gateway(citizen, committed, sms_outbox, monkeypatch):
    """What a worker would get: the message's id, after the commit; the gateway is the task's business."""
    handed = []
    monkeypatch.setattr(tasks.send_message, "delay", lambda message_id: handed.append(message_id))
    with committed():
        notify(user=citizen, source="tests", kind="ping")
    message = OutboxMessage.objects.get()
    assert handed == [message.pk] and sms_outbox == [] and message.status == MessageStatus.CREATED


def test_a_gateway_that_fails_twice_is_retried_with_growing_delays_and_delivers_once(committed, sms_outbox, settings,
                                                                                     monkeypatch):
    locmem.fail_next.extend([True, True])
    scheduled = []
    original = tasks.send_message.apply_async

    def spy(args=None, kwargs=None, countdown=None, **options):
        scheduled.append(countdown)  # with a worker, the broker holds the retry this long
        return original(args=args, kwargs=kwargs, countdown=countdown, **options)

    monkeypatch.setattr(tasks.send_message, "apply_async", spy)
    with committed():
        message = enqueue_sms()
    message.refresh_from_db()
    delays = list(settings.NOTIFY_RETRY_DELAYS[:2])
    # Enqueued at the commit, then again after each failure, with the next delay as its countdown.
    assert scheduled == [None, *delays] and delays[0] < delays[1]
    assert [(entry["status"], entry.get("retry_in")) for entry in message.history] == [
        ("temporary-failure", delays[0]), ("temporary-failure", delays[1]), ("delivered", None)]
    assert message.status == MessageStatus.DELIVERED and message.attempts == 3
    assert message.last_error == "simulated gateway failure"
    assert [m.body for m in sms_outbox] == ["Absher: hello"]


def test_the_retry_delays_grow_from_seconds_to_hours_and_end_in_a_dead_letter(committed, sms_outbox, settings, gateway_down):
    delays = list(settings.NOTIFY_RETRY_DELAYS)
    assert delays == sorted(delays) and delays[0] < 60 and delays[-1] >= 3600
    with committed():
        message = enqueue_sms()
    message.refresh_from_db()
    assert message.status == MessageStatus.DEAD_LETTER and message.attempts == 1 + len(delays)
    assert [entry.get("retry_in") for entry in message.history] == [*delays, None]
    assert sms_outbox == [] and message.finished_at


def test_a_message_the_gateway_refuses_for_good_is_not_retried(committed, sms_outbox):
    locmem.fail_next.append("reject")
    with committed():
        message = enqueue_sms()
    message.refresh_from_db()
    assert message.status == MessageStatus.PERMANENT_FAILURE and message.attempts == 1 and sms_outbox == []


def test_a_task_that_runs_twice_sends_once(committed, sms_outbox):
    with committed():
        message = enqueue_sms()
    assert tasks.send_message.delay(message.pk) is not None  # again, as a redelivered broker message would
    assert tasks.send_message(message.pk) == "skipped"
    assert len(sms_outbox) == 1
    message.refresh_from_db()
    assert message.attempts == 1 and len(message.history) == 1


def test_a_message_claimed_by_a_live_worker_is_not_sent_by_another(django_capture_on_commit_callbacks, sms_outbox):
    with django_capture_on_commit_callbacks():  # enqueued, not yet run
        message = enqueue_sms()
    first = delivery._claim(message.pk, delivery.timezone.now())
    assert first is not None and first.status == MessageStatus.SENDING and first.lease_until
    assert delivery.message_deliver(message_id=message.pk).status == "skipped"
    assert sms_outbox == []
    # The first worker finishes: its outcome holds, once.
    assert delivery._record(first, MessageStatus.DELIVERED, delivery.timezone.now(), reference="X").status == "delivered"
    assert delivery._record(first, MessageStatus.DELIVERED, delivery.timezone.now(), reference="X").status == "superseded"


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_one_message_send_it_once(settings):
    require_postgres("two connections claiming one row at once")
    settings.SMS_BACKEND = "tests.notifications.backends.SlowBackend"
    backends.calls.clear()
    message = OutboxMessage.objects.create(recipient="+966512345600", purpose="tests.race", language="en", body="hi")
    start, outcomes = threading.Barrier(4), []

    def worker():
        try:
            start.wait()
            outcomes.append(delivery.message_deliver(message_id=message.pk).status)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["delivered", "skipped", "skipped", "skipped"]
    assert len(backends.calls) == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED and message.attempts == 1


def test_the_message_is_in_the_recipients_language(user_factory, committed, sms_outbox):
    from django.utils.translation import gettext as _

    arabic = user_factory(preferred_language="ar")
    english = user_factory(preferred_language="en")
    with committed():
        for user in (arabic, english):
            message_enqueue(to=user.mobile, language=user.preferred_language, purpose="tests.lang", render=partial(
                _, "Absher: your account is now active. You can use all e-services."))
    assert sms_outbox[0].body != sms_outbox[1].body
    assert sms_outbox[1].body == "Absher: your account is now active. You can use all e-services."


def test_an_email_goes_through_the_same_path(committed):
    with committed():
        message = message_enqueue(to="citizen@example.com", language="en", purpose="tests.mail", channel="email",
                                  subject_line="Absher", render=lambda: "Your request was approved.")
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED
    assert [(m.to, m.subject, m.body) for m in mail.outbox] == [(["citizen@example.com"], "Absher",
                                                                  "Your request was approved.")]


def test_no_code_path_calls_an_sms_backend_outside_the_delivery_task():
    """Only absher/notifications/delivery.py (run by the task) hands a message to a backend."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    callers = []
    apps = ("absher", "accounts", "civil_affairs", "dependents", "passports", "biometrics")
    for path in (path for app in apps for path in (root / app).rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if "absher.sms" in text and ("get_backend" in text or "SmsMessage" in text) and "sms/" not in path.as_posix():
            callers.append(path.relative_to(root).as_posix())
    assert callers == ["absher/notifications/delivery.py"]
