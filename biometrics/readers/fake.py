"""Unit tests: a reader that returns what the test put in `outcomes` (a Capture or an error), in order.

Like Django's locmem e-mail backend: `outcomes` and `log` are module-level lists the test
fills and reads; an empty queue reads as no finger on the glass.
"""

from .base import Capture, FingerprintReader, NoFinger

outcomes: list = []
log: list[str] = []


class FakeReader(FingerprintReader):
    def open(self) -> None:
        log.append("open")
        super().open()

    def capture(self) -> Capture:
        log.append("capture")
        if not outcomes:
            raise NoFinger()
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def close(self) -> None:
        log.append("close")
        super().close()
