"""A real reader on the kiosk side: the kiosk's reader agent posts each capture to the portal.

The agent (a small program on the kiosk beside the reader's driver) runs open/capture/close
with `libfprint.LibfprintReader` or the vendor's SDK, seals the image with the kiosk's agent key
(`biometrics.credentials.capture_seal`, or `reader_error_seal` for no_finger, poor_quality,
unplugged; `manage.py kiosk_agent_key <serial>` prints the key of the bound device) and posts
it to `kiosk/reader/` (`kiosk` = serial, `capture` = the sealed capture). This driver hands the
kiosk page the last capture posted within CAPTURE_MAX_AGE seconds, once (a seal opens once).
"""

from django.db import transaction

from ..credentials import CaptureRefused, capture_open
from .base import Capture, DeviceUnplugged, FingerprintReader, NoFinger, ReaderError


class KioskAgentReader(FingerprintReader):
    def capture(self) -> Capture:
        from civil_affairs.services_registry import fingerprint_decrypt

        from ..models import PendingCapture

        if self.kiosk is None:
            raise DeviceUnplugged()
        with transaction.atomic():
            pending = PendingCapture.objects.select_for_update().filter(kiosk=self.kiosk).first()
            if pending is not None:
                pending.delete()
        if pending is None:
            raise NoFinger()
        sealed = fingerprint_decrypt(bytes(pending.sealed)) if pending.sealed else None
        if sealed is None:
            raise ReaderError()
        try:
            return capture_open(sealed.decode(), kiosk=self.kiosk)  # a sealed reader error raises itself
        except CaptureRefused:
            raise NoFinger() from None  # too old, or not from this kiosk's agent: touch again
