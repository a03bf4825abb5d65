"""Development: prints each message (its text included, by design) on standard output."""

import sys

from .base import BaseSmsBackend


class SmsBackend(BaseSmsBackend):
    def __init__(self, stream=None):
        self.stream = stream or sys.stdout

    def send(self, message) -> None:
        self.stream.write(f"--- SMS to {message.to} ---\n{message.body}\n---\n")
        self.stream.flush()
