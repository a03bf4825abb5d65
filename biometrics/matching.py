"""Fingerprint matchers, chosen by dotted path in FINGERPRINT_MATCHER; 1:1 comparison only.

A matcher scores a captured template against the registry's reference of the ID typed; a
score at or above its threshold is a match. The threshold comes from FINGERPRINT_MATCH_THRESHOLD
(default: the one `bench/fingerprint_match.py` measured for at most 1 false match in 1,000).
The comparison itself is pure (no ORM, no settings), so the benchmark runs it without Django.
"""

import math
from collections import Counter

from .fingerprint import ANGLE_UNITS, SENSOR_SIZE, Minutia, TemplateError, decode

DEFAULT_MATCHER = "biometrics.matching.MinutiaeMatcher"


class BaseMatcher:
    """`score(reference, probe)` in 0..1; `matches` compares it with the threshold."""

    default_threshold = 0.5

    def __init__(self, threshold: float | None = None):
        self.threshold = self.default_threshold if threshold is None else threshold

    def score(self, reference: bytes, probe: bytes) -> float:  # pragma: no cover - interface
        raise NotImplementedError

    def matches(self, score: float) -> bool:
        return score >= self.threshold


_CENTRE = SENSOR_SIZE / 2
_COS = [math.cos(2 * math.pi * a / ANGLE_UNITS) for a in range(ANGLE_UNITS)]
_SIN = [math.sin(2 * math.pi * a / ANGLE_UNITS) for a in range(ANGLE_UNITS)]


def _angle_gap(a: int, b: int) -> int:
    gap = (a - b) % ANGLE_UNITS
    return min(gap, ANGLE_UNITS - gap)


def _signed(units: int) -> int:
    units %= ANGLE_UNITS
    return units - ANGLE_UNITS if units > ANGLE_UNITS // 2 else units


class MinutiaeMatcher(BaseMatcher):
    """Align by a Hough vote over (rotation, shift), then pair minutiae one to one.

    Every pair of same-kind minutiae proposes the rotation that turns the reference's direction
    into the probe's and the shift that then lays one on the other; the most voted transforms
    are tried, and the score is paired² / (reference count × probe count), which is 1 for
    identical templates and near 0 for unrelated fingers.
    """

    default_threshold = 0.06  # bench/fingerprint_match.py: FMR <= 1/1000 (docs/biometrics.md)
    max_rotation = 24  # angle units (about 34 degrees): a reader's finger guide allows no more
    rotation_bin = 8
    shift_bin = 16
    distance_tolerance = 9.0
    angle_tolerance = 14  # angle units (about 20 degrees)
    candidates = 5

    def score(self, reference: bytes, probe: bytes) -> float:
        try:
            ref, _q1 = decode(reference)
            cap, _q2 = decode(probe)
        except TemplateError:
            return 0.0
        if not ref or not cap:
            return 0.0
        best = 0
        for transform in self._vote(ref, cap):
            pairs = self._pairs(ref, cap, transform)
            if len(pairs) >= 3:
                # One refinement: the rigid transform that best lays the pairs found on each other.
                pairs = max(pairs, self._pairs(ref, cap, self._fit(ref, cap, pairs)), key=len)
            best = max(best, len(pairs))
        return best * best / (len(ref) * len(cap))

    def _vote(self, ref: list[Minutia], cap: list[Minutia]) -> list[tuple[float, float, float]]:
        votes: Counter = Counter()
        sums: dict = {}
        for r in ref:
            rx, ry = r.x - _CENTRE, r.y - _CENTRE
            for c in cap:
                if c.kind != r.kind:
                    continue
                rotation = _signed(c.angle - r.angle)
                if abs(rotation) > self.max_rotation:
                    continue
                a = rotation % ANGLE_UNITS
                dx = c.x - (_CENTRE + rx * _COS[a] - ry * _SIN[a])
                dy = c.y - (_CENTRE + rx * _SIN[a] + ry * _COS[a])
                key = (round(rotation / self.rotation_bin), round(dx / self.shift_bin), round(dy / self.shift_bin))
                votes[key] += 1
                total = sums.setdefault(key, [0.0, 0.0, 0.0])
                total[0] += rotation
                total[1] += dx
                total[2] += dy
        chosen = []
        for key, count in votes.most_common(self.candidates):
            total = sums[key]
            chosen.append((total[0] / count, total[1] / count, total[2] / count))
        return chosen

    def _pairs(self, ref: list[Minutia], cap: list[Minutia], transform: tuple[float, float, float]) -> list[tuple[int, int]]:
        """Reference and probe minutiae paired one to one (nearest first) under a transform."""
        rotation, dx, dy = transform
        turn = 2 * math.pi * rotation / ANGLE_UNITS
        cos_a, sin_a = math.cos(turn), math.sin(turn)
        limit = self.distance_tolerance**2
        candidates = []
        for i, r in enumerate(ref):
            rx, ry = r.x - _CENTRE, r.y - _CENTRE
            x, y = _CENTRE + rx * cos_a - ry * sin_a + dx, _CENTRE + rx * sin_a + ry * cos_a + dy
            angle = round(r.angle + rotation)
            for j, c in enumerate(cap):
                d2 = (c.x - x) ** 2 + (c.y - y) ** 2
                if d2 <= limit and _angle_gap(c.angle, angle) <= self.angle_tolerance:
                    candidates.append((d2, i, j))
        candidates.sort()
        used_ref, used_cap, pairs = set(), set(), []
        for _d2, i, j in candidates:
            if i not in used_ref and j not in used_cap:
                used_ref.add(i)
                used_cap.add(j)
                pairs.append((i, j))
        return pairs

    @staticmethod
    def _fit(ref: list[Minutia], cap: list[Minutia], pairs: list[tuple[int, int]]) -> tuple[float, float, float]:
        """Least-squares rotation (in angle units) and shift taking the paired reference points to the probe's."""
        n = len(pairs)
        rmx = sum(ref[i].x for i, _j in pairs) / n
        rmy = sum(ref[i].y for i, _j in pairs) / n
        cmx = sum(cap[j].x for _i, j in pairs) / n
        cmy = sum(cap[j].y for _i, j in pairs) / n
        s_cos = s_sin = 0.0
        for i, j in pairs:
            ax, ay = ref[i].x - rmx, ref[i].y - rmy
            bx, by = cap[j].x - cmx, cap[j].y - cmy
            s_cos += ax * bx + ay * by
            s_sin += ax * by - ay * bx
        turn = math.atan2(s_sin, s_cos)
        cos_a, sin_a = math.cos(turn), math.sin(turn)
        # The rotation is about the sensor's centre, as in _pairs.
        rx, ry = rmx - _CENTRE, rmy - _CENTRE
        dx = cmx - (_CENTRE + rx * cos_a - ry * sin_a)
        dy = cmy - (_CENTRE + rx * sin_a + ry * cos_a)
        return turn * ANGLE_UNITS / (2 * math.pi), dx, dy


def matcher_chosen() -> str | None:
    """FINGERPRINT_MATCHER as the settings give it: None when a deployment left it unset
    (production reads it with no default; the deploy check biometrics.E005 refuses that)."""
    from django.conf import settings

    return getattr(settings, "FINGERPRINT_MATCHER", None) or None


def matcher_path() -> str:
    return matcher_chosen() or DEFAULT_MATCHER


def get_matcher(path: str | None = None) -> BaseMatcher:
    """The matcher FINGERPRINT_MATCHER names, with FINGERPRINT_MATCH_THRESHOLD if set."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    matcher_class = import_string(path or matcher_path())
    return matcher_class(threshold=getattr(settings, "FINGERPRINT_MATCH_THRESHOLD", None))
