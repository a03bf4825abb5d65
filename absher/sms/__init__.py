"""The SMS gateway: one interface, backends chosen by a dotted path in SMS_BACKEND.

Callers send after their transaction commits (`transaction.on_commit`); a backend raises
`SmsDeliveryError` when the gateway refuses or cannot be reached.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string


class SmsDeliveryError(Exception):
    """The gateway did not accept the message."""


@dataclass(frozen=True)
class SmsMessage:
    to: str  # E.164
    body: str


def get_backend(path: str | None = None):
    return import_string(path or settings.SMS_BACKEND)()


def send_sms(to: str, body: str) -> None:
    get_backend().send(SmsMessage(to=to, body=body))


def deliver(*, to: str, language: str, render, **kwargs) -> bool:
    """Render a text in the recipient's language and send it; False if the gateway refused it.

    Callers run this from `transaction.on_commit`, so a failure never undoes the work it reports.
    """
    import logging

    from django.utils import translation

    with translation.override(language):
        body = render(**kwargs)
    try:
        send_sms(to, body)
    except SmsDeliveryError:
        logging.getLogger(__name__).warning("SMS delivery failed (to a number ending %s)", to[-3:])
        return False
    return True
