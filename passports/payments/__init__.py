"""The payment gateway: one small interface, the backend chosen by a dotted path in
PAYMENT_BACKEND (like SMS_BACKEND), with a simulated backend for development and tests.

A backend sends the payer somewhere to pay (`start`), tells from what comes back whether the
bill was paid (`verify`), answers what it knows of a bill (`status`, for reconciliation) and
refunds with an idempotency key (`refund`). The gateway also tells the portal of a payment
server-to-server, signed with PAYMENT_NOTIFICATION_KEY (passports.payments.signing). Only
passports.billing, passports.services, passports.settlement and the payment views call it.
"""

import hashlib
import hmac
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils.module_loading import import_string

DEFAULT_BACKEND = "passports.payments.simulated.PaymentBackend"

# What a gateway says about a bill.
PAID = "paid"
DECLINED = "declined"
UNPAID = "unpaid"  # nothing paid (yet): the payer may still be on the gateway's page


@dataclass(frozen=True)
class PaymentStatus:
    state: str
    reference: str = ""
    #: The amount the gateway took, when it says; checked against the bill's.
    amount: Decimal | None = None

    @property
    def paid(self) -> bool:
        return self.state == PAID


def backend_path() -> str:
    return getattr(settings, "PAYMENT_BACKEND", "") or DEFAULT_BACKEND


def get_backend(path: str | None = None):
    return import_string(path or backend_path())()


def notification_key() -> bytes:
    """The HMAC key of the gateway's notifications. Production sets PAYMENT_NOTIFICATION_KEY (a deploy
    check says so); development derives one from SECRET_KEY so that the simulated gateway works."""
    configured = getattr(settings, "PAYMENT_NOTIFICATION_KEY", "") or ""
    if configured:
        return configured.encode()
    return hmac.new(settings.SECRET_KEY.encode(), b"passports.payment-notification", hashlib.sha256).digest()
