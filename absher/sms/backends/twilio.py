"""Production: Twilio's REST API. Keeps nothing of the message once the gateway has it."""

import logging

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from absher.sms import SmsDeliveryError

from .base import BaseSmsBackend

logger = logging.getLogger(__name__)


class SmsBackend(BaseSmsBackend):
    def __init__(self):
        from twilio.rest import Client

        if not (settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN and settings.TWILIO_FROM_NUMBER):
            raise ImproperlyConfigured("TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER must be set")
        self.client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)

    def send(self, message) -> None:
        from twilio.base.exceptions import TwilioException

        try:
            result = self.client.messages.create(to=message.to, from_=settings.TWILIO_FROM_NUMBER, body=message.body)
        except TwilioException as exc:
            # The exception text can quote the request; log only its class and status.
            logger.warning("Twilio refused an SMS: %s %s", type(exc).__name__, getattr(exc, "status", ""))
            raise SmsDeliveryError("gateway refused the message") from exc
        logger.info("SMS accepted by Twilio: sid=%s", result.sid)
