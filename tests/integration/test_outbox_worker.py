"""QUALITY figures 32-34 on the notification pipeline itself (absher.notifications), delivered by a
real worker process: rows written by the services in the test process, committed, handed to
Redis, claimed and sent by `celery -A absher worker`, recorded on the row."""

import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from twilio.request_validator import RequestValidator

from absher.notifications.models import MessageStatus, OutboxMessage
from absher.notifications.services import message_enqueue
from absher.notifications.tasks import outbox_sweep
from accounts import services as account_services
from accounts.models import AccountState, OneTimeCode, OtpPurpose

from .conftest import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

MOBILE = "+966500000201"
BARRIER = "+966599999998"
FINISHED = (MessageStatus.DELIVERED, MessageStatus.SENT, *(
    MessageStatus.PERMANENT_FAILURE, MessageStatus.TECHNICAL_FAILURE, MessageStatus.EXPIRED, MessageStatus.DEAD_LETTER))


class Rollback(Exception):
    pass


def sms(to: str, text: str) -> OutboxMessage:
    """One SMS written through the pipeline's service in its own (committed) transaction."""
    with transaction.atomic():
        return message_enqueue(to=to, language="en", purpose="tests.worker", render=lambda: text)


def row(message) -> OutboxMessage:
    return OutboxMessage.objects.get(pk=message.pk)


def finished(message, worker):
    return wait_for(lambda: row(message).status in FINISHED and row(message), timeout=60,
                    what=f"message {message.pk} to be finished", log=worker.log)


def barrier(gateway, worker, text="barrier"):
    """A message written last and waited for: one worker process takes one message at a time, in
    order, so whatever was queued before it has been taken by then."""
    message = sms(BARRIER, text)
    wait_for(lambda: any(m["body"] == text for m in gateway.sent(BARRIER)), timeout=30, what="the barrier message",
             log=worker.log)
    return message


def test_a_message_written_in_a_transaction_that_rolls_back_is_never_sent(queued, workers, gateway):
    worker = workers.start()
    with pytest.raises(Rollback), transaction.atomic():
        message_enqueue(to=MOBILE, language="en", purpose="tests.worker", render=lambda: "never")
        raise Rollback
    barrier(gateway, worker)
    assert not OutboxMessage.objects.filter(recipient=MOBILE).exists()
    assert gateway.attempts(MOBILE) == [] and gateway.sent(MOBILE) == []


def test_a_gateway_that_fails_twice_then_answers_delivers_once(queued, workers, gateway):
    gateway.faults(fail=2)
    worker = workers.start(ABSHER_WORKER_NOTIFY_RETRY_DELAYS="1,1,1,1")
    message = sms(MOBILE, "third time lucky")
    done = finished(message, worker)
    barrier(gateway, worker)
    assert done.status == MessageStatus.DELIVERED and done.attempts == 3
    assert [entry["status"] for entry in done.history] == [
        MessageStatus.TEMPORARY_FAILURE, MessageStatus.TEMPORARY_FAILURE, MessageStatus.DELIVERED]
    assert len(gateway.attempts(MOBILE)) == 3
    assert [m["body"] for m in gateway.sent(MOBILE)] == ["third time lucky"]


def test_a_worker_killed_in_the_gateway_call_delivers_the_message_once_after_a_restart(queued, workers, gateway):
    """SIGKILL of the whole worker while the gateway call hangs: the row stays `sending`, the broker
    message unacknowledged (acks_late). After the restart Redis hands it over again (visibility
    timeout), the claim's lease has run out, and the message is sent once."""
    gateway.faults(hold_seconds=120)
    first = workers.start(pool="prefork", visibility_timeout=4, ABSHER_WORKER_NOTIFY_LEASE=2)
    message = sms(MOBILE, "after the restart")
    wait_for(lambda: gateway.attempts(MOBILE), timeout=30, what="the gateway call", log=first.log)
    assert row(message).status == MessageStatus.SENDING
    first.kill()
    gateway.faults()
    second = workers.start(pool="prefork", visibility_timeout=4, ABSHER_WORKER_NOTIFY_LEASE=2)
    done = finished(message, second)
    barrier(gateway, second)
    assert done.status == MessageStatus.DELIVERED and done.attempts == 2
    assert [m["body"] for m in gateway.sent(MOBILE)] == ["after the restart"]


def test_a_pool_process_killed_in_the_gateway_call_the_claim_guard_and_the_sweeper_deliver_once(
        queued, workers, gateway):
    """SIGKILL of the pool process: the parent hands the message back at once
    (reject_on_worker_lost); the run it gets finds the row claimed under a live lease and sends
    nothing; once the lease is over, the sweeper (on beat) enqueues it again and it is sent, once."""
    gateway.faults(hold_seconds=120)
    worker = workers.start(pool="prefork", visibility_timeout=3600, ABSHER_WORKER_NOTIFY_LEASE=12,
                           ABSHER_WORKER_SWEEP_EVERY=1)
    message = sms(MOBILE, "claimed once")
    attempt = wait_for(lambda: gateway.attempts(MOBILE), timeout=30, what="the gateway call", log=worker.log)
    gateway.faults()
    worker.kill_child(attempt[0]["pid"])
    wait_for(lambda: "'skipped'" in worker.log(), timeout=30, what="the handed-back run to find the row claimed",
             log=worker.log)
    assert gateway.sent(MOBILE) == [] and row(message).status == MessageStatus.SENDING
    workers.start(beat=True, ABSHER_WORKER_SWEEP_EVERY=1)
    done = finished(message, worker)
    barrier(gateway, worker)
    assert done.status == MessageStatus.DELIVERED and done.attempts == 2
    assert [m["body"] for m in gateway.sent(MOBILE)] == ["claimed once"]


def test_a_code_whose_gateway_is_down_past_its_lifetime_is_never_sent(queued, workers, gateway, user_factory,
                                                                      settings):
    settings.OTP_VALIDITY = timedelta(seconds=6)
    gateway.faults(down=True)
    worker = workers.start(ABSHER_WORKER_NOTIFY_RETRY_DELAYS="1,1,1,1,1,1,1,1,1,1,1,1")
    user = user_factory(state=AccountState.ACTIVE, mobile=MOBILE)
    account_services.otp_challenge_start(user=user, purpose=OtpPurpose.PASSWORD_CHANGE, client_address="192.0.2.50")
    code = OneTimeCode.objects.select_related("message").get(user=user)
    message = code.message
    done = finished(message, worker)
    assert done.status == MessageStatus.EXPIRED and done.body_sealed == "" and done.body == ""
    assert len(gateway.attempts(MOBILE)) >= 2  # it was tried while the code lived
    code.refresh_from_db()
    assert code.delivery == OneTimeCode.Delivery.FAILED  # the code page says so and offers a new one
    # The gateway is back, the code's lifetime is over: nothing sends it any more.
    gateway.faults()
    wait_for(lambda: time.time() > message.expires_at.timestamp(), timeout=10, what="the code's end")
    outbox_sweep.delay()
    barrier(gateway, worker)
    assert gateway.sent(MOBILE) == []
    assert row(message).status == MessageStatus.EXPIRED


def test_a_code_queued_while_no_worker_runs_is_not_sent_after_its_lifetime(queued, workers, gateway, user_factory,
                                                                          settings):
    settings.OTP_VALIDITY = timedelta(seconds=2)
    user = user_factory(state=AccountState.ACTIVE, mobile=MOBILE)
    account_services.otp_challenge_start(user=user, purpose=OtpPurpose.PASSWORD_CHANGE, client_address="192.0.2.50")
    message = OneTimeCode.objects.get(user=user).message
    wait_for(lambda: time.time() > message.expires_at.timestamp(), timeout=10, what="the code's end")
    worker = workers.start()
    done = finished(message, worker)
    barrier(gateway, worker)
    assert done.status == MessageStatus.EXPIRED and done.body_sealed == ""
    assert gateway.attempts(MOBILE) == [] and gateway.sent(MOBILE) == []


TOKEN = "twilio-auth-token-for-the-worker-tests"
BASE = "https://absher.example"


def test_a_replayed_or_unsigned_receipt_changes_nothing(queued, workers, gateway, client, settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.NOTIFY_CALLBACK_BASE_URL = BASE
    worker = workers.start(ABSHER_WORKER_GATEWAY_RECEIPTS=1)
    message = sms(MOBILE, "with a receipt")
    sent = finished(message, worker)
    assert sent.status == MessageStatus.SENT and sent.provider_reference.startswith("TEST-")
    url = f"{reverse('notifications:twilio-status')}?message={message.pk}"

    def post(status, *, signed=True):
        params = {"MessageSid": sent.provider_reference, "MessageStatus": status, "AccountSid": "AC1"}
        headers = {}
        if signed:
            headers["HTTP_X_TWILIO_SIGNATURE"] = RequestValidator(TOKEN).compute_signature(BASE + url, params)
        return client.post(url, params, **headers)

    def state():
        r = row(message)
        return r.status, r.provider_status, r.updated_at, r.history

    assert post("failed", signed=False).status_code == 403
    assert row(message).status == MessageStatus.SENT
    assert post("delivered").status_code == 204
    delivered = state()
    assert delivered[0] == MessageStatus.DELIVERED
    assert post("delivered").status_code == 204  # the same receipt again
    assert post("failed", signed=False).status_code == 403
    assert state() == delivered
