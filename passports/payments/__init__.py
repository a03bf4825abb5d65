"""The payment gateway: one small interface, the backend chosen by a dotted path in
PAYMENT_BACKEND (like SMS_BACKEND), with a simulated backend for development and tests.

A backend sends the payer somewhere to pay (`start`), tells from what comes back whether the
bill was paid (`verify`), and refunds (`refund`). Only passports.billing and the payment views
call it.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

DEFAULT_BACKEND = "passports.payments.simulated.PaymentBackend"


@dataclass(frozen=True)
class PaymentOutcome:
    paid: bool
    reference: str = ""


def backend_path() -> str:
    return getattr(settings, "PAYMENT_BACKEND", "") or DEFAULT_BACKEND


def get_backend(path: str | None = None):
    return import_string(path or backend_path())()
