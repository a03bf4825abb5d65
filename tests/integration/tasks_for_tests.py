"""A tiny task of the worker tests' own, so that the harness is shown without the outbox: it sends
one SMS per key through the SMS backend, retried while the gateway fails, guarded by a claim file
so that a second run of the same message sends nothing (the outbox's claim guard in miniature).

The test makes it wait, so that it can kill the worker meanwhile, through the gateway's faults
file: "task_hold_before" (seconds, before the gateway call) or "task_hold_after" (after the gateway
took the message, before the task ends). A redelivered message reads the file again, and the test
has cleared it by then.
"""

import os
import time
from pathlib import Path

from celery import shared_task
from django.conf import settings

from absher.sms import SmsDeliveryError, SmsMessage, get_backend

from .gateway import read_faults


def claims_dir() -> Path:
    path = Path(settings.SMS_FILE_PATH).with_name("claims")
    path.mkdir(exist_ok=True)
    return path


def progress(key: str, step: str) -> None:
    with Path(settings.SMS_FILE_PATH).with_name("progress.log").open("a") as fh:
        fh.write(f"{key} {step} {os.getpid()}\n")


def hold(key: str, name: str) -> None:
    seconds = read_faults().get(name)
    if seconds:
        progress(key, name)
        time.sleep(float(seconds))


@shared_task(bind=True, max_retries=5)
def send_test_sms(self, key: str, to: str, body: str):
    sent = claims_dir() / f"{key}.sent"
    if sent.exists():
        progress(key, "already-sent")
        return "already_sent"
    progress(key, "started")
    hold(key, "task_hold_before")
    try:
        get_backend().send(SmsMessage(to=to, body=body))
    except SmsDeliveryError:
        progress(key, f"failed-{self.request.retries}")
        return self.retry(countdown=1, throw=False)
    sent.touch()
    progress(key, "sent")
    hold(key, "task_hold_after")
    return "sent"


@shared_task
def record_request_id(key: str):
    """Writes the request id the task runs under (absher.request_id) to the progress log, and logs a line."""
    import logging

    from absher.request_id import current_request_id

    progress(key, f"request_id={current_request_id()}")
    logging.getLogger("tests.integration.tasks").warning("recorded %s", key)
