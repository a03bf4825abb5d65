"""The SMS gateway: one interface, backends chosen by a dotted path in SMS_BACKEND.

Only the outbox's delivery task calls a backend (absher.notifications.delivery): a service writes
an outbox row in its transaction, and a Celery worker sends it after the commit, with a timeout
(NOTIFY_GATEWAY_TIMEOUT) on the gateway call. A backend returns the gateway's reference for the
message (or None) and raises `SmsDeliveryError` when the gateway is unreachable, too slow or
refuses for now (the task retries), `SmsRejected` when it refuses for good (no retry).
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string


class SmsDeliveryError(Exception):
    """The gateway did not accept the message this time: worth another try later."""


class SmsRejected(SmsDeliveryError):
    """The gateway will never accept this message (an invalid number, a blocked recipient)."""


@dataclass(frozen=True)
class SmsMessage:
    to: str  # E.164
    body: str
    #: The outbox row's id: the Twilio backend names it in the receipt's callback URL.
    reference: str = ""


def get_backend(path: str | None = None):
    return import_string(path or settings.SMS_BACKEND)()


def gateway_timeout() -> float:
    """Seconds a gateway call may take before it counts as failed (and is retried)."""
    return float(getattr(settings, "NOTIFY_GATEWAY_TIMEOUT", 10))
