"""Keeping the bills in step with the gateway, whatever the payer's browser does.

- `payment_notification_receive`: the gateway's signed server-to-server notification (the view
  `passports:payment-notification` is a thin wrapper). Checked as passports.payments.signing
  says, then recorded by its id in the same transaction as its effect, so that it takes effect
  exactly once. Answers (JSON `{"status": ...}`):

  * 200 `fulfilled`, `already_fulfilled`, `paid_not_fulfilled`, `not_usable`, `declined`: taken;
  * 200 `duplicate`: this notification id was taken before. A replay, or the gateway retrying
    after losing our answer: nothing changes, and a 2xx stops the retries;
  * 403 `missing_signature`, `bad_signature`, `stale_timestamp`; 400 `malformed`; 413
    `too_large`; 404 `unknown_bill`; 409 `amount_mismatch` (audited for staff): nothing changes.

- `payments_reconcile`: asks the gateway about the bills whose payer was sent to pay more than a
  few minutes ago and that are still unpaid (a notification lost, the tab closed), and confirms
  or closes them; it also finishes the refunds left pending (billing.bills_refund_resume). The
  `reconcile_payments` command runs it; safe to run at any time, and twice.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from absher.audit import audit_record

from . import billing, services
from .exceptions import PaymentGatewayError
from .models import Bill, PaymentNotification
from .payments import DECLINED, PaymentStatus, get_backend, notification_key, signing

logger = logging.getLogger(__name__)

DUPLICATE = "duplicate"
UNKNOWN_BILL = "unknown_bill"
DECLINED_RECORDED = "declined"

#: Reconciliation asks about a payment started this long ago (the payer may still be paying before).
RECONCILE_AFTER = timedelta(minutes=5)
#: An attempt the gateway still knows nothing about after this long is closed (the bill stays payable).
ATTEMPT_LIFETIME = timedelta(days=1)


@dataclass(frozen=True)
class Answer:
    status: str
    http_status: int = 200


class _Mismatch(Exception):
    """Rolls back the notification's record: an amount mismatch is answered, never taken."""


def payment_notification_receive(*, body: bytes, signature: str, client_address: str = "",
                                 now: datetime | None = None) -> Answer:
    """Take one gateway notification (see the module's docstring for the answers)."""
    now = now or timezone.now()
    try:
        notification = signing.verified(body, signature, key=notification_key(), now=now,
                                        window=settings.PAYMENT_NOTIFICATION_WINDOW)
    except signing.NotificationRejected as exc:
        logger.warning("payment notification refused: %s", exc.code)
        return Answer(exc.code, exc.http_status)
    bill = Bill.objects.filter(number=notification.bill_number).select_related("holder", "payer").first()
    if bill is None:
        logger.warning("payment notification for an unknown bill")
        return Answer(UNKNOWN_BILL, 404)
    if PaymentNotification.objects.filter(notification_id=notification.notification_id).exists():
        return Answer(DUPLICATE)
    payment = PaymentStatus(state=notification.status, reference=notification.payment_reference,
                            amount=notification.amount)
    try:
        with transaction.atomic(durable=True):
            # The id first: a second arrival of the same id waits here for the first to commit, then fails.
            record = PaymentNotification.objects.create(
                notification_id=notification.notification_id, bill=bill, status=notification.status,
                payment_reference=notification.payment_reference, outcome="",
                body_sha256=hashlib.sha256(body).hexdigest(),
            )
            if payment.paid:
                confirmation = services.payment_confirm_in_transaction(
                    bill=bill, payment=payment, actor=None, source="gateway_notification", client_address=client_address)
                if confirmation.outcome == services.AMOUNT_MISMATCH:
                    raise _Mismatch()
                outcome = confirmation.outcome
            else:
                billing.bill_payment_attempt_close(bill=bill, gateway_state=DECLINED, client_address=client_address)
                outcome = DECLINED_RECORDED
            record.outcome = outcome
            record.save(update_fields=["outcome"])
    except _Mismatch:
        with transaction.atomic():
            audit_record(action="passport_bill_amount_mismatch", subject=bill.payer, client_address=client_address,
                         bill=bill.number, amount=str(bill.amount), gateway_amount=str(notification.amount),
                         payment_reference=notification.payment_reference, source="gateway_notification")
        return Answer(services.AMOUNT_MISMATCH, 409)
    except IntegrityError:
        if PaymentNotification.objects.filter(notification_id=notification.notification_id).exists():
            return Answer(DUPLICATE)
        raise
    return Answer(outcome)


@dataclass
class ReconcileCounts:
    confirmed: int = 0
    mismatched: int = 0
    closed: int = 0
    waiting: int = 0
    unreachable: int = 0
    refunds: billing.ResumeCounts | None = None


def payments_reconcile(*, now: datetime | None = None, older_than: timedelta = RECONCILE_AFTER,
                       attempt_lifetime: timedelta = ATTEMPT_LIFETIME, batch: int = 500) -> ReconcileCounts:
    """Ask the gateway about unpaid bills whose payment started at least `older_than` ago: a paid one
    is confirmed and its service carried out (once, as from a notification); a declined one, or one
    the gateway still knows nothing about after `attempt_lifetime`, has its attempt closed (it stays
    payable). Then finish the refunds left pending as long."""
    now = now or timezone.now()
    backend = get_backend()
    counts = ReconcileCounts()
    started = (Bill.objects.filter(status=Bill.Status.UNPAID, payment_started_at__lte=now - older_than)
               .select_related("holder", "payer").order_by("payment_started_at", "pk"))
    # A batch per run (the next run takes the rest); read at once, no cursor held across the gateway calls.
    for bill in list(started[:batch]):
        try:
            status = backend.status(bill_number=bill.number)
        except PaymentGatewayError:
            counts.unreachable += 1
            continue
        if status.paid:
            confirmation = services.payment_confirm(bill=bill, payment=status, actor=None, source="reconciliation")
            if confirmation.outcome == services.AMOUNT_MISMATCH:
                counts.mismatched += 1
            else:
                counts.confirmed += 1
        elif status.state == DECLINED or bill.payment_started_at <= now - attempt_lifetime:
            billing.bill_payment_attempt_close(bill=bill, gateway_state=status.state)
            counts.closed += 1
        else:
            counts.waiting += 1
    counts.refunds = billing.bills_refund_resume(now=now, older_than=older_than, batch=batch)
    return counts
