"""NIST NBIS through libfprint, end to end on synthetic fingerprint images (no database).

The engine is the real one: a worker process owning libfprint's virtual image device. CI
installs libfprint (.ci/run); these tests fail rather than skip without it.
"""

import sys
import zlib

import numpy as np
import pytest

from biometrics import images, synthetic
from biometrics.engine import client as engine_client
from biometrics.engine.protocol import ProtocolError, read_frame, write_frame
from biometrics.fingerprint import LEFT_INDEX, RIGHT_INDEX, Template, TemplateError, decode, encode
from biometrics.images import FingerImage, ImageError
from biometrics.matching import MatcherUnavailable, NbisMatcher, PoorImage, get_matcher

ID_A = "1000000008"
ID_B = "1000000016"


@pytest.fixture(scope="module")
def matcher():
    return NbisMatcher()


@pytest.fixture(scope="module")
def reference_a(matcher):
    return matcher.enrol(synthetic.enrolment_images(ID_A))


def _touch(national_id, finger=RIGHT_INDEX, seed=7):
    return synthetic.impression(national_id, finger, np.random.default_rng(seed))


# --- the formats ----------------------------------------------------------------------------


def test_a_template_survives_its_encoding_and_says_what_made_it():
    template = Template(algorithm="nist-nbis-bozorth3", engine="libfprint 1.94.5", threshold=60,
                        prints=(((10, 20, 30), (40, 50, -60)), ((1, 2, 3),)))
    again = decode(encode(template))
    assert again == template
    assert (again.algorithm, again.engine, again.threshold) == ("nist-nbis-bozorth3", "libfprint 1.94.5", 60)
    assert "10, 20" not in repr(again)  # minutiae never land in a log line


@pytest.mark.parametrize("data", [b"", b"FPT1\x50\x00", b"NBT1{", b'NBT1{"algorithm":"a","engine":"e","prints":[]}',
                                  b'NBT1{"algorithm":"a","engine":"e","prints":[[[1,2,999]]]}', "NBT1"])
def test_what_is_not_a_template_is_refused(data):
    with pytest.raises(TemplateError):
        decode(data)


def test_an_image_survives_its_encoding_and_a_crafted_one_cannot_inflate():
    image = FingerImage.from_array(np.arange(300 * 400, dtype=np.uint32).reshape(400, 300) % 251, quality=77)
    assert images.decode(images.encode(image)) == image
    assert "pixels=" not in repr(image)
    bomb = images.MAGIC + images._HEADER.pack(100, 100, 500, 50) + zlib.compress(bytes(50_000_000))
    with pytest.raises(ImageError):
        images.decode(bomb)  # inflates to at most 100 x 100 + 1 bytes: the size does not match


@pytest.mark.parametrize("fields", [{"width": 10, "height": 400}, {"width": 300, "height": 400, "dpi": 90}, {"width": 300, "height": 401}])
def test_an_image_of_impossible_size_or_resolution_is_refused(fields):
    with pytest.raises(ImageError):
        FingerImage(pixels=bytes(300 * 400), **fields)


def test_a_frame_larger_than_the_limit_is_refused():
    import io
    import struct

    with pytest.raises(ProtocolError):
        read_frame(io.BytesIO(struct.pack(">I", 2**31)))
    stream = io.BytesIO()
    write_frame(stream, {"op": "hello"})
    stream.seek(0)
    assert read_frame(stream) == {"op": "hello"}


# --- the real engine ------------------------------------------------------------------------


def test_the_default_matcher_is_nbis_with_the_measured_threshold(settings):
    settings.FINGERPRINT_MATCHER = "biometrics.matching.NbisMatcher"
    settings.FINGERPRINT_MATCH_THRESHOLD = None
    matcher = get_matcher()
    assert type(matcher) is NbisMatcher
    assert matcher.threshold == NbisMatcher.default_threshold
    settings.FINGERPRINT_MATCH_THRESHOLD = 75
    assert get_matcher().threshold == 75


def test_enrolment_keeps_one_print_per_image_and_names_the_engine(reference_a):
    template = decode(reference_a)
    assert len(template.prints) == 5
    assert all(len(p) >= NbisMatcher.min_minutiae for p in template.prints)
    assert template.algorithm == "nist-nbis-bozorth3"
    assert template.engine.startswith("libfprint ")
    assert template.threshold == NbisMatcher.default_threshold


def test_the_same_finger_matches_and_another_does_not(matcher, reference_a):
    same = matcher.verify(reference_a, _touch(ID_A))
    assert same.matched and same.score >= matcher.threshold
    other_person = matcher.verify(reference_a, _touch(ID_B))
    other_finger = matcher.verify(reference_a, _touch(ID_A, LEFT_INDEX))
    assert not other_person.matched and other_person.score < matcher.threshold
    assert not other_finger.matched


def test_a_capture_without_ridges_is_a_poor_image_not_a_failed_match(matcher, reference_a):
    with pytest.raises(PoorImage):
        matcher.verify(reference_a, synthetic.poor_image(np.random.default_rng(1)))
    with pytest.raises(PoorImage):
        matcher.verify(reference_a, FingerImage(pixels=bytes([200]) * 300 * 400, width=300, height=400))


def test_enrolment_refuses_images_without_enough_ridge_detail(matcher):
    poor = [synthetic.poor_image(np.random.default_rng(n)) for n in range(3)]
    with pytest.raises(PoorImage):
        matcher.enrol(poor)


def test_a_reference_this_matcher_cannot_read_decides_nothing(matcher):
    with pytest.raises(MatcherUnavailable):
        matcher.verify(b"FPT1\x50\x00", _touch(ID_A))


def test_identify_finds_the_finger_among_others(matcher):
    gallery = [(national_id, matcher.enrol(synthetic.enrolment_images(national_id, count=3)))
               for national_id in (ID_B, "1000000024", ID_A, "1000000032")]
    hits = matcher.identify(_touch(ID_A, seed=11), gallery)
    assert [key for key, _score in hits] == [ID_A]
    assert matcher.identify(_touch("1000000040", seed=11), gallery) == []


def test_a_worker_killed_between_requests_is_started_again(matcher, reference_a):
    client = engine_client.engine()
    matcher.verify(reference_a, _touch(ID_A))
    client._process.kill()
    client._process.wait()
    assert matcher.verify(reference_a, _touch(ID_A)).matched


def test_without_the_engine_nothing_is_decided_and_it_is_not_retried_at_once(monkeypatch, reference_a):
    broken = engine_client.EngineClient(command=[sys.executable, "-c", "raise SystemExit(1)"])
    monkeypatch.setattr(engine_client, "_client", broken)
    matcher = NbisMatcher()
    with pytest.raises(MatcherUnavailable):
        matcher.verify(reference_a, _touch(ID_A))
    assert broken._process is None
    broken.command = [sys.executable, "-m", "biometrics.engine.worker"]  # even a working one waits RETRY_AFTER
    with pytest.raises(MatcherUnavailable):
        matcher.verify(reference_a, _touch(ID_A))
    assert matcher.engine_version == ""


def test_a_worker_that_does_not_answer_in_time_is_killed(monkeypatch, reference_a):
    silent = engine_client.EngineClient(command=[sys.executable, "-c", "import time; time.sleep(60)"])
    monkeypatch.setattr(engine_client, "START_TIMEOUT", 0.5)
    monkeypatch.setattr(engine_client, "_client", silent)
    with pytest.raises(MatcherUnavailable):
        NbisMatcher().verify(reference_a, _touch(ID_A))
    assert silent._process is None


def test_a_worker_busy_past_its_time_is_replaced_before_libfprint_calls_the_reader_too_hot(monkeypatch, matcher, reference_a):
    client = engine_client.engine()
    matcher.verify(reference_a, _touch(ID_A))
    first = client._process.pid
    monkeypatch.setattr(engine_client, "RECYCLE_AFTER_BUSY", 0.0)
    assert matcher.verify(reference_a, _touch(ID_A)).matched
    assert client._process.pid != first


def test_a_worker_that_dies_during_a_request_is_replaced_and_the_request_tried_once_more(monkeypatch, matcher, reference_a):
    client = engine_client.engine()
    matcher.verify(reference_a, _touch(ID_A))
    real_exchange = client._exchange
    calls = []

    def dies_once(message, timeout):
        calls.append(message["op"])
        if len(calls) == 1:
            client._process.kill()
            client._process.wait()
        return real_exchange(message, timeout)

    monkeypatch.setattr(client, "_exchange", dies_once)
    assert matcher.verify(reference_a, _touch(ID_A)).matched
    assert calls[0] == "compare" and calls[-1] == "compare" and len(calls) >= 2
