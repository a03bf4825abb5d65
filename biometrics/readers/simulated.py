"""The simulated reader: presents the finger the kiosk operator (or a test) chooses.

Each capture is a synthetic image of that finger (biometrics.synthetic), different at every
touch as real ones are; the server extracts and matches it like any reader's image. Each error
of a real reader can be asked for with `present(fault=...)`; "poor_quality" hands over a real
smudge (`synthetic.poor_image`) that the matcher refuses, the path a bad touch takes. Because
it can present anyone's finger it is refused when DEBUG is off unless
FINGERPRINT_SIMULATOR_ALLOWED says this is a demo. FINGERPRINT_SIMULATOR_SEED (tests) makes the
captures repeatable: the n-th capture of a finger in a process is the same in every run.
"""

import hashlib
import itertools
import threading
from collections import defaultdict

from django.conf import settings

from ..fingerprint import FINGERS, REFERENCE_FINGER
from .base import Capture, DeviceUnplugged, FingerprintReader, NoFinger

FAULTS = ("no_finger", "poor_quality", "unplugged")

# Captures made of each (ID, finger, fault) in this process: with a seed, the n-th is always the same image.
_counts: dict[tuple[str, str, str], itertools.count] = defaultdict(itertools.count)
_counts_lock = threading.Lock()


def reset_counts() -> None:
    """Start the numbering of seeded captures again (tests)."""
    with _counts_lock:
        _counts.clear()


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

    def _rng(self):
        import numpy as np

        seed = getattr(settings, "FINGERPRINT_SIMULATOR_SEED", None)
        if seed is None:
            return np.random.default_rng()  # natural variation, not a secret
        with _counts_lock:
            count = next(_counts[(self.national_id, self.finger, self.fault)])
        digest = hashlib.sha256(f"{seed}|{self.national_id}|{self.finger}|{self.fault}|{count}".encode()).digest()
        return np.random.Generator(np.random.PCG64(int.from_bytes(digest[:16], "big")))

    def capture(self) -> Capture:
        from .. import synthetic

        if self.fault == "unplugged" or not self.is_open:
            raise DeviceUnplugged()
        if self.fault == "no_finger" or not self.national_id:
            raise NoFinger()
        if self.fault == "poor_quality":
            return Capture(synthetic.poor_image(self._rng()))
        return Capture(synthetic.impression(self.national_id, self.finger, self._rng()))
