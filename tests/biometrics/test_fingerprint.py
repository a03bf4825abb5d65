"""Templates, simulated fingers and the matcher: pure code, no database."""

import random

import pytest

from biometrics import fingerprint, simulator
from biometrics.fingerprint import FINGERS, RIGHT_INDEX, Minutia, TemplateError, decode, encode
from biometrics.matching import BaseMatcher, MinutiaeMatcher, get_matcher

ID_A, ID_B = "1000000011", "1000000029"


def test_a_template_round_trips():
    minutiae = [Minutia(1, 2, 3, 0), Minutia(255, 254, 253, 1)]
    data = encode(minutiae, quality=77)
    assert data.startswith(fingerprint.MAGIC)
    assert decode(data) == (minutiae, 77)


@pytest.mark.parametrize("data", [b"", b"FPT1", b"XXXX\x10\x00", b"FPT1\x10\x02\x00\x00\x00\x00", b"FPT1\x10\x01\x00\x00\x00\x07", "text"])
def test_what_is_not_a_template_is_refused(data):
    with pytest.raises(TemplateError):
        decode(data)


def test_a_template_error_never_repeats_the_bytes():
    data = b"FPT1\x10\x02" + b"\x99" * 5
    with pytest.raises(TemplateError) as caught:
        decode(data)
    assert "\\x99" not in str(caught.value) and "99" not in str(caught.value)


def test_a_finger_is_the_same_finger_every_time_and_differs_from_every_other():
    assert simulator.master_minutiae(ID_A, RIGHT_INDEX) == simulator.master_minutiae(ID_A, RIGHT_INDEX)
    assert simulator.master_minutiae(ID_A, RIGHT_INDEX) != simulator.master_minutiae(ID_B, RIGHT_INDEX)
    assert simulator.master_minutiae(ID_A, RIGHT_INDEX) != simulator.master_minutiae(ID_A, "left_index")
    assert simulator.enrolment_template(ID_A) == simulator.enrolment_template(ID_A)
    with pytest.raises(ValueError):
        simulator.master_minutiae(ID_A, "sixth_finger")


def test_captures_of_one_finger_vary_naturally():
    rng = random.Random(1)
    captures = {simulator.capture_template(ID_A, RIGHT_INDEX, rng) for _ in range(5)}
    assert len(captures) == 5
    for capture in captures:
        _minutiae, quality = decode(capture)
        assert simulator.QUALITY_MIN <= quality <= 99


def test_the_matcher_tells_the_finger_from_others():
    matcher = MinutiaeMatcher()
    reference = simulator.enrolment_template(ID_A)
    assert matcher.score(reference, reference) == pytest.approx(1.0)
    rng = random.Random(7)
    genuine = [matcher.score(reference, simulator.capture_template(ID_A, RIGHT_INDEX, rng)) for _ in range(20)]
    others = [matcher.score(reference, simulator.capture_template(ID_B, finger, rng)) for finger in FINGERS]
    others += [matcher.score(reference, simulator.capture_template(ID_A, finger, rng)) for finger in FINGERS if finger != RIGHT_INDEX]
    assert sum(matcher.matches(s) for s in genuine) >= 18  # an FNMR near 1% (bench/fingerprint_match.py)
    assert not any(matcher.matches(s) for s in others)
    assert max(others) < min(sorted(genuine)[2:])


def test_the_matcher_scores_garbage_as_zero():
    matcher = MinutiaeMatcher()
    assert matcher.score(b"not a template", simulator.enrolment_template(ID_A)) == 0.0
    assert matcher.score(encode([], quality=50), simulator.enrolment_template(ID_A)) == 0.0


class HalfMatcher(BaseMatcher):
    def score(self, reference, probe):
        return 0.5


def test_the_matcher_and_its_threshold_come_from_settings(settings):
    settings.FINGERPRINT_MATCHER = "tests.biometrics.test_fingerprint.HalfMatcher"
    settings.FINGERPRINT_MATCH_THRESHOLD = 0.6
    matcher = get_matcher()
    assert isinstance(matcher, HalfMatcher) and matcher.threshold == 0.6 and not matcher.matches(0.5)
    del settings.FINGERPRINT_MATCHER, settings.FINGERPRINT_MATCH_THRESHOLD
    assert get_matcher().threshold == MinutiaeMatcher.default_threshold
