"""The interface of an Automated Biometric Identification System (ABIS), chosen by FINGERPRINT_ABIS.

De-duplication at enrolment asks the ABIS whether a new reference's finger is already in the
gallery under another ID number. The interface is the one MOSIP's ABIS API and the vendor
engines share: `insert`, `identify`, `delete`, keyed by a subject reference (here the national
ID number). The portal never decides a hit: each becomes a DuplicateCase that staff adjudicate.

What an engine receives:
- in a real deployment, ISO/IEC 19794-2 minutiae records and ISO/IEC 19794-4 finger images,
  each wrapped in a CBEFF (ISO/IEC 19785-1) record with its finger position and quality, over
  the vendor's queue or HTTP API; the vendor's engine extracts its own templates from the
  images and searches them with its own binning or indexing;
- here: our template (biometrics.fingerprint's NBIS "xyt" prints) and, when the enrolment had
  them, one of its images (biometrics.images.FingerImage), with the pattern class
  biometrics.patterns found in the images. A vendor driver converts them (minutiae to 19794-2,
  pixels to 19794-4) before it sends them.

A driver raises MatcherUnavailable (biometrics.matching) when its engine cannot answer; the
de-duplication task retries later. It never pretends to have searched.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from ..images import FingerImage

DEFAULT_ABIS = "biometrics.abis.reference.ReferenceAbis"


@dataclass(frozen=True)
class Candidate:
    """A gallery subject whose finger scored at least the engine's threshold against the probe."""

    subject: str
    score: float


class Abis:
    """A de-duplication engine: a gallery of one reference finger per subject, searched 1:N."""

    #: Whether `identify` can search with a probe given only as a template (no image). The
    #: reference engine cannot (libfprint compares images with templates); vendors usually can.
    searches_templates = False

    def insert(self, subject: str, template: bytes, image: FingerImage | None, pattern: str) -> None:  # pragma: no cover
        """Put the subject's reference in the gallery, replacing the one it had."""
        raise NotImplementedError

    def identify(self, image: FingerImage, *, exclude: str) -> list[Candidate]:  # pragma: no cover - interface
        """Every subject but `exclude` whose reference matches the probe image, best first.

        Raises PoorImage when the probe has too little ridge detail, MatcherUnavailable when the
        engine cannot answer now.
        """
        raise NotImplementedError

    def delete(self, subject: str) -> bool:  # pragma: no cover - interface
        """Take the subject out of the gallery; whether it was there."""
        raise NotImplementedError

    def identify_all(self, images: Iterable[FingerImage], *, exclude: str) -> list[Candidate]:
        """The candidates of several probes of one finger: each subject once, with its best score."""
        best: dict[str, float] = {}
        for image in images:
            for candidate in self.identify(image, exclude=exclude):
                best[candidate.subject] = max(best.get(candidate.subject, 0.0), candidate.score)
        return sorted((Candidate(subject, score) for subject, score in best.items()), key=lambda c: (-c.score, c.subject))


def abis_path() -> str:
    from django.conf import settings

    return getattr(settings, "FINGERPRINT_ABIS", None) or DEFAULT_ABIS


def get_abis(path: str | None = None) -> Abis:
    """The ABIS FINGERPRINT_ABIS names (a dotted path, like FINGERPRINT_MATCHER)."""
    from django.utils.module_loading import import_string

    return import_string(path or abis_path())()
