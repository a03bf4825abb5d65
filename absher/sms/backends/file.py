"""Development and black-box checks: appends one JSON object a line to SMS_FILE_PATH."""

import json
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from .base import BaseSmsBackend


class SmsBackend(BaseSmsBackend):
    def __init__(self, path=None):
        self.path = Path(path or settings.SMS_FILE_PATH)

    def send(self, message) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(
            {"to": message.to, "body": message.body, "sent_at": timezone.now().isoformat()},
            ensure_ascii=False,
        )
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")
