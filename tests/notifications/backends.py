"""SMS backends for the pipeline's tests (the locmem one keeps the messages)."""

import threading
import time

from absher.sms.backends import locmem

calls: list = []
lock = threading.Lock()


class SlowBackend(locmem.SmsBackend):
    """Takes a moment to answer, so that two workers racing for one message overlap."""

    def send(self, message):
        with lock:
            calls.append(message)
        time.sleep(0.3)
        return super().send(message)


class ReceiptsBackend(locmem.SmsBackend):
    """Like Twilio with NOTIFY_CALLBACK_BASE_URL: the message waits in `sent` for a signed receipt."""

    receipts = True

    def send(self, message):
        super().send(message)
        return f"SM{message.reference}"
