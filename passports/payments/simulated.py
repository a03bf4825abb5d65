"""Development and tests: a page of the portal that pays or declines the bill. Never in production."""

import secrets

from django.urls import reverse

from . import PaymentOutcome
from .base import BasePaymentBackend

PAY = "pay"
DECLINE = "decline"


class PaymentBackend(BasePaymentBackend):
    simulated = True

    def start(self, *, bill, request) -> str:
        return reverse("passports:payment-simulated", args=[bill.number])

    def verify(self, *, bill, request) -> PaymentOutcome:
        if request.method == "POST" and request.POST.get("outcome") == PAY:
            return PaymentOutcome(paid=True, reference=f"SIM-{secrets.token_hex(6).upper()}")
        return PaymentOutcome(paid=False)

    def refund(self, *, bill) -> str:
        return f"SIMREF-{secrets.token_hex(6).upper()}"
