"""The worker tests' SMS gateway: the file backend (JSON lines, absher/sms/backends/file.py), with
faults the test injects through a JSON file beside it (ABSHER_WORKER_GATEWAY_FAULTS):

    {"fail": 2}            the next two sends fail (SmsDeliveryError: the gateway is down for now)
    {"down": true}         every send fails until the file says otherwise
    {"hold_seconds": 30}   a send waits this long first (the test kills the worker meanwhile)

Each call is recorded first in `attempts.jsonl` beside the SMS file, so that a test can wait for
"the worker is inside the gateway call" and count the tries.
"""

import json
import os
import time
from pathlib import Path

from django.conf import settings

from absher.sms import SmsDeliveryError
from absher.sms.backends.file import SmsBackend as FileSmsBackend


def faults_path() -> Path:
    return Path(settings.SMS_FILE_PATH).with_name("faults.json")


def attempts_path() -> Path:
    return Path(settings.SMS_FILE_PATH).with_name("attempts.jsonl")


def read_faults() -> dict:
    try:
        return json.loads(faults_path().read_text())
    except (FileNotFoundError, ValueError):
        return {}


def write_faults(faults: dict) -> None:
    tmp = faults_path().with_suffix(".tmp")
    tmp.write_text(json.dumps(faults))
    os.replace(tmp, faults_path())


class SmsBackend(FileSmsBackend):
    def __init__(self, path=None):
        super().__init__(path)
        # With receipts, an accepted message waits in `sent` for the gateway's signed receipt.
        self.receipts = bool(os.environ.get("ABSHER_WORKER_GATEWAY_RECEIPTS"))

    def send(self, message):
        faults = read_faults()
        with attempts_path().open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({"to": message.to, "pid": os.getpid(), "at": time.time(),
                                 "reference": getattr(message, "reference", "")}) + "\n")
        if faults.get("hold_seconds"):
            time.sleep(float(faults["hold_seconds"]))
        if faults.get("down"):
            raise SmsDeliveryError("the test gateway is down")
        if faults.get("fail", 0) > 0:
            write_faults({**faults, "fail": faults["fail"] - 1})
            raise SmsDeliveryError("the test gateway failed this once")
        super().send(message)
        return f"TEST-{time.time_ns()}"
