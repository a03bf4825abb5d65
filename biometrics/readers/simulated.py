"""The simulated reader: presents the finger the kiosk operator (or a test) chooses.

Every capture of a finger differs a little, as real ones do (biometrics.simulator). Each error
of a real reader can be asked for with `present(fault=...)`. Because it can present anyone's
finger it is refused when DEBUG is off unless FINGERPRINT_SIMULATOR_ALLOWED says this is a demo.
FINGERPRINT_SIMULATOR_SEED (tests) makes the captures repeatable.
"""

import random

from django.conf import settings

from ..fingerprint import FINGERS, REFERENCE_FINGER
from .base import Capture, DeviceUnplugged, FingerprintReader, NoFinger, PoorQuality

FAULTS = ("no_finger", "poor_quality", "unplugged")


class SimulatedReader(FingerprintReader):
    simulated = True

    def __init__(self, *, kiosk=None):
        super().__init__(kiosk=kiosk)
        self.national_id = ""
        self.finger = REFERENCE_FINGER
        self.fault = ""

    def present(self, *, national_id: str = "", finger: str = REFERENCE_FINGER, fault: str = "") -> None:
        """The finger on the glass at the next capture (none: "" ID), or a fault to simulate."""
        if finger not in FINGERS:
            raise ValueError(f"unknown finger {finger!r}")
        if fault and fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}")
        self.national_id, self.finger, self.fault = national_id, finger, fault

    def _rng(self) -> random.Random:
        seed = getattr(settings, "FINGERPRINT_SIMULATOR_SEED", None)
        if seed is None:
            return random.Random()  # noqa: S311 - natural variation, not a secret
        return random.Random(f"{seed}|{self.national_id}|{self.finger}")  # noqa: S311

    def capture(self) -> Capture:
        if self.fault == "unplugged" or not self.is_open:
            raise DeviceUnplugged()
        if self.fault == "no_finger" or not self.national_id:
            raise NoFinger()
        if self.fault == "poor_quality":
            raise PoorQuality(quality=22)
        from .. import simulator  # replaced by biometrics.synthetic (issue 13)

        template = simulator.capture_template(self.national_id, self.finger, self._rng())
        quality = template[4]
        if quality < simulator.QUALITY_MIN:  # pragma: no cover - natural captures start at the minimum
            raise PoorQuality(quality=quality)
        return Capture(template=template, quality=quality)
