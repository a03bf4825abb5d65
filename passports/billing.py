"""Bills: created for a service that costs money, paid through the payment backend, used once by
the service they pay for, refunded while unused. Each action one transaction with its audit row."""

import secrets
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from absher.audit import audit_record
from civil_affairs.identity import luhn_check_digit

from . import notifications
from .exceptions import BillAlreadyPaid, BillAlreadyUsed, BillNotPaid, BillRefunded
from .models import Bill, PassportNotice
from .payments import get_backend

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
            notifications.notify(payer, PassportNotice.Kind.BILL, _params(bill), bill=bill)
    except IntegrityError:
        existing = Bill.objects.filter(payer=payer, submission_key=submission_key).first()
        if existing is None:
            raise
        return existing
    return bill


def _locked(bill: Bill) -> Bill:
    return Bill.objects.select_for_update(of=("self",)).select_related("holder", "payer").get(pk=bill.pk)


def bill_pay(*, bill: Bill, payment_reference: str, actor, client_address: str = "") -> Bill:
    """Record the gateway's payment. A bill is paid once: a second payment is refused."""
    with transaction.atomic():
        bill = _locked(bill)
        if bill.status in (Bill.Status.PAID, Bill.Status.USED):
            raise BillAlreadyPaid()
        if bill.status == Bill.Status.REFUNDED:
            raise BillRefunded()
        bill.status = Bill.Status.PAID
        bill.paid_at = timezone.now()
        bill.payment_reference = payment_reference[:60]
        bill.save(update_fields=["status", "paid_at", "payment_reference"])
        audit_record(action="passport_bill_paid", actor=actor, subject=bill.payer, client_address=client_address,
                     bill=bill.number, amount=str(bill.amount), payment_reference=bill.payment_reference)
        notifications.notify(bill.payer, PassportNotice.Kind.PAID, _params(bill), bill=bill)
    return bill


def _ensure_paid_and_unused(bill: Bill) -> None:
    """Only a paid bill that no service used and nobody refunded can be used or refunded."""
    if bill.status == Bill.Status.UNPAID:
        raise BillNotPaid()
    if bill.status == Bill.Status.USED:
        raise BillAlreadyUsed()
    if bill.status == Bill.Status.REFUNDED:
        raise BillRefunded()


def bill_use(bill: Bill) -> Bill:
    """Mark a paid bill used by its service (inside the service's transaction)."""
    bill = _locked(bill)
    _ensure_paid_and_unused(bill)
    bill.status = Bill.Status.USED
    bill.used_at = timezone.now()
    bill.save(update_fields=["status", "used_at"])
    return bill


def bill_refund(*, bill: Bill, actor, client_address: str = "") -> Bill:
    """Refund a paid bill that no service used. After use, or before payment, it is refused."""
    with transaction.atomic():
        bill = _locked(bill)
        _ensure_paid_and_unused(bill)
        reference = get_backend().refund(bill=bill)
        bill.status = Bill.Status.REFUNDED
        bill.refunded_at = timezone.now()
        bill.refund_reference = str(reference)[:60]
        bill.save(update_fields=["status", "refunded_at", "refund_reference"])
        audit_record(action="passport_bill_refunded", actor=actor, subject=bill.payer, client_address=client_address,
                     bill=bill.number, amount=str(bill.amount), refund_reference=bill.refund_reference)
        notifications.notify(bill.payer, PassportNotice.Kind.REFUNDED, _params(bill), bill=bill)
    return bill


def lines_total(lines) -> Decimal:
    return sum((Decimal(line["amount"]) for line in lines), Decimal("0"))
