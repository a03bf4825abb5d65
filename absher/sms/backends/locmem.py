"""Tests: keeps messages in `absher.sms.backends.locmem.outbox`, like Django's mail.outbox."""

from absher.sms import SmsDeliveryError

from .base import BaseSmsBackend

outbox: list = []
# Tests set this to make the next sends fail, as a gateway outage would.
fail_next: list = []


class SmsBackend(BaseSmsBackend):
    def send(self, message) -> None:
        if fail_next:
            fail_next.pop()
            raise SmsDeliveryError("simulated gateway failure")
        outbox.append(message)
