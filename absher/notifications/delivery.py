"""Delivery of outbox messages: what the Celery tasks run (tasks.py is a thin wrapper round this).

One message, one task (GOV.UK Notify's `deliver_sms`). `message_deliver(message_id=...)`:

1. **Claims** the row with one conditional UPDATE: `created` or `temporary-failure` (or
   `sending` whose lease ran out: its worker died) becomes `sending`, with `attempts + 1` and a
   lease (NOTIFY_LEASE). A task that runs twice, or a duplicate that the sweeper or the broker
   enqueued, finds nothing to claim and sends nothing. Only the claimed row is sent.
2. Refuses a code past its lifetime (`expired`, text wiped) and opens the encrypted text.
3. Calls the gateway once, with a timeout (NOTIFY_GATEWAY_TIMEOUT).
4. **Records** the outcome with a conditional UPDATE that holds only while the claim is still
   this attempt's (`sending`, same `attempts`), wiping a code's encrypted text: `delivered` (or
   `sent` when the gateway sends receipts), `permanent-failure` when the gateway refuses for
   good, else `temporary-failure` with the next attempt after the next of NOTIFY_RETRY_DELAYS
   (the task enqueues it with that countdown), `expired` when that would be past the code's
   lifetime, and `dead-letter` after the last one. Every attempt is kept in `history`.

Exactly once towards the gateway cannot be had: a worker that dies after the gateway accepted
a message and before step 4 leaves the row `sending`. As GOV.UK Notify does, the pipeline then
prefers delivering twice to never delivering: the claim's lease runs out, the sweeper enqueues
the message again and the next claim sends it again (a code only while it is still valid). The
window is narrowed by the gateway's receipt: the Twilio backend names the row in its
StatusCallback URL, so a receipt that arrives before the lease runs out records the message as
`sent`/`delivered` (views.twilio_status) and the sweeper leaves it alone. This is the one case
that can send twice; a task run twice, a lost broker message, a retry enqueued twice or a worker
killed before the gateway answered all send once.
"""

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from absher.sms import SmsDeliveryError, SmsMessage, SmsRejected, gateway_timeout, get_backend

from . import crypto
from .models import CLAIMABLE, FINAL, Channel, MessageStatus, OutboxMessage

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    #: The row's status after this run, or "skipped" (nothing to claim) / "superseded" (the claim was lost).
    status: str
    #: Seconds until the next attempt, when one is due.
    retry_in: int | None = None


def retry_delays() -> tuple[int, ...]:
    return tuple(int(delay) for delay in settings.NOTIFY_RETRY_DELAYS)


def max_attempts() -> int:
    return 1 + len(retry_delays())


def lease() -> timedelta:
    return settings.NOTIFY_LEASE


def _claimable(now: datetime) -> Q:
    return Q(status__in=CLAIMABLE) | Q(status=MessageStatus.SENDING, lease_until__lt=now)


def _claim(message_id: int, now: datetime) -> OutboxMessage | None:
    until = now + lease()
    claimed = (
        OutboxMessage.objects.filter(pk=message_id)
        .filter(_claimable(now))
        .update(status=MessageStatus.SENDING, lease_until=until, attempts=F("attempts") + 1, updated_at=now)
    )
    if not claimed:
        return None
    # Our claim is the row `sending` with our lease; anyone else's (after ours ran out) is not.
    return OutboxMessage.objects.filter(pk=message_id, status=MessageStatus.SENDING, lease_until=until).first()


def _record(message: OutboxMessage, status: str, now: datetime, *, error: str = "", retry_in: int | None = None,
            reference: str | None = None) -> Outcome:
    """The outcome of this attempt, if the claim is still ours; a code's text is wiped unless it is retried."""
    entry = {"at": now.isoformat(), "attempt": message.attempts, "status": status}
    if error:
        entry["error"] = error
    if retry_in is not None:
        entry["retry_in"] = retry_in
    fields = {
        "status": status,
        "lease_until": None,
        "updated_at": now,
        "history": [*message.history, entry],
        "next_attempt_at": now + timedelta(seconds=retry_in) if retry_in is not None else None,
    }
    if error:
        fields["last_error"] = error[:200]
    if status != MessageStatus.TEMPORARY_FAILURE:
        fields["body_sealed"] = ""
    if status in FINAL:
        fields["finished_at"] = now
    if reference is not None:
        fields["provider_reference"] = reference[:64]
        fields["sent_at"] = now
    updated = OutboxMessage.objects.filter(
        pk=message.pk, status=MessageStatus.SENDING, attempts=message.attempts
    ).update(**fields)
    if not updated:
        # A receipt, or a claim after our lease ran out, got there first: theirs is the record.
        return Outcome("superseded")
    return Outcome(status, retry_in)


def _failed_for_now(message: OutboxMessage, now: datetime, error: str) -> Outcome:
    delays = retry_delays()
    if message.attempts > len(delays):
        return _record(message, MessageStatus.DEAD_LETTER, now, error=error)
    delay = delays[message.attempts - 1]
    if message.expires_at is not None and now + timedelta(seconds=delay) >= message.expires_at:
        # The next try would come after the code's end: the page the citizen is on says so.
        return _record(message, MessageStatus.EXPIRED, now, error=f"{error}; not sent within the code's lifetime")
    return _record(message, MessageStatus.TEMPORARY_FAILURE, now, error=error, retry_in=delay)


def _hand_over(message: OutboxMessage, body: str) -> tuple[str, bool]:
    """Give the message to its gateway: (the gateway's reference, whether a receipt will follow)."""
    if message.channel == Channel.EMAIL:
        from django.core.mail import EmailMessage, get_connection

        try:
            EmailMessage(
                subject=message.subject_line, body=body, to=[message.recipient],
                connection=get_connection(timeout=gateway_timeout()),
            ).send()
        except smtplib.SMTPRecipientsRefused as exc:
            raise SmsRejected("the mail server refused the recipient") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise SmsDeliveryError(f"mail server error ({type(exc).__name__})") from exc
        return "", False
    backend = get_backend()
    reference = backend.send(SmsMessage(to=message.recipient, body=body, reference=str(message.pk)))
    return reference or "", bool(getattr(backend, "receipts", False))


def message_deliver(*, message_id: int) -> Outcome:
    """Claim one message, send it once, record what came of it (see the module's docstring)."""
    now = timezone.now()
    message = _claim(message_id, now)
    if message is None:
        return Outcome("skipped")
    if message.expires_at is not None and now >= message.expires_at:
        return _record(message, MessageStatus.EXPIRED, now, error="the code expired before it could be sent")
    try:
        body = crypto.open_sealed(message.body_sealed) if message.secret else message.body
    except crypto.InvalidToken:
        return _record(message, MessageStatus.TECHNICAL_FAILURE, now, error="the encrypted text could not be opened")
    if not body:
        return _record(message, MessageStatus.TECHNICAL_FAILURE, now, error="no text to send")
    try:
        reference, receipts = _hand_over(message, body)
    except SmsRejected as exc:
        return _record(message, MessageStatus.PERMANENT_FAILURE, timezone.now(), error=str(exc))
    except SmsDeliveryError as exc:
        return _failed_for_now(message, timezone.now(), str(exc))
    except Exception as exc:  # a timeout the backend did not wrap, the task's soft time limit, a bug
        # Only the class: an exception's text may quote the message, and a code never reaches a log.
        logger.warning("outbox message %s: gateway call failed with %s", message.pk, type(exc).__name__)
        return _failed_for_now(message, timezone.now(), f"unexpected {type(exc).__name__}")
    status = MessageStatus.SENT if receipts else MessageStatus.DELIVERED
    return _record(message, status, timezone.now(), reference=reference)


# --- receipts ------------------------------------------------------------------------------

#: Twilio's MessageStatus in a receipt → ours. `undelivered`: the carrier could not deliver it;
#: `failed`: Twilio could not send it. Both end the message (staff may resend one without a code).
TWILIO_STATUSES = {
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.DELIVERED,
    "undelivered": MessageStatus.PERMANENT_FAILURE,
    "failed": MessageStatus.TECHNICAL_FAILURE,
}


def receipt_record(*, message_id: int, provider_reference: str, provider_status: str, error_code: str = "") -> bool:
    """A gateway's (signed) receipt for one message. True when it changed the row.

    Idempotent: a receipt moves a message forward only (`sending` → `sent` → an end; a row that
    failed for now may still learn that the gateway had it), so a replay, or a late `sent` after
    `delivered`, changes nothing. A receipt for a row still `sending` is the crash window of
    delivery.py: the gateway has the message, so it is not sent again.
    """
    status = TWILIO_STATUSES.get((provider_status or "").lower())
    if status is None:  # queued, accepted, sending...: nothing we record
        return False
    now = timezone.now()
    if status == MessageStatus.SENT:
        moving_from = [MessageStatus.SENDING, MessageStatus.TEMPORARY_FAILURE]
    elif status == MessageStatus.DELIVERED:
        moving_from = [MessageStatus.SENDING, MessageStatus.SENT, MessageStatus.TEMPORARY_FAILURE]
    else:
        moving_from = [MessageStatus.SENDING, MessageStatus.SENT]
    with transaction.atomic():
        row = (
            OutboxMessage.objects.select_for_update()
            .filter(pk=message_id, status__in=moving_from)
            .filter(Q(provider_reference="") | Q(provider_reference=provider_reference))
            .first()
        )
        if row is None:
            return False
        entry = {"at": now.isoformat(), "receipt": provider_status[:30]}
        if error_code:
            entry["error"] = error_code[:30]
        fields = {
            "status": status, "provider_reference": provider_reference[:64], "provider_status": provider_status[:30],
            "body_sealed": "", "lease_until": None, "next_attempt_at": None, "updated_at": now,
            "history": [*row.history, entry],
        }
        if status in FINAL:
            fields["finished_at"] = now
        if status in (MessageStatus.PERMANENT_FAILURE, MessageStatus.TECHNICAL_FAILURE):
            fields["last_error"] = f"gateway receipt: {provider_status} {error_code}".strip()[:200]
        if row.sent_at is None:
            fields["sent_at"] = now
        OutboxMessage.objects.filter(pk=row.pk).update(**fields)
    return True


# --- the sweeper -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepCounts:
    expired: int
    dead_letter: int
    requeued: int
    no_receipt: int = 0


def outbox_sweep(*, now: datetime | None = None, batch: int = 500) -> SweepCounts:
    """What a crash or a lost broker message left behind (the periodic task, every minute).

    Codes past their lifetime that were never handed over become `expired` (text wiped); rows past
    the last retry become `dead-letter`; rows stuck `created` (NOTIFY_REQUEUE_AFTER after their
    commit), `sending` past their lease (a dead worker) or `temporary-failure` well past their next
    attempt (a lost retry) are enqueued again. Safe to run twice at once: every change is a
    conditional UPDATE, and a message enqueued twice is claimed once.
    """
    now = now or timezone.now()
    stale_claim = Q(status=MessageStatus.SENDING, lease_until__lt=now)
    ended = {"lease_until": None, "next_attempt_at": None, "body_sealed": "", "finished_at": now, "updated_at": now}
    expired = (
        OutboxMessage.objects.filter(expires_at__lte=now)
        .filter(Q(status__in=CLAIMABLE) | stale_claim)
        .update(status=MessageStatus.EXPIRED, last_error="the code expired before it could be sent", **ended)
    )
    dead = (
        OutboxMessage.objects.filter(attempts__gte=max_attempts())
        .filter(Q(status=MessageStatus.TEMPORARY_FAILURE) | stale_claim)
        .update(status=MessageStatus.DEAD_LETTER, **ended)
    )
    # Handed over, but the gateway never sent its receipt: as GOV.UK Notify does after 72 hours,
    # the outcome is unknown for good (a technical failure staff can see), never left "sent" forever.
    no_receipt = OutboxMessage.objects.filter(
        status=MessageStatus.SENT, sent_at__lt=now - settings.NOTIFY_RECEIPT_TIMEOUT
    ).update(status=MessageStatus.TECHNICAL_FAILURE, last_error="no receipt from the gateway in time", **ended)
    late = now - settings.NOTIFY_REQUEUE_AFTER
    stuck = list(
        OutboxMessage.objects.filter(
            Q(status=MessageStatus.CREATED, created_at__lt=late)
            | stale_claim
            | Q(status=MessageStatus.TEMPORARY_FAILURE, next_attempt_at__lt=late)
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:batch]
    )
    from .services import enqueue

    for pk in stuck:
        enqueue(pk)
    return SweepCounts(expired=expired, dead_letter=dead, requeued=len(stuck), no_receipt=no_receipt)


def outbox_purge(*, now: datetime | None = None, days: int | None = None) -> int:
    """Delete the messages finished more than RETENTION_OUTBOX_DAYS ago (they hold mobile numbers
    and texts); the notices the citizen reads and the audit trail stay. Returns how many."""
    from absher.periodic import delete_in_batches

    now = now or timezone.now()
    keep = timedelta(days=settings.RETENTION_OUTBOX_DAYS if days is None else days)
    return delete_in_batches(OutboxMessage.objects.filter(status__in=FINAL, finished_at__lt=now - keep))
