"""Tests: keeps messages in `absher.sms.backends.locmem.outbox`, like Django's mail.outbox."""

from absher.sms import SmsDeliveryError, SmsRejected

from .base import BaseSmsBackend

outbox: list = []
# Tests append to this to make the next sends fail, as a gateway outage would: True fails for now
# (the task retries), "reject" refuses for good.
fail_next: list = []


class SmsBackend(BaseSmsBackend):
    def send(self, message) -> str:
        if fail_next:
            how = fail_next.pop(0)
            if how == "reject":
                raise SmsRejected("simulated refusal")
            raise SmsDeliveryError("simulated gateway failure")
        outbox.append(message)
        return f"LM{len(outbox)}"
