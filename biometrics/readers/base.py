"""The reader interface every driver implements, and what a capture comes to: an image."""

from dataclasses import dataclass

from ..images import FingerImage


class ReaderError(Exception):
    """A touch that produced no usable image. `code` names it for the page and the record."""

    code = "reader_error"


class NoFinger(ReaderError):
    code = "no_finger"


class PoorQuality(ReaderError):
    code = "poor_quality"

    def __init__(self, quality: int | None = None):
        super().__init__(quality)
        self.quality = quality


class DeviceUnplugged(ReaderError):
    code = "unplugged"


@dataclass(frozen=True)
class Capture:
    """One touch's image as the reader handed it over; extraction and matching happen on the server.

    The image's pixels never land in a log line or a traceback (FingerImage's repr leaves them out).
    """

    image: FingerImage

    @property
    def quality(self) -> int | None:
        return self.image.quality


class FingerprintReader:
    """open() before capture(), close() after; usable as a context manager.

    `simulated` readers can present any person's finger (`present`) and are refused outside
    development and demos (biometrics.checks).
    """

    simulated = False

    def __init__(self, *, kiosk=None):
        self.kiosk = kiosk
        self.is_open = False

    def open(self) -> None:
        self.is_open = True

    def capture(self) -> Capture:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> None:
        self.is_open = False

    def __enter__(self):
        self.open()
        return self

    def __exit__(self, *exc_info):
        self.close()
        return False
