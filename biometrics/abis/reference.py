"""The reference ABIS: the gallery in our database, searched with the portal's own matcher.

For small galleries (a pilot, a development machine, the tests): the templates are kept
encrypted in AbisEntry with their pattern class, and a search

1. classifies the probe image (biometrics.patterns.classify);
2. reads only the bins a probe of that class is compared with (patterns.searched_with: its
   class, the classes it is commonly confused with, and "unknown"), in chunks of CHUNK rows
   (keyset pagination: never the whole gallery in memory);
3. gives each chunk to the matcher's `identify` (NBIS: one extraction of the probe per chunk,
   then bozorth3 at ~0.7 ms per print of the chunk's templates), and keeps the subjects scoring
   at least FINGERPRINT_DEDUP_THRESHOLD (default below: stricter than the kiosk's 1:1 threshold).

The penetration rate (the share of the gallery one probe is compared with) and the binning
error are measured on synthetic prints by bench/pattern_classes.py: with the population's class
frequencies (loops about 64 %, whorls 30 %, arches 6 %) one probe is compared with about 83 %
of the gallery, and its mate is outside the bins searched for 0.6 % of probes (the task probes
with three images). A search therefore costs about 0.7 ms x 5 prints x 0.83 x the gallery's
size: ~30 s per probe for 10,000 people.
Past that a vendor ABIS (indexing, several machines) takes over through FINGERPRINT_ABIS.
"""

from django.utils import timezone

from ..images import FingerImage
from ..matching import MatcherUnavailable, get_matcher
from .base import Abis, Candidate

CHUNK = 2000
# A search compares one probe with thousands of references, so a hit needs a higher score than
# a kiosk's 1:1 match (FINGERPRINT_MATCH_THRESHOLD): at 60, 24 of 14,160 impostor probe-reference
# pairs of synthetic prints matched (0.17 %: about 170 false hits a probe in a gallery of
# 100,000); none reached 80 (the highest was 72), while genuine pairs scored a median of 386.
DEFAULT_DEDUP_THRESHOLD = 100


class ReferenceAbis(Abis):
    searches_templates = False

    def __init__(self, matcher=None, threshold: float | None = None):
        from django.conf import settings

        self.matcher = matcher or get_matcher()
        if threshold is None:
            threshold = getattr(settings, "FINGERPRINT_DEDUP_THRESHOLD", None) or DEFAULT_DEDUP_THRESHOLD
        self.threshold = max(float(threshold), float(self.matcher.threshold))

    def insert(self, subject: str, template: bytes, image: FingerImage | None, pattern: str) -> None:
        from civil_affairs.services_registry import fingerprint_encrypt

        from .. import patterns
        from ..fingerprint import decode
        from ..models import AbisEntry

        decode(template)  # TemplateError: nothing unreadable enters the gallery
        if pattern not in patterns.CLASSES:
            pattern = patterns.UNKNOWN
        AbisEntry.objects.update_or_create(
            subject=subject,
            defaults={"template": fingerprint_encrypt(template), "pattern": pattern, "inserted_at": timezone.now()},
        )

    def delete(self, subject: str) -> bool:
        from ..models import AbisEntry

        deleted, _ = AbisEntry.objects.filter(subject=subject).delete()
        return bool(deleted)

    def bins(self, image: FingerImage) -> tuple[str, ...]:
        from .. import patterns

        return patterns.searched_with(patterns.classify(image))

    def gallery_chunks(self, bins: tuple[str, ...], *, exclude: str):
        """The gallery's (subject, template) rows in the bins, decrypted, CHUNK at a time."""
        from civil_affairs.services_registry import fingerprint_decrypt

        from ..models import AbisEntry

        rows = AbisEntry.objects.filter(pattern__in=bins).exclude(subject=exclude).order_by("id")
        last = 0
        while True:
            chunk = list(rows.filter(id__gt=last).values_list("id", "subject", "template")[:CHUNK])
            if not chunk:
                return
            last = chunk[-1][0]
            decrypted = [(subject, fingerprint_decrypt(token)) for _id, subject, token in chunk]
            yield [(subject, template) for subject, template in decrypted if template is not None]

    def identify(self, image: FingerImage, *, exclude: str) -> list[Candidate]:
        best: dict[str, float] = {}
        searched = False
        for chunk in self.gallery_chunks(self.bins(image), exclude=exclude):
            searched = True
            for subject, score in self._identify(image, chunk):
                if score >= self.threshold:
                    best[subject] = max(best.get(subject, 0.0), float(score))
        if not searched:
            self._identify(image, [])  # an empty gallery still refuses a poor image
        return sorted((Candidate(subject, score) for subject, score in best.items()), key=lambda c: (-c.score, c.subject))

    def _identify(self, image: FingerImage, chunk: list):
        # The engine restarts its worker after a failure (libfprint's virtual device also stops
        # itself "to prevent overheating" after long use): one more try before giving up.
        try:
            return self.matcher.identify(image, chunk)
        except MatcherUnavailable:
            return self.matcher.identify(image, chunk)
