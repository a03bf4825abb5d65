"""Synthetic fingerprint images: pure code, no database, no libfprint."""

from collections import Counter

import numpy as np
import pytest

from biometrics import synthetic
from biometrics.fingerprint import FINGERS, REFERENCE_FINGER, RIGHT_INDEX
from biometrics.images import FingerImage

ID_A, ID_B = "1000000011", "1000000029"
LEFT_INDEX = "left_index"


def test_a_finger_has_one_class_in_every_call():
    for finger in FINGERS:
        assert synthetic.pattern_class(ID_A, finger) in synthetic.PATTERN_CLASSES
        assert synthetic.pattern_class(ID_A, finger) == synthetic.pattern_class(ID_A, finger)


def test_the_enrolment_images_are_the_same_on_every_call():
    first = synthetic.enrolment_images(ID_A, count=2)
    synthetic._master.cache_clear()  # grown again from the seed, as in another process
    second = synthetic.enrolment_images(ID_A, count=2)
    assert [image.pixels for image in first] == [image.pixels for image in second]
    assert first[0].pixels != first[1].pixels  # each a capture of its own
    assert synthetic.enrolment_images(ID_A, count=2) == synthetic.enrolment_images(ID_A, REFERENCE_FINGER, 2)


def test_different_fingers_look_different():
    a = synthetic._master(ID_A, RIGHT_INDEX)[1]
    b = synthetic._master(ID_B, RIGHT_INDEX)[1]
    c = synthetic._master(ID_A, LEFT_INDEX)[1]
    # Two unrelated ridge patterns (values -1..1) agree about as often as they disagree.
    assert abs(float(np.mean(np.sign(a) * np.sign(b)))) < 0.3
    assert abs(float(np.mean(np.sign(a) * np.sign(c)))) < 0.3
    assert synthetic.enrolment_images(ID_A, count=1)[0].pixels != synthetic.enrolment_images(ID_B, count=1)[0].pixels


def test_impressions_of_one_finger_differ_and_repeat_with_the_same_generator():
    first = synthetic.impression(ID_A, RIGHT_INDEX, np.random.default_rng(1))
    again = synthetic.impression(ID_A, RIGHT_INDEX, np.random.default_rng(1))
    other = synthetic.impression(ID_A, RIGHT_INDEX, np.random.default_rng(2))
    assert first.pixels == again.pixels
    assert first.pixels != other.pixels


def test_an_impression_is_a_sensor_image_with_a_quality():
    rng = np.random.default_rng(7)
    images = [synthetic.impression(ID_A, RIGHT_INDEX, rng) for _ in range(3)]
    images.append(synthetic.impression(ID_A, RIGHT_INDEX, rng, careful=True))
    for image in images:
        assert isinstance(image, FingerImage)
        assert (image.width, image.height, image.dpi) == (synthetic.WIDTH, synthetic.HEIGHT, synthetic.DPI)
        assert (synthetic.WIDTH, synthetic.HEIGHT, synthetic.DPI) == (300, 400, 500)
        assert 0 <= image.quality <= 100
        pixels = image.to_array()
        # Dark ridges on a light background: mostly light, with dark ink.
        assert np.median(pixels) > 150 and pixels.min() < np.median(pixels) - 60
    careful = images[-1]
    assert careful.quality >= 60


def test_the_quality_follows_the_ridges():
    blank = np.full((synthetic.HEIGHT, synthetic.WIDTH), 220, dtype=np.uint8)
    assert synthetic.image_quality(blank) == 0
    careful = synthetic.enrolment_images(ID_A, count=1)[0]
    assert synthetic.image_quality(careful.to_array()) == careful.quality


def test_a_poor_image_has_a_low_quality():
    rng = np.random.default_rng(3)
    for _ in range(3):
        image = synthetic.poor_image(rng)
        assert (image.width, image.height, image.dpi) == (300, 400, 500)
        assert image.quality < 20


@pytest.mark.parametrize("call", [
    lambda: synthetic.pattern_class(ID_A, "sixth_finger"),
    lambda: synthetic.impression(ID_A, "sixth_finger", np.random.default_rng(1)),
    lambda: synthetic.enrolment_images(ID_A, "RIGHT_INDEX"),
])
def test_an_unknown_finger_is_refused(call):
    with pytest.raises(ValueError):
        call()


def test_class_frequencies_are_plausible():
    counts = Counter(synthetic.pattern_class(f"{1000000000 + 7 * n}", RIGHT_INDEX) for n in range(200))
    loops = counts["left_loop"] + counts["right_loop"]
    arches = counts["arch"] + counts["tented_arch"]
    assert 0.5 * 200 <= loops <= 0.8 * 200
    assert 0.15 * 200 <= counts["whorl"] <= 0.45 * 200
    assert arches <= 0.15 * 200
    assert counts["left_loop"] > 0 and counts["right_loop"] > 0
