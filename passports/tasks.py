"""Background work of passports: the periodic jobs on Celery beat (CELERY_BEAT_SCHEDULE) and the
refund's gateway steps, which a request enqueues on commit. Thin tasks round the services."""

import logging

from celery import shared_task

from absher.periodic import periodic_task

from . import billing, services, settlement
from .models import Bill

logger = logging.getLogger(__name__)

#: Waits between the tries of a refund the gateway did not answer: seconds, then minutes. After the
#: last, the reconciliation (every 5 minutes, billing.bills_refund_resume) keeps asking with the same key.
REFUND_RETRY_DELAYS = (10, 60, 300, 900)


@periodic_task()
def send_expiry_reminders() -> dict:
    return {"sent": services.expiry_reminders_send()}


@periodic_task()
def reconcile_payments() -> dict:
    counts = settlement.payments_reconcile()
    refunds = counts.refunds
    return {"confirmed": counts.confirmed, "closed": counts.closed, "waiting": counts.waiting,
            "mismatched": counts.mismatched, "unreachable": counts.unreachable,
            "refunded": refunds.refunded, "refund_declined": refunds.declined, "refund_pending": refunds.pending}


def bill_refund_enqueue(bill_id: int) -> None:
    """Hand the refund's gateway steps to the workers (on the commit of step 1). A broker that cannot
    be reached fails no page: the bill stays `refund_pending` and the reconciliation finishes it."""
    from kombu.exceptions import OperationalError

    try:
        bill_refund_complete.delay(bill_id)
    except (OperationalError, OSError) as exc:
        logger.warning("refund of bill #%s not enqueued (%s): the reconciliation will finish it", bill_id,
                       type(exc).__name__)


@shared_task(bind=True, max_retries=len(REFUND_RETRY_DELAYS))
def bill_refund_complete(self, bill_id: int):
    """Steps 2 and 3 of a refund the citizen asked for (billing.bill_refund_request enqueues it on commit).

    Safe to run twice: the gateway refunds once per idempotency key, and step 3 moves only the
    refund under way with that key. A gateway that does not answer is asked again after a growing wait.
    """
    bill = Bill.objects.filter(pk=bill_id).first()
    if bill is None:
        return "gone"
    answer = billing.bill_refund_complete(bill=bill)
    if answer is None:
        return "not_pending"
    if answer.outcome == billing.UNKNOWN:
        tries = self.request.retries
        if tries < len(REFUND_RETRY_DELAYS):
            # Returned, not raised: a worker queues the next try and ends this one; run eagerly
            # (development, unit tests), the next try follows at once instead of raising Retry.
            return self.retry(countdown=REFUND_RETRY_DELAYS[tries], throw=False)
        logger.warning("refund of bill %s still unanswered after %d tries: left to the reconciliation",
                       bill.number, tries + 1)
    return answer.outcome
