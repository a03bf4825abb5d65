"""Bills: created for a service that costs money, paid through the payment backend, used once by
the service they pay for, refunded while unused. Each action one transaction with its audit row.

Statuses move only along BILL_MOVES. A refund goes in three steps, each safe to repeat, so that
money is never lost whatever step a crash stops at:

1. `bill_refund_start`: one transaction marks the bill `refund_pending` with an idempotency key;
2. `bill_refund_send`: outside any transaction, the gateway refunds with that key (the same key
   twice refunds once);
3. `bill_refund_finish`: one transaction marks it `refunded`, or `paid` again when the gateway
   refused (then a new refund may be asked for).

The refund page calls `bill_refund_request`: step 1 in the request, then, on commit, the task
`passports.tasks.bill_refund_complete` runs steps 2 and 3 (`bill_refund_complete`) with retries, so
that no request waits on the gateway. `bill_refund` runs the three at once (operators, tests);
`bills_refund_resume` finishes what a crash or a gateway that did not answer left pending (the
reconciliation runs it every few minutes).
"""

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone

from absher.audit import audit_record
from civil_affairs.identity import luhn_check_digit

from . import notifications
from .exceptions import (
    BillAlreadyPaid,
    BillAlreadyUsed,
    BillMoveNotAllowed,
    BillNotPaid,
    BillRefunded,
    BillRefundPending,
    PaymentGatewayError,
    RefundDeclined,
)
from .models import Bill
from .payments import get_backend

S = Bill.Status

#: The bill status table: where each status may go. Anything else is refused (BillMoveNotAllowed).
BILL_MOVES: dict[str, frozenset[str]] = {
    S.UNPAID: frozenset({S.PAID}),
    S.PAID: frozenset({S.USED, S.REFUND_PENDING}),
    S.REFUND_PENDING: frozenset({S.REFUNDED, S.PAID}),  # refunded, or refused by the gateway: paid again
    S.USED: frozenset(),
    S.REFUNDED: frozenset(),
}


def bill_can_move(from_status: str, to_status: str) -> bool:
    return to_status in BILL_MOVES.get(from_status, frozenset())


def _move(bill: Bill, to_status: str) -> None:
    if not bill_can_move(bill.status, to_status):
        raise BillMoveNotAllowed(bill.status, to_status)
    bill.status = to_status


BILL_DIGITS = 12


def bill_number() -> str:
    """A SADAD-style bill number: 11 random digits (no leading zero) and a Luhn check digit."""
    first = str(secrets.randbelow(9) + 1) + "".join(str(secrets.randbelow(10)) for _ in range(BILL_DIGITS - 2))
    return first + luhn_check_digit(first)


def _params(bill: Bill) -> dict:
    return {**notifications.holder_params(bill.holder), "bill": bill.number, "amount": str(bill.amount), "service": bill.service}


def bill_create(*, payer, holder, service: str, decision, params: dict, submission_key, client_address: str = "") -> Bill:
    """A bill for the decision's fee lines. The same submission key twice gives the same bill."""
    existing = Bill.objects.filter(payer=payer, submission_key=submission_key).first()
    if existing:
        return existing
    lines = [{"code": line.code, "quantity": line.quantity, "amount": str(line.amount)} for line in decision.fee_lines]
    try:
        with transaction.atomic():
            for _attempt in range(5):
                number = bill_number()
                if not Bill.objects.filter(number=number).exists():
                    break
            bill = Bill.objects.create(
                number=number, payer=payer, holder=holder, service=service, amount=decision.fee, lines=lines,
                params=params, submission_key=submission_key,
            )
            audit_record(action="passport_bill_created", actor=payer, subject=payer, client_address=client_address,
                         bill=bill.number, service=service, amount=str(bill.amount), holder=holder.national_id)
            notifications.notify(payer, notifications.Kind.BILL, _params(bill), bill=bill)
    except IntegrityError:
        existing = Bill.objects.filter(payer=payer, submission_key=submission_key).first()
        if existing is None:
            raise
        return existing
    return bill


def _locked(bill: Bill) -> Bill:
    return Bill.objects.select_for_update(of=("self",)).select_related("holder", "payer").get(pk=bill.pk)


# --- payment -----------------------------------------------------------------------------------


def bill_payment_start(*, bill: Bill, actor, client_address: str = "") -> Bill:
    """The payer is sent to the gateway: remember when, so that reconciliation asks about it later."""
    with transaction.atomic():
        bill = _locked(bill)
        if bill.status != S.UNPAID:
            return bill
        bill.payment_started_at = timezone.now()
        bill.save(update_fields=["payment_started_at"])
        audit_record(action="passport_bill_payment_started", actor=actor, subject=bill.payer,
                     client_address=client_address, bill=bill.number)
    return bill


def bill_payment_record(*, bill: Bill, payment_reference: str, actor, source: str, client_address: str = "") -> Bill:
    """Record the gateway's payment of a locked unpaid bill, inside the caller's transaction."""
    _move(bill, S.PAID)
    bill.paid_at = timezone.now()
    bill.payment_reference = payment_reference[:60]
    bill.save(update_fields=["status", "paid_at", "payment_reference"])
    audit_record(action="passport_bill_paid", actor=actor, subject=bill.payer, client_address=client_address,
                 bill=bill.number, amount=str(bill.amount), payment_reference=bill.payment_reference, source=source)
    notifications.notify(bill.payer, notifications.Kind.PAID, _params(bill), bill=bill)
    return bill


def bill_pay(*, bill: Bill, payment_reference: str, actor, client_address: str = "", source: str = "direct") -> Bill:
    """Record the gateway's payment. A bill is paid once: a second payment is refused."""
    with transaction.atomic():
        bill = _locked(bill)
        if bill.status in (S.PAID, S.USED, S.REFUND_PENDING):
            raise BillAlreadyPaid()
        if bill.status == S.REFUNDED:
            raise BillRefunded()
        bill_payment_record(bill=bill, payment_reference=payment_reference, actor=actor, source=source,
                            client_address=client_address)
    return bill


def bill_payment_attempt_close(*, bill: Bill, gateway_state: str, actor=None, client_address: str = "") -> Bill:
    """The gateway says a payment attempt failed (or it lapsed): the bill stays unpaid, payable again,
    and reconciliation stops asking about it. Inside the caller's transaction, or its own."""
    with transaction.atomic():
        bill = _locked(bill)
        if bill.status != S.UNPAID or bill.payment_started_at is None:
            return bill
        bill.payment_started_at = None
        bill.save(update_fields=["payment_started_at"])
        audit_record(action="passport_bill_payment_failed", actor=actor, subject=bill.payer,
                     client_address=client_address, bill=bill.number, gateway_state=gateway_state)
    return bill


def _ensure_paid_and_unused(bill: Bill) -> None:
    """Only a paid bill that no service used and nobody refunded can be used or refunded."""
    if bill.status == S.UNPAID:
        raise BillNotPaid()
    if bill.status == S.USED:
        raise BillAlreadyUsed()
    if bill.status == S.REFUND_PENDING:
        raise BillRefundPending()
    if bill.status == S.REFUNDED:
        raise BillRefunded()


def refusal_of(bill: Bill):
    """What refuses paying, using or refunding this bill in its status (for a message)."""
    return {
        S.UNPAID: BillNotPaid, S.PAID: BillAlreadyPaid, S.USED: BillAlreadyUsed, S.REFUND_PENDING: BillRefundPending,
        S.REFUNDED: BillRefunded,
    }[bill.status]()


def bill_use(bill: Bill) -> Bill:
    """Mark a paid bill used by its service (inside the service's transaction)."""
    bill = _locked(bill)
    _ensure_paid_and_unused(bill)
    _move(bill, S.USED)
    bill.used_at = timezone.now()
    bill.save(update_fields=["status", "used_at"])
    return bill


# --- refund, in three steps --------------------------------------------------------------------

#: What the gateway answered a refund (step 2).
REFUNDED = "refunded"
DECLINED = "declined"
UNKNOWN = "unknown"  # no answer (timeout, unreachable): step 2 is repeated with the same key


@dataclass(frozen=True)
class RefundAnswer:
    key: str
    outcome: str
    reference: str = ""


def bill_refund_start(*, bill: Bill, actor, client_address: str = "", complete_later: bool = False) -> Bill:
    """Step 1: mark a paid, unused bill `refund_pending` with a new idempotency key.

    A bill already pending is returned as it is (with its key): asking twice is one refund.
    With `complete_later`, the task that runs steps 2 and 3 is enqueued when this commits.
    """
    with transaction.atomic(durable=True):
        bill = _locked(bill)
        if bill.status == S.REFUND_PENDING:
            return bill
        _ensure_paid_and_unused(bill)
        _move(bill, S.REFUND_PENDING)
        bill.refund_key = uuid.uuid4().hex
        bill.refund_requested_at = timezone.now()
        bill.save(update_fields=["status", "refund_key", "refund_requested_at"])
        audit_record(action="passport_bill_refund_requested", actor=actor, subject=bill.payer,
                     client_address=client_address, bill=bill.number, amount=str(bill.amount),
                     refund_key=bill.refund_key)
        if complete_later:
            from .tasks import bill_refund_enqueue  # the tasks module imports this one

            transaction.on_commit(partial(bill_refund_enqueue, bill.pk))
    return bill


def bill_refund_request(*, bill: Bill, actor, client_address: str = "") -> Bill:
    """What the refund page does: step 1 now; steps 2 and 3 in a task after the commit, so that the
    request never waits on the gateway. Asked again while pending, nothing new is started."""
    return bill_refund_start(bill=bill, actor=actor, client_address=client_address, complete_later=True)


def bill_refund_send(*, bill: Bill) -> RefundAnswer | None:
    """Step 2, outside any transaction (no lock held while the gateway answers): the gateway refunds
    with the bill's idempotency key. None when the bill is no longer waiting for a refund."""
    bill = Bill.objects.get(pk=bill.pk)
    if bill.status != S.REFUND_PENDING:
        return None
    try:
        reference = get_backend().refund(bill=bill, idempotency_key=bill.refund_key)
    except RefundDeclined:
        return RefundAnswer(key=bill.refund_key, outcome=DECLINED)
    except PaymentGatewayError:
        return RefundAnswer(key=bill.refund_key, outcome=UNKNOWN)
    return RefundAnswer(key=bill.refund_key, outcome=REFUNDED, reference=str(reference)[:60])


def bill_refund_finish(*, bill: Bill, answer: RefundAnswer, actor=None, client_address: str = "") -> Bill:
    """Step 3: record the gateway's answer. Only the refund under way with that key moves; anything
    else (already finished, a newer attempt) is left as it is, so the step is safe to repeat."""
    if answer.outcome == UNKNOWN:
        return Bill.objects.get(pk=bill.pk)
    with transaction.atomic(durable=True):
        bill = _locked(bill)
        if bill.status != S.REFUND_PENDING or bill.refund_key != answer.key:
            return bill
        if answer.outcome == REFUNDED:
            _move(bill, S.REFUNDED)
            bill.refunded_at = timezone.now()
            bill.refund_reference = answer.reference
            bill.save(update_fields=["status", "refunded_at", "refund_reference"])
            audit_record(action="passport_bill_refunded", actor=actor, subject=bill.payer, client_address=client_address,
                         bill=bill.number, amount=str(bill.amount), refund_reference=bill.refund_reference,
                         refund_key=answer.key)
            notifications.notify(bill.payer, notifications.Kind.REFUNDED, _params(bill), bill=bill)
        else:
            _move(bill, S.PAID)
            bill.refund_key = ""
            bill.refund_requested_at = None
            bill.save(update_fields=["status", "refund_key", "refund_requested_at"])
            audit_record(action="passport_bill_refund_declined", actor=actor, subject=bill.payer,
                         client_address=client_address, bill=bill.number, refund_key=answer.key)
            # The citizen asked and may have left the page: the refusal reaches them as the refund would.
            notifications.notify(bill.payer, notifications.Kind.REFUND_REFUSED, _params(bill), bill=bill)
    return bill


def bill_refund_complete(*, bill: Bill) -> RefundAnswer | None:
    """Steps 2 and 3 (the task `passports.tasks.bill_refund_complete`): the gateway's answer, recorded.
    None when the bill is no longer waiting for a refund; an UNKNOWN answer leaves it pending."""
    answer = bill_refund_send(bill=bill)
    if answer is not None:
        bill_refund_finish(bill=bill, answer=answer)
    return answer


def bill_refund(*, bill: Bill, actor, client_address: str = "") -> Bill:
    """Refund a paid bill that no service used, the three steps at once (never in a web request:
    the page calls bill_refund_request). After use, or before payment, it is refused.

    The bill comes back `refunded`, `paid` again (the gateway refused: RefundDeclined is raised), or
    still `refund_pending` when the gateway did not answer (bills_refund_resume finishes it).
    """
    bill = bill_refund_start(bill=bill, actor=actor, client_address=client_address)
    answer = bill_refund_send(bill=bill)
    if answer is None:
        return Bill.objects.get(pk=bill.pk)
    bill = bill_refund_finish(bill=bill, answer=answer, actor=actor, client_address=client_address)
    if answer.outcome == DECLINED:
        raise RefundDeclined()
    return bill


@dataclass
class ResumeCounts:
    refunded: int = 0
    declined: int = 0
    pending: int = 0


def bills_refund_resume(*, now: datetime | None = None, older_than: timedelta = timedelta(0),
                        batch: int = 500) -> ResumeCounts:
    """Finish the refunds left `refund_pending` (a crash between the steps, a gateway that did not
    answer), asked for at least `older_than` ago. Safe to run at any time, and twice."""
    now = now or timezone.now()
    counts = ResumeCounts()
    pending = (Bill.objects.filter(status=S.REFUND_PENDING, refund_requested_at__lte=now - older_than)
               .order_by("refund_requested_at", "pk"))
    # A batch per run (the next run takes the rest); read at once, no cursor held across the gateway calls.
    for bill in list(pending[:batch]):
        answer = bill_refund_send(bill=bill)
        if answer is None:
            continue
        bill_refund_finish(bill=bill, answer=answer)
        if answer.outcome == REFUNDED:
            counts.refunded += 1
        elif answer.outcome == DECLINED:
            counts.declined += 1
        else:
            counts.pending += 1
    return counts


def lines_total(lines) -> Decimal:
    return sum((Decimal(line["amount"]) for line in lines), Decimal("0"))
