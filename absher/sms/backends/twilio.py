"""Production: Twilio's REST API. Keeps nothing of the message once the gateway has it.

Every call is bounded by NOTIFY_GATEWAY_TIMEOUT (TwilioHttpClient's timeout). With
NOTIFY_CALLBACK_BASE_URL set, each message names a StatusCallback URL carrying the outbox row's
id, and Twilio's signed receipts (absher.notifications.views.twilio_status) say whether it
was delivered.
"""

import logging
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from absher.sms import SmsDeliveryError, SmsRejected, gateway_timeout

from .base import BaseSmsBackend

logger = logging.getLogger(__name__)


def status_callback_url(reference: str) -> str:
    """The URL Twilio posts its receipts to ("" when no public base URL is configured)."""
    base = (getattr(settings, "NOTIFY_CALLBACK_BASE_URL", "") or "").rstrip("/")
    if not base or not reference:
        return ""
    return f"{base}{reverse('notifications:twilio-status')}?{urlencode({'message': reference})}"


class SmsBackend(BaseSmsBackend):
    def __init__(self):
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        if not (settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN and settings.TWILIO_FROM_NUMBER):
            raise ImproperlyConfigured("TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER must be set")
        self.client = Client(
            settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=TwilioHttpClient(timeout=gateway_timeout())
        )
        self.receipts = bool(getattr(settings, "NOTIFY_CALLBACK_BASE_URL", ""))

    def send(self, message) -> str:
        from requests import RequestException
        from twilio.base.exceptions import TwilioException, TwilioRestException

        fields = {"to": message.to, "from_": settings.TWILIO_FROM_NUMBER, "body": message.body}
        callback = status_callback_url(message.reference)
        if callback:
            fields["status_callback"] = callback
        try:
            result = self.client.messages.create(**fields)
        except TwilioRestException as exc:
            # The exception text can quote the request; log only its status and Twilio's code.
            logger.warning("Twilio refused an SMS: status %s code %s", exc.status, exc.code)
            if exc.status in (400, 404):  # an invalid or blocked number: trying again will not help
                raise SmsRejected(f"gateway refused the message (code {exc.code})") from exc
            raise SmsDeliveryError(f"gateway error (status {exc.status})") from exc
        except TwilioException as exc:
            logger.warning("Twilio client error: %s", type(exc).__name__)
            raise SmsDeliveryError("gateway client error") from exc
        except RequestException as exc:  # a timeout, a refused connection, a TLS failure
            logger.warning("Twilio unreachable: %s", type(exc).__name__)
            raise SmsDeliveryError(f"gateway unreachable ({type(exc).__name__})") from exc
        logger.info("SMS accepted by Twilio: sid=%s", result.sid)
        return result.sid
