"""Development and tests: a page of the portal that pays or declines the bill. Never in production.

It keeps its own books (passports.models.SimulatedGatewayEntry), apart from the bills, as a real
gateway does: one payment per bill, refunds by idempotency key (the same key twice refunds once),
and `status` answers from them for reconciliation. On "pay" and "decline" it sends the portal the
signed server-to-server notification a real gateway sends (see the payment page's view).
"""

import secrets
import uuid

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from . import DECLINED, PAID, UNPAID, PaymentStatus, notification_key, signing
from .base import BasePaymentBackend

PAY = "pay"
DECLINE = "decline"

#: Tests: what the next refund or status call does instead of answering: "unreachable" (nothing
#: done), "decline" (a refund refused), "timeout" (the refund is made but its answer is lost).
fail_next: list[str] = []


def _entries():
    from passports.models import SimulatedGatewayEntry

    return SimulatedGatewayEntry


def _failure() -> str:
    return fail_next.pop(0) if fail_next else ""


class PaymentBackend(BasePaymentBackend):
    simulated = True

    def start(self, *, bill, request) -> str:
        return reverse("passports:payment-simulated", args=[bill.number])

    # --- the page's two buttons -------------------------------------------------------------

    def pay(self, *, bill) -> PaymentStatus:
        """The payer pays: one payment per bill (a second "pay" answers the first payment)."""
        Entry = _entries()
        try:
            with transaction.atomic():
                Entry.objects.create(kind=Entry.Kind.PAYMENT, bill_number=bill.number, amount=bill.amount,
                                     reference=f"SIM-{secrets.token_hex(6).upper()}")
        except IntegrityError:
            pass
        return self.status(bill_number=bill.number)

    def decline(self, *, bill) -> PaymentStatus:
        Entry = _entries()
        if not Entry.objects.filter(kind=Entry.Kind.PAYMENT, bill_number=bill.number).exists():
            Entry.objects.create(kind=Entry.Kind.DECLINE, bill_number=bill.number, amount=bill.amount,
                                 reference=f"SIMDEC-{secrets.token_hex(6).upper()}")
        return self.status(bill_number=bill.number)

    def notification(self, *, bill, status: PaymentStatus, now=None) -> tuple[bytes, str]:
        """The signed notification a real gateway would post to the portal: (body, signature header)."""
        body = signing.encode(notification_id=f"SIMN-{uuid.uuid4().hex}", bill_number=bill.number, status=status.state,
                              payment_reference=status.reference if status.paid else "",
                              amount=status.amount if status.amount is not None else bill.amount,
                              at=now or timezone.now())
        return body, signing.sign(body, key=notification_key())

    # --- the interface ------------------------------------------------------------------------

    def verify(self, *, bill, request) -> PaymentStatus:
        # The browser's word is not proof: the gateway's books are.
        return self.status(bill_number=bill.number)

    def status(self, *, bill_number: str) -> PaymentStatus:
        from passports.exceptions import PaymentGatewayError

        if _failure() == "unreachable":
            raise PaymentGatewayError()
        Entry = _entries()
        entry = (Entry.objects.filter(bill_number=bill_number, kind__in=[Entry.Kind.PAYMENT, Entry.Kind.DECLINE])
                 .order_by("-kind").first())  # "payment" sorts after "decline": a payment wins
        if entry is None:
            return PaymentStatus(state=UNPAID)
        if entry.kind == Entry.Kind.PAYMENT:
            return PaymentStatus(state=PAID, reference=entry.reference, amount=entry.amount)
        return PaymentStatus(state=DECLINED)

    def refund(self, *, bill, idempotency_key: str) -> str:
        from passports.exceptions import PaymentGatewayError, RefundDeclined

        Entry = _entries()
        done = Entry.objects.filter(kind=Entry.Kind.REFUND, idempotency_key=idempotency_key).first()
        if done is not None:
            return done.reference
        failure = _failure()
        if failure == "unreachable":
            raise PaymentGatewayError()
        if failure == "decline":
            raise RefundDeclined()
        try:
            with transaction.atomic():
                entry = Entry.objects.create(kind=Entry.Kind.REFUND, bill_number=bill.number, amount=bill.amount,
                                             idempotency_key=idempotency_key,
                                             reference=f"SIMREF-{secrets.token_hex(6).upper()}")
        except IntegrityError:
            # The same key at the same moment (two workers): the one that got there first refunded.
            entry = Entry.objects.get(kind=Entry.Kind.REFUND, idempotency_key=idempotency_key)
        if failure == "timeout":
            raise PaymentGatewayError()
        return entry.reference
