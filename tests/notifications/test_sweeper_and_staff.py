"""The sweeper, the staff's outbox in the admin (filters, resend, never a code) and the outbox's metric."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from absher.models import AuditEvent
from absher.notifications import delivery, selectors, tasks
from absher.notifications.models import MessageStatus, OutboxMessage
from absher.notifications.services import ResendRefused, message_enqueue, message_resend
from accounts.models import AccountState

pytestmark = pytest.mark.django_db


def lost(django_capture_on_commit_callbacks, text="Absher: hello", **fields):
    """A message committed whose broker message was lost: its task never runs."""
    with django_capture_on_commit_callbacks():
        return message_enqueue(to="+966512345600", language="en", purpose="tests.sweep", render=lambda: text, **fields)


@pytest.fixture
def staff(user_factory):
    return user_factory(is_staff=True, is_superuser=True, state=AccountState.ACTIVE, username="Officer2026x")


# --- the sweeper ------------------------------------------------------------------------------


def test_the_sweeper_enqueues_again_what_the_broker_lost_and_it_is_sent_once(django_capture_on_commit_callbacks,
                                                                            sms_outbox, settings):
    message = lost(django_capture_on_commit_callbacks)
    assert delivery.outbox_sweep().requeued == 0  # just written: its task may still come
    with time_machine.travel(timezone.now() + settings.NOTIFY_REQUEUE_AFTER + timedelta(seconds=1)):
        assert delivery.outbox_sweep().requeued == 1
        assert [m.body for m in sms_outbox] == ["Absher: hello"]
        assert tasks.outbox_sweep() == {"expired": 0, "dead_letter": 0, "requeued": 0, "no_receipt": 0}  # again: nothing more
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED and message.attempts == 1


def test_a_claim_is_taken_again_only_once_its_lease_ran_out(django_capture_on_commit_callbacks, sms_outbox):
    message = lost(django_capture_on_commit_callbacks)
    claimed = delivery._claim(message.pk, timezone.now())  # a worker claims it, and dies
    assert delivery.outbox_sweep(now=claimed.lease_until - timedelta(seconds=1)).requeued == 0
    assert sms_outbox == []
    with time_machine.travel(claimed.lease_until + timedelta(seconds=1)):
        assert delivery.outbox_sweep().requeued == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED and message.attempts == 2 and len(sms_outbox) == 1


def test_a_lost_retry_is_enqueued_again_and_the_last_failure_becomes_a_dead_letter(django_capture_on_commit_callbacks,
                                                                                   sms_outbox, settings):
    retry = lost(django_capture_on_commit_callbacks, text="retry me")
    due = timezone.now() - timedelta(hours=1)
    OutboxMessage.objects.filter(pk=retry.pk).update(status=MessageStatus.TEMPORARY_FAILURE, attempts=2,
                                                     next_attempt_at=due)
    last = lost(django_capture_on_commit_callbacks, text="given up")
    OutboxMessage.objects.filter(pk=last.pk).update(status=MessageStatus.TEMPORARY_FAILURE,
                                                    attempts=1 + len(settings.NOTIFY_RETRY_DELAYS), next_attempt_at=due)
    counts = delivery.outbox_sweep()
    assert (counts.dead_letter, counts.requeued) == (1, 1)
    assert [m.body for m in sms_outbox] == ["retry me"]
    last.refresh_from_db()
    assert last.status == MessageStatus.DEAD_LETTER and last.finished_at


# --- staff: the admin, the resend action --------------------------------------------------------


def test_staff_see_the_outbox_filtered_by_status_age_and_purpose_and_never_a_code(client, staff, citizen,
                                                                                  django_capture_on_commit_callbacks):
    import uuid

    from accounts import services as account_services
    from accounts.models import OtpPurpose

    with django_capture_on_commit_callbacks():
        code = account_services.otp_issue(user=citizen, purpose=OtpPurpose.LOGIN, challenge=uuid.uuid4(),
                                          client_address="192.0.2.1")
    dead = lost(django_capture_on_commit_callbacks, text="Absher: your bill is paid")
    OutboxMessage.objects.filter(pk=dead.pk).update(status=MessageStatus.DEAD_LETTER, last_error="gateway down",
                                                    created_at=timezone.now() - timedelta(days=2))
    client.force_login(staff)
    url = reverse("admin:absher_outboxmessage_changelist")
    assert client.get(url).status_code == 200
    for query, expected in [("status__exact=dead-letter", {dead.pk}), ("older_than=1d", {dead.pk}),
                            ("purpose__exact=otp.login", {code.message_id}), ("older_than=7d", set())]:
        page = client.get(f"{url}?{query}")
        assert {row.pk for row in page.context["cl"].result_list} == expected, query
    secret = client.get(reverse("admin:absher_outboxmessage_change", args=[code.message_id]))
    sealed = OutboxMessage.objects.get(pk=code.message_id).body_sealed
    assert secret.status_code == 200 and sealed and sealed not in secret.content.decode()
    shown = client.get(reverse("admin:absher_outboxmessage_change", args=[dead.pk])).content.decode()
    assert "Absher: your bill is paid" in shown and "gateway down" in shown
    assert client.get(reverse("admin:absher_outboxmessage_add")).status_code == 403


def test_the_resend_action_sends_a_failed_message_again_through_the_service(client, staff, sms_outbox,
                                                                           django_capture_on_commit_callbacks):
    dead = lost(django_capture_on_commit_callbacks, text="Absher: your bill is paid")
    OutboxMessage.objects.filter(pk=dead.pk).update(status=MessageStatus.DEAD_LETTER, attempts=7)
    code = lost(django_capture_on_commit_callbacks, secret=True, expires_at=timezone.now() + timedelta(minutes=5))
    OutboxMessage.objects.filter(pk=code.pk).update(status=MessageStatus.EXPIRED, body_sealed="")
    client.force_login(staff)
    url = reverse("admin:absher_outboxmessage_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"action": "resend", "_selected_action": [dead.pk, code.pk]}, follow=True)
    assert response.status_code == 200
    assert [m.body for m in sms_outbox] == ["Absher: your bill is paid"]
    dead.refresh_from_db()
    assert dead.status == MessageStatus.DELIVERED and dead.attempts == 1
    assert dead.history[0]["resent_by"] == staff.pk
    assert AuditEvent.objects.filter(action="message_resent", actor=staff, details__message=dead.pk).count() == 1
    code.refresh_from_db()
    assert code.status == MessageStatus.EXPIRED  # a code is never sent again


def test_resend_refuses_a_code_and_a_message_that_has_not_failed(staff, django_capture_on_commit_callbacks):
    code = lost(django_capture_on_commit_callbacks, secret=True, expires_at=timezone.now() + timedelta(minutes=5))
    with pytest.raises(ResendRefused) as refused:
        message_resend(message=code, actor=staff)
    assert refused.value.code == "carries_code"
    waiting = lost(django_capture_on_commit_callbacks)
    with pytest.raises(ResendRefused) as refused:
        message_resend(message=waiting, actor=staff)
    assert refused.value.code == "not_failed"


def test_a_citizen_never_reaches_the_outbox(client, citizen):
    client.force_login(citizen)
    assert client.get(reverse("admin:absher_outboxmessage_changelist")).status_code in (302, 404)


# --- the metric -----------------------------------------------------------------------------------


def test_outbox_stats_give_the_depth_by_status_and_the_age_of_the_oldest_waiting(django_capture_on_commit_callbacks,
                                                                                  committed):
    empty = selectors.outbox_stats()
    assert empty["pending"] == 0 and empty["oldest_pending_seconds"] is None
    assert set(empty["by_status"]) == set(MessageStatus.values)
    old = lost(django_capture_on_commit_callbacks)
    OutboxMessage.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(minutes=10))
    lost(django_capture_on_commit_callbacks)
    with committed():
        message_enqueue(to="+966512345609", language="en", purpose="tests.ok", render=lambda: "ok")
    dead = lost(django_capture_on_commit_callbacks)
    OutboxMessage.objects.filter(pk=dead.pk).update(status=MessageStatus.DEAD_LETTER)
    stats = selectors.outbox_stats()
    assert stats["by_status"]["created"] == 2 and stats["by_status"]["delivered"] == 1
    assert stats["pending"] == 2 and stats["dead_letter"] == 1
    assert 600 <= stats["oldest_pending_seconds"] < 660


@pytest.mark.parametrize("q", ["abc", "12", "otp.login", "SM1"])
def test_staff_search_the_outbox_by_id_reference_or_purpose(client, staff, q):
    client.force_login(staff)
    assert client.get(reverse("admin:absher_outboxmessage_changelist"), {"q": q}).status_code == 200


def test_a_message_whose_receipt_never_comes_is_a_technical_failure_after_72_hours(django_capture_on_commit_callbacks,
                                                                                    settings):
    message = lost(django_capture_on_commit_callbacks)
    sent_at = timezone.now()
    OutboxMessage.objects.filter(pk=message.pk).update(status=MessageStatus.SENT, sent_at=sent_at, attempts=1)
    assert delivery.outbox_sweep(now=sent_at + settings.NOTIFY_RECEIPT_TIMEOUT).no_receipt == 0
    assert delivery.outbox_sweep(now=sent_at + settings.NOTIFY_RECEIPT_TIMEOUT + timedelta(seconds=1)).no_receipt == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.TECHNICAL_FAILURE and message.finished_at is not None


def test_finished_messages_are_purged_after_the_retention(django_capture_on_commit_callbacks, settings):
    settings.RETENTION_OUTBOX_DAYS = 90
    now = timezone.now()
    old, recent, waiting = (lost(django_capture_on_commit_callbacks, text=t) for t in ("old", "recent", "waiting"))
    OutboxMessage.objects.filter(pk=old.pk).update(status=MessageStatus.DELIVERED, finished_at=now - timedelta(days=91))
    OutboxMessage.objects.filter(pk=recent.pk).update(status=MessageStatus.DELIVERED, finished_at=now - timedelta(days=89))
    OutboxMessage.objects.filter(pk=waiting.pk).update(created_at=now - timedelta(days=200))
    assert delivery.outbox_purge(now=now) == 1
    assert set(OutboxMessage.objects.values_list("pk", flat=True)) == {recent.pk, waiting.pk}
    assert tasks.purge_outbox() == {"deleted": 0}  # again: nothing more
