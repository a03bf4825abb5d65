"""A USB reader libfprint drives, on the kiosk machine (the reader agent's side).

The kiosk's reader agent (`agent.py` explains it) runs this driver next to the reader: it opens
the first device libfprint finds that is not one of its virtual test drivers, waits for a
finger, and hands over the image libfprint took, then seals it for the portal. Extraction and
matching stay on the server. libfprint's retry conditions become a new touch (PoorQuality, or
NoFinger when the finger must be lifted first); no device, or a device gone, is DeviceUnplugged.
"""

import contextlib

from ..images import MAX_DPI, MIN_DPI, FingerImage, ImageError
from .base import Capture, DeviceUnplugged, FingerprintReader, NoFinger, PoorQuality, ReaderError

MM_PER_INCH = 25.4


def fprint_modules():
    """(FPrint, GLib) through GObject introspection; ImportError/ValueError where libfprint is missing."""
    import gi

    gi.require_version("FPrint", "2.0")
    from gi.repository import FPrint, GLib

    return FPrint, GLib


def fprint_devices() -> list:
    """Every device libfprint finds on this machine (its virtual test drivers among them when enabled)."""
    FPrint, _GLib = fprint_modules()
    return list(FPrint.Context().get_devices())


class LibfprintReader(FingerprintReader):
    def __init__(self, *, kiosk=None):
        super().__init__(kiosk=kiosk)
        self.device = None

    def open(self) -> None:
        try:
            FPrint, GLib = fprint_modules()
        except (ImportError, ValueError):
            raise DeviceUnplugged() from None
        self._FPrint, self._GLib = FPrint, GLib
        devices = [d for d in fprint_devices() if not d.get_driver().startswith("virtual_")]
        if not devices:
            raise DeviceUnplugged()
        try:
            devices[0].open_sync(None)
        except GLib.Error as error:
            raise self._reader_error(error) from None
        self.device = devices[0]
        super().open()

    def _reader_error(self, error) -> ReaderError:
        FPrint = self._FPrint
        if error.matches(FPrint.DeviceRetry.quark(), FPrint.DeviceRetry.REMOVE_FINGER):
            return NoFinger()  # lift the finger and touch again
        if error.domain == self._GLib.quark_to_string(FPrint.DeviceRetry.quark()):
            return PoorQuality()  # too short a swipe, off centre, or no minutiae
        if error.matches(FPrint.DeviceError.quark(), FPrint.DeviceError.REMOVED):
            return DeviceUnplugged()
        return ReaderError()

    def capture(self) -> Capture:
        if self.device is None or not self.is_open:
            raise DeviceUnplugged()
        try:
            image = self.device.capture_sync(True, None)
        except self._GLib.Error as error:
            raise self._reader_error(error) from None
        dpi = round(image.get_ppmm() * MM_PER_INCH)
        try:
            return Capture(FingerImage(
                pixels=bytes(image.get_data()), width=image.get_width(), height=image.get_height(),
                dpi=dpi if MIN_DPI <= dpi <= MAX_DPI else 500,  # a driver that does not know says 0
            ))
        except ImageError:
            raise ReaderError() from None

    def close(self) -> None:
        device, self.device = self.device, None
        if device is not None:
            with contextlib.suppress(self._GLib.Error):  # closing a device that went away
                device.close_sync(None)
        super().close()
