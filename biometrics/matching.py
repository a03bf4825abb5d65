"""Fingerprint matchers, chosen by dotted path in FINGERPRINT_MATCHER (like EMAIL_BACKEND).

A matcher turns images into templates and compares on the server, never on a kiosk:

- `enrol(images)`: the registry's reference template from the enrolment images;
- `verify(reference, image)`: one capture against one reference (1:1), a `Verdict`;
- `identify(image, gallery)`: one image against many templates (1:N, de-duplication).

The default is NIST NBIS (mindtct, bozorth3) inside Debian's libfprint, run in a worker
process (biometrics.engine). Its threshold (FINGERPRINT_MATCH_THRESHOLD, default below) is the
lowest bozorth3 score whose measured false match rate has a 95 % upper bound of at most 0.1 %
(bench/fingerprint_match.py, docs/biometrics.md). A vendor SDK replaces it through the setting
by implementing the same three methods. No code path pretends to match: without the engine
every method raises MatcherUnavailable.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from .engine.client import EngineUnavailable, NoMinutiae, engine
from .fingerprint import Template, TemplateError, decode, encode
from .images import FingerImage

DEFAULT_MATCHER = "biometrics.matching.NbisMatcher"


class MatcherUnavailable(Exception):
    """The matcher cannot compare now (its engine is missing or failed): nothing was decided."""


class PoorImage(Exception):
    """An image with too little ridge detail to compare: the citizen touches the reader again."""

    def __init__(self, minutiae: int = 0):
        super().__init__(minutiae)
        self.minutiae = minutiae


@dataclass(frozen=True)
class Verdict:
    matched: bool
    score: float
    minutiae: int  # found in the capture


class FingerprintMatcher:
    algorithm = ""
    default_threshold = 0.0

    def __init__(self, threshold: float | None = None):
        self.threshold = self.default_threshold if threshold is None else threshold

    def matches(self, score: float) -> bool:
        return score >= self.threshold

    @property
    def engine_version(self) -> str:  # pragma: no cover - interface
        return ""

    def enrol(self, images: list[FingerImage]) -> bytes:  # pragma: no cover - interface
        raise NotImplementedError

    def verify(self, reference: bytes, image: FingerImage) -> Verdict:  # pragma: no cover - interface
        raise NotImplementedError

    def identify(self, image: FingerImage, gallery: Iterable[tuple[object, bytes]]) -> list[tuple[object, float]]:  # pragma: no cover
        raise NotImplementedError


class NbisMatcher(FingerprintMatcher):
    """NIST NBIS through libfprint: bozorth3 scores (0 for unrelated prints, hundreds for the same image)."""

    algorithm = "nist-nbis-bozorth3"
    # bench/fingerprint_match.py: the lowest score whose FMR upper bound (95 %) is <= 0.1 % on the
    # production path (a capture against a reference's 5 prints): 0.057 % (bound 0.078 %) at 40,
    # FNMR 1.0 % a touch, 0 of 800 within three touches (docs/biometrics.md). It is also the score
    # at which libfprint stops a comparison itself, so a verify never needs a second extraction.
    default_threshold = 40
    # Fewer minutiae than this and bozorth3's scores mean little: the capture is refused as poor.
    min_minutiae = 12
    # An enrolment needs this many usable images (of the MAX_PRINTS it may keep).
    min_enrolment_prints = 3

    def __init__(self, threshold: float | None = None, *, timeout: float | None = None):
        super().__init__(threshold)
        self.timeout = timeout

    @property
    def _engine(self):
        return engine(self.timeout)

    @property
    def engine_version(self) -> str:
        client = self._engine
        if not client.version:
            try:
                client.call({"op": "hello"})
            except (EngineUnavailable, NoMinutiae):
                return ""
        return client.version

    def _probe_checked(self, probe: list) -> int:
        if len(probe) < self.min_minutiae:
            raise PoorImage(len(probe))
        return len(probe)

    def extract(self, image: FingerImage) -> list[list[int]]:
        try:
            probe = self._engine.extract(image)
        except NoMinutiae:
            raise PoorImage(0) from None
        except EngineUnavailable:
            raise MatcherUnavailable() from None
        self._probe_checked(probe)
        return probe

    def enrol(self, images: list[FingerImage]) -> bytes:
        prints = []
        for image in images[:10]:
            try:
                prints.append(self.extract(image))
            except PoorImage:
                continue
        if len(prints) < min(self.min_enrolment_prints, len(images)):
            raise PoorImage(0)
        return encode(Template(algorithm=self.algorithm, engine=self.engine_version, threshold=int(self.threshold), prints=tuple(prints)))

    def verify(self, reference: bytes, image: FingerImage) -> Verdict:
        """The best score of the capture against the reference's prints (stopping at the first that matches)."""
        try:
            template = decode(reference)
        except TemplateError:
            raise MatcherUnavailable() from None  # a reference this matcher cannot read decides nothing
        try:
            probe, scores = self._engine.compare(image, template.as_lists(), stop_at=int(self.threshold))
        except NoMinutiae:
            raise PoorImage(0) from None
        except EngineUnavailable:
            raise MatcherUnavailable() from None
        minutiae = self._probe_checked(probe)
        score = max((s for s in scores if s is not None), default=0)
        return Verdict(matched=self.matches(score), score=float(score), minutiae=minutiae)

    def identify(self, image: FingerImage, gallery: Iterable[tuple[object, bytes]]) -> list[tuple[object, float]]:
        """Every gallery entry scoring at least the threshold against the image, best first."""
        keys, prints, owners = [], [], []
        for key, data in gallery:
            try:
                template = decode(data)
            except TemplateError:
                continue
            keys.append(key)
            for p in template.as_lists():
                prints.append(p)
                owners.append(len(keys) - 1)
        if not prints:
            self.extract(image)  # still refuses a poor image
            return []
        try:
            # bozorth3 costs well under a millisecond a print; allow 5 ms each on a loaded machine.
            probe, scores = self._engine.compare(image, prints, stop_at=None, timeout=10 + 0.005 * len(prints))
        except NoMinutiae:
            raise PoorImage(0) from None
        except EngineUnavailable:
            raise MatcherUnavailable() from None
        self._probe_checked(probe)
        best: dict[int, float] = {}
        for owner, score in zip(owners, scores, strict=True):
            if score is not None and self.matches(score):
                best[owner] = max(best.get(owner, 0.0), float(score))
        return sorted(((keys[i], s) for i, s in best.items()), key=lambda pair: -pair[1])


def matcher_chosen() -> str | None:
    """FINGERPRINT_MATCHER as the settings give it: None when a deployment left it unset."""
    from django.conf import settings

    return getattr(settings, "FINGERPRINT_MATCHER", None) or None


def matcher_path() -> str:
    return matcher_chosen() or DEFAULT_MATCHER


def get_matcher(path: str | None = None) -> FingerprintMatcher:
    """The matcher FINGERPRINT_MATCHER names, with FINGERPRINT_MATCH_THRESHOLD and FINGERPRINT_MATCH_TIMEOUT if set."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    matcher_class = import_string(path or matcher_path())
    matcher = matcher_class(threshold=getattr(settings, "FINGERPRINT_MATCH_THRESHOLD", None))
    if hasattr(matcher, "timeout") and getattr(settings, "FINGERPRINT_MATCH_TIMEOUT", None):
        matcher.timeout = settings.FINGERPRINT_MATCH_TIMEOUT
    return matcher
