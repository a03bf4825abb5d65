"""Fingerprint readers, chosen by dotted path in FINGERPRINT_READER (like EMAIL_BACKEND).

The interface is small (`base.FingerprintReader`): open, capture, close. A capture is an
image (`biometrics.images.FingerImage`), or one of the errors below; the server extracts and
matches (`biometrics.matching`). The reader sits in the kiosk: what it captures reaches the
portal sealed with the kiosk's agent key (`biometrics.credentials`), so a real reader plugs in
on the kiosk side (`agent.KioskAgentReader`, fed by `libfprint.LibfprintReader` or a vendor's
SDK) without changing the portal.
"""

from django.conf import settings
from django.utils.module_loading import import_string

from .base import Capture, DeviceUnplugged, FingerprintReader, NoFinger, PoorQuality, ReaderError

SIMULATED_READER = "biometrics.readers.simulated.SimulatedReader"
AGENT_READER = "biometrics.readers.agent.KioskAgentReader"

__all__ = [
    "AGENT_READER",
    "SIMULATED_READER",
    "Capture",
    "DeviceUnplugged",
    "FingerprintReader",
    "NoFinger",
    "PoorQuality",
    "ReaderError",
    "get_reader",
    "reader_path",
]


def reader_path() -> str:
    # Development gets the simulator with no set-up; anything else must say which reader it has.
    return getattr(settings, "FINGERPRINT_READER", SIMULATED_READER if settings.DEBUG else AGENT_READER)


def get_reader(*, kiosk=None, path: str | None = None) -> FingerprintReader:
    return import_string(path or reader_path())(kiosk=kiosk)
