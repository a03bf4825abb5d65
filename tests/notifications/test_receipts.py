"""Twilio's delivery receipts: only signed, only once (QUALITY 34)."""

import pytest
from django.urls import reverse
from twilio.request_validator import RequestValidator

from absher.notifications import delivery
from absher.notifications.models import MessageStatus, OutboxMessage
from absher.notifications.services import message_enqueue

pytestmark = pytest.mark.django_db

TOKEN = "twilio-auth-token-for-tests"
BASE = "https://absher.example"


@pytest.fixture(autouse=True)
def twilio_settings(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.NOTIFY_CALLBACK_BASE_URL = BASE
    settings.SMS_BACKEND = "tests.notifications.backends.ReceiptsBackend"


@pytest.fixture
def sent(committed):
    """A message Twilio accepted and whose receipt is awaited."""
    with committed():
        message = message_enqueue(to="+966512345600", language="en", purpose="tests.receipt", render=lambda: "hello")
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.provider_reference == f"SM{message.pk}"
    return message


def url_of(message) -> str:
    return f"{reverse('notifications:twilio-status')}?message={message.pk}"


def post_receipt(client, message, status, *, sid=None, signature=None, token=TOKEN, **extra):
    params = {"MessageSid": sid or f"SM{message.pk}", "MessageStatus": status, "AccountSid": "AC1", **extra}
    if signature is None:
        signature = RequestValidator(token).compute_signature(BASE + url_of(message), params)
    headers = {"HTTP_X_TWILIO_SIGNATURE": signature} if signature else {}
    return client.post(url_of(message), params, **headers)


def snapshot(message):
    row = OutboxMessage.objects.get(pk=message.pk)
    return (row.status, row.provider_status, row.updated_at, row.finished_at, row.last_error, row.history)


def test_a_signed_receipt_records_the_delivery(client, sent):
    response = post_receipt(client, sent, "delivered")
    assert response.status_code == 204
    sent.refresh_from_db()
    assert sent.status == MessageStatus.DELIVERED and sent.provider_status == "delivered" and sent.finished_at
    assert sent.history[-1]["receipt"] == "delivered"


@pytest.mark.parametrize(("twilio", "ours"), [
    ("undelivered", MessageStatus.PERMANENT_FAILURE), ("failed", MessageStatus.TECHNICAL_FAILURE)])
def test_a_signed_failure_receipt_ends_the_message_and_says_why(client, sent, twilio, ours):
    assert post_receipt(client, sent, twilio, ErrorCode="30003").status_code == 204
    sent.refresh_from_db()
    assert sent.status == ours and "30003" in sent.last_error


@pytest.mark.parametrize("signature", ["", "bad-signature", "forged-with-another-token"])
def test_an_unsigned_or_badly_signed_receipt_is_refused_and_changes_nothing(client, sent, signature):
    before = snapshot(sent)
    if signature == "forged-with-another-token":
        response = post_receipt(client, sent, "delivered", token="not-the-token")
    else:
        response = post_receipt(client, sent, "delivered", signature=signature)
    assert response.status_code == 403
    assert snapshot(sent) == before and before[0] == MessageStatus.SENT


def test_a_receipt_signed_for_another_message_does_not_move_this_one(client, sent, committed):
    with committed():
        other = message_enqueue(to="+966512345601", language="en", purpose="tests.receipt", render=lambda: "other")
    params = {"MessageSid": f"SM{other.pk}", "MessageStatus": "failed"}
    signature = RequestValidator(TOKEN).compute_signature(BASE + url_of(other), params)
    before = snapshot(sent)
    # The signature covers the URL that names the message: moved to another message's URL, it no longer holds.
    assert client.post(url_of(sent), params, HTTP_X_TWILIO_SIGNATURE=signature).status_code == 403
    assert snapshot(sent) == before


def test_a_replayed_receipt_changes_nothing(client, sent):
    assert post_receipt(client, sent, "delivered").status_code == 204
    after_first = snapshot(sent)
    for status in ("delivered", "sent", "failed", "undelivered"):  # a replay, a late or contradictory one
        assert post_receipt(client, sent, status).status_code == 204
    assert snapshot(sent) == after_first and after_first[0] == MessageStatus.DELIVERED


def test_a_receipt_with_another_sid_than_the_recorded_one_changes_nothing(client, sent):
    before = snapshot(sent)
    assert post_receipt(client, sent, "failed", sid="SMsomeoneelse").status_code == 204
    assert snapshot(sent) == before


def test_the_callback_answers_post_only_and_needs_no_csrf_token(client, sent):
    assert client.get(url_of(sent)).status_code == 405
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert post_receipt(strict, sent, "delivered").status_code == 204


def test_a_receipt_for_a_message_whose_worker_died_after_the_hand_over_keeps_it_from_being_sent_again(
        client, django_capture_on_commit_callbacks, sms_outbox):
    """The one window exactly-once cannot close (delivery.py): the gateway has the message, the row says `sending`."""
    with django_capture_on_commit_callbacks():
        message = message_enqueue(to="+966512345600", language="en", purpose="tests.crash", render=lambda: "once",
                                  )
    claimed = delivery._claim(message.pk, delivery.timezone.now())
    assert claimed.status == MessageStatus.SENDING  # ... the gateway accepts it, and the worker dies here
    assert post_receipt(client, message, "sent").status_code == 204
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.provider_reference == f"SM{message.pk}"
    counts = delivery.outbox_sweep(now=message.updated_at + delivery.lease() * 2)
    assert counts.requeued == 0 and sms_outbox == []
    assert post_receipt(client, message, "delivered").status_code == 204
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED


@pytest.mark.parametrize("junk", ["", "abc", "²", "１２", "9" * 30, "-1"])
def test_a_signed_receipt_that_names_no_message_of_ours_changes_nothing(client, sent, junk):
    from urllib.parse import urlencode

    url = f"{reverse('notifications:twilio-status')}?{urlencode({'message': junk})}"  # as Twilio calls it
    params = {"MessageSid": f"SM{sent.pk}", "MessageStatus": "failed"}
    signature = RequestValidator(TOKEN).compute_signature(BASE + url, params)
    before = snapshot(sent)
    assert client.post(url, params, HTTP_X_TWILIO_SIGNATURE=signature).status_code == 204
    assert snapshot(sent) == before
