"""The match on images (NBIS through libfprint), the count of failures across kiosks, replays, the kiosk's actions."""

import base64
import itertools
import sys
from datetime import timedelta

import numpy as np
import pytest
import time_machine
from cryptography.fernet import Fernet
from django.core import signing
from django.utils import timezone, translation

from absher.models import AuditEvent
from biometrics import services, synthetic
from biometrics.credentials import CAPTURE_SALT, CaptureRefused, agent_key, capture_seal
from biometrics.engine import client as engine_client
from biometrics.exceptions import DuplicateUnderReview, FingerprintLocked, FingerprintUnavailable, NoReference
from biometrics.fingerprint import RIGHT_INDEX
from biometrics.matching import NbisMatcher
from biometrics.models import EnrollmentAttempt, KioskFlow, MatchThrottle
from biometrics.readers import Capture
from biometrics.selectors import match_blocked_until
from civil_affairs.models import Person
from civil_affairs.services_registry import person_fingerprint_reference

from .conftest import reference_of

pytestmark = pytest.mark.django_db

_seeds = itertools.count(1)
IMPOSTOR_FINGERS = [("2000000006", RIGHT_INDEX), ("2000000014", RIGHT_INDEX), ("2000000006", "right_middle")]
IMPOSTORS = itertools.cycle(IMPOSTOR_FINGERS)


@pytest.fixture(autouse=True)
def _same_touches_in_every_order():
    """Each test sees the same images whatever ran before it (pytest-randomly shuffles the order):
    the n-th touch of a test is always the same synthetic image, so a rare false match or poor
    capture of the generator cannot come and go with the order."""
    global _seeds, IMPOSTORS
    _seeds = itertools.count(1)
    IMPOSTORS = itertools.cycle(IMPOSTOR_FINGERS)


def image_of(national_id, finger=RIGHT_INDEX):
    """A fresh touch of the finger (its own pixels: a real reader never gives the same twice)."""
    return synthetic.impression(national_id, finger, np.random.default_rng(next(_seeds)))


def sealed_finger(kiosk, national_id, finger=RIGHT_INDEX):
    return capture_seal(Capture(image_of(national_id, finger)), kiosk=kiosk)


def verify(kiosk, national_id, sealed, now=None):
    return services.fingerprint_verify(
        kiosk=kiosk, national_id=national_id, sealed_capture=sealed, purpose="activation", client_address="192.0.2.1", now=now
    )




def miss(kiosk, national_id, person_factory=None):
    """A touch of somebody else's finger (a few people's, so their ridge patterns grow once)."""
    other, finger = next(IMPOSTORS)
    return verify(kiosk, national_id, sealed_finger(kiosk, other, finger))


def throttle(national_id):
    row = MatchThrottle.objects.get(national_id=national_id)
    return row.misses, row.failures


def test_the_right_finger_matches_and_is_recorded(kiosk, citizen):
    national_id = citizen.person.national_id
    image = image_of(national_id)
    outcome = verify(kiosk, national_id, capture_seal(Capture(image), kiosk=kiosk))
    assert outcome.matched and outcome.result == "match"
    attempt = EnrollmentAttempt.objects.get(pk=outcome.attempt_id)
    assert (attempt.kiosk, attempt.national_id, attempt.account, attempt.result) == (kiosk, national_id, citizen, "match")
    assert attempt.quality == image.quality and attempt.score >= attempt.threshold == NbisMatcher.default_threshold and attempt.at
    assert attempt.algorithm.startswith("nist-nbis-bozorth3 libfprint ")
    assert attempt.capture_digest == services.capture_digest(image) and len(attempt.capture_digest) == 64


def test_another_persons_finger_or_another_finger_does_not_match(kiosk, citizen, person_factory):
    national_id = citizen.person.national_id
    outcome = miss(kiosk, national_id, person_factory)
    assert not outcome.matched and outcome.result == "no_match" and not outcome.counted
    attempt = EnrollmentAttempt.objects.get(pk=outcome.attempt_id)
    assert attempt.score < attempt.threshold
    outcome = verify(kiosk, national_id, sealed_finger(kiosk, national_id, finger="left_index"))
    assert not outcome.matched and EnrollmentAttempt.objects.get(pk=outcome.attempt_id).result == "no_match"


def test_three_touches_that_do_not_match_make_one_failed_try(kiosk, citizen, person_factory):
    national_id = citizen.person.national_id
    first = miss(kiosk, national_id, person_factory)
    assert (first.counted, first.touches_left, first.remaining) == (False, 2, 5) and throttle(national_id) == (1, 0)
    second = miss(kiosk, national_id, person_factory)
    assert (second.counted, second.touches_left, second.remaining) == (False, 1, 5) and throttle(national_id) == (2, 0)
    third = miss(kiosk, national_id, person_factory)
    assert (third.counted, third.touches_left, third.remaining) == (True, 3, 4) and throttle(national_id) == (0, 1)
    miss(kiosk, national_id, person_factory)
    assert throttle(national_id) == (1, 1)
    assert verify(kiosk, national_id, sealed_finger(kiosk, national_id)).matched
    assert throttle(national_id) == (0, 0)  # a match resets both counts
    assert EnrollmentAttempt.objects.filter(result="no_match").count() == 4


def test_five_failed_tries_at_any_kiosks_pause_the_id_for_30_seconds_then_longer(kiosk, kiosk_factory, provision, citizen, person_factory):
    national_id = citizen.person.national_id
    kiosks = [kiosk, provision(kiosk_factory())]
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for n in range(15):  # 5 tries of 3 touches
            outcome = miss(kiosks[n % 2], national_id, person_factory)  # counted across kiosks
            assert not outcome.matched and outcome.locked_until is None or n == 14
        assert outcome.counted and outcome.remaining == 0 and outcome.locked_until == start + timedelta(seconds=30)
        right = sealed_finger(kiosk, national_id)
        with pytest.raises(FingerprintLocked) as caught:
            verify(kiosk, national_id, right)  # even the right finger waits
        assert caught.value.until == start + timedelta(seconds=30)
        assert match_blocked_until(national_id) == start + timedelta(seconds=30)
    assert EnrollmentAttempt.objects.filter(national_id=national_id, result="locked").count() == 1
    assert AuditEvent.objects.filter(action="fingerprint_locked", subject_label=national_id).exists()

    with time_machine.travel(start + timedelta(seconds=29), tick=False), pytest.raises(FingerprintLocked):
        verify(kiosk, national_id, sealed_finger(kiosk, national_id))
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        for _ in range(15):
            outcome = miss(kiosk, national_id, person_factory)
        # The second pause is longer: it grows, and is never permanent.
        assert outcome.locked_until == start + timedelta(seconds=30 + 60)
    with time_machine.travel(start + timedelta(seconds=90), tick=False):
        assert verify(kiosk, national_id, sealed_finger(kiosk, national_id)).matched
    row = MatchThrottle.objects.get(national_id=national_id)
    assert (row.failures, row.lockouts, row.locked_until, row.misses) == (0, 0, None, 0)


def test_an_id_without_a_reference_is_told_so_and_not_counted(kiosk, person_factory):
    person = person_factory()
    with pytest.raises(NoReference):
        verify(kiosk, person.national_id, sealed_finger(kiosk, person.national_id))
    assert EnrollmentAttempt.objects.get(national_id=person.national_id).result == "no_reference"
    assert throttle(person.national_id) == (0, 0)


def test_a_capture_sealed_for_another_kiosk_or_stale_is_refused(kiosk, kiosk_factory, provision, citizen):
    national_id = citizen.person.national_id
    other = provision(kiosk_factory())
    with pytest.raises(CaptureRefused):
        verify(kiosk, national_id, sealed_finger(other, national_id))
    sealed = sealed_finger(kiosk, national_id)
    with time_machine.travel(timezone.now() + timedelta(seconds=31)), pytest.raises(CaptureRefused):
        verify(kiosk, national_id, sealed)
    rebound = provision(kiosk)  # a new device binding: the old seal is worthless
    with pytest.raises(CaptureRefused):
        verify(rebound, national_id, sealed)
    assert not EnrollmentAttempt.objects.exists()


# --- replays, templates, poor images, an engine that cannot compare ------------------------------


def test_a_seal_opens_once(kiosk, citizen):
    national_id = citizen.person.national_id
    sealed = sealed_finger(kiosk, national_id)
    assert verify(kiosk, national_id, sealed).matched
    with pytest.raises(CaptureRefused):
        verify(kiosk, national_id, sealed)
    assert EnrollmentAttempt.objects.count() == 1


def test_a_capture_whose_pixels_were_seen_before_is_a_replay_counted_as_a_failed_try(kiosk, citizen):
    national_id = citizen.person.national_id
    image = image_of(national_id)
    assert verify(kiosk, national_id, capture_seal(Capture(image), kiosk=kiosk)).matched
    outcome = verify(kiosk, national_id, capture_seal(Capture(image), kiosk=kiosk))  # a new seal, the same pixels
    assert not outcome.matched and outcome.result == "replayed" and outcome.counted and outcome.remaining == 4
    attempt = EnrollmentAttempt.objects.get(pk=outcome.attempt_id)
    assert attempt.score is None  # refused without a comparison
    assert throttle(national_id) == (0, 1)
    assert AuditEvent.objects.filter(action="fingerprint_capture_replayed", subject_label=national_id).exists()


def test_the_same_pixels_at_two_kiosks_at_once_match_once(kiosk, kiosk_factory, provision, citizen, monkeypatch):
    """The replay is checked again after the comparison, under the lock: a copy compared meanwhile is refused."""
    national_id = citizen.person.national_id
    other = provision(kiosk_factory())
    image = image_of(national_id)
    real_verify, inner = NbisMatcher.verify, []

    def verify_while_the_copy_is_used(self, reference, probe):
        if not inner:
            inner.append(None)  # the copy's own comparison runs unhindered
            inner[0] = verify(other, national_id, capture_seal(Capture(image), kiosk=other))
        return real_verify(self, reference, probe)

    monkeypatch.setattr(NbisMatcher, "verify", verify_while_the_copy_is_used)
    outcome = verify(kiosk, national_id, capture_seal(Capture(image), kiosk=kiosk))
    assert inner[0].matched and outcome.result == "replayed" and outcome.counted


def test_a_pause_that_began_during_the_comparison_holds(kiosk, citizen, monkeypatch):
    national_id = citizen.person.national_id
    real_verify = NbisMatcher.verify

    def verify_while_another_kiosk_pauses_the_id(self, reference, probe):
        MatchThrottle.objects.filter(national_id=national_id).update(locked_until=timezone.now() + timedelta(seconds=30))
        return real_verify(self, reference, probe)

    monkeypatch.setattr(NbisMatcher, "verify", verify_while_another_kiosk_pauses_the_id)
    with pytest.raises(FingerprintLocked):
        verify(kiosk, national_id, sealed_finger(kiosk, national_id))
    assert EnrollmentAttempt.objects.get().result == "locked"


@pytest.mark.parametrize("payload", ["template", "old_format"])
def test_a_template_sealed_instead_of_an_image_is_refused(kiosk, citizen, payload):
    national_id = citizen.person.national_id
    template = reference_of(national_id)
    data = {"i": base64.b64encode(template).decode()} if payload == "template" else {"t": base64.b64encode(template).decode(), "q": 90}
    sealed = signing.dumps(data, key=agent_key(kiosk), salt=CAPTURE_SALT)
    with pytest.raises(CaptureRefused):
        verify(kiosk, national_id, sealed)
    assert not EnrollmentAttempt.objects.exists()


def test_a_poor_image_asks_for_another_touch_and_does_not_count(kiosk, citizen):
    national_id = citizen.person.national_id
    for seed in (1, 2, 3, 4):
        smudge = synthetic.poor_image(np.random.default_rng(seed))
        outcome = verify(kiosk, national_id, capture_seal(Capture(smudge), kiosk=kiosk))
        assert not outcome.matched and outcome.result == "poor_quality" and not outcome.counted
    assert EnrollmentAttempt.objects.filter(result="poor_quality", score=None).count() == 4
    assert throttle(national_id) == (0, 0)
    assert verify(kiosk, national_id, sealed_finger(kiosk, national_id)).matched


@pytest.fixture
def engine_down(monkeypatch):
    """The matcher's engine cannot start here (as without libfprint)."""
    broken = engine_client.EngineClient(command=[sys.executable, "-c", "raise SystemExit(1)"])
    monkeypatch.setattr(engine_client, "_client", broken)
    yield broken
    broken.close()


def test_an_engine_that_cannot_compare_decides_nothing(kiosk, citizen, engine_down):
    national_id = citizen.person.national_id
    for _ in range(4):
        with pytest.raises(FingerprintUnavailable) as caught:
            verify(kiosk, national_id, sealed_finger(kiosk, national_id))
    with translation.override("en"):
        assert "unavailable" in caught.value.message()
    assert EnrollmentAttempt.objects.filter(result="unavailable", score=None).count() == 4
    assert throttle(national_id) == (0, 0)


def test_a_match_while_a_duplicate_case_holds_the_id_stops_at_the_match(kiosk, citizen, monkeypatch):
    from biometrics import abis

    national_id = citizen.person.national_id
    monkeypatch.setattr(abis, "activation_held", lambda nid: nid == national_id)
    with pytest.raises(DuplicateUnderReview) as caught:
        verify(kiosk, national_id, sealed_finger(kiosk, national_id))
    with translation.override("en"):
        assert "review" in caught.value.message()
    assert EnrollmentAttempt.objects.get().result == "match"  # the finger is the ID's: recorded, nothing opened


# --- the reference at rest --------------------------------------------------------------------


def test_the_reference_is_encrypted_at_rest(citizen):
    national_id = citizen.person.national_id
    template = reference_of(national_id)
    stored = bytes(Person.objects.get(pk=citizen.person.pk).fingerprint_reference)
    assert template not in stored and b"NBT1" not in stored and stored.startswith(b"gAAAAA")  # a Fernet token
    assert person_fingerprint_reference(national_id=national_id) == template
    assert person_fingerprint_reference(national_id="1999999999") is None


def test_fingerprint_key_from_the_environment_rotates(settings, person_factory, with_reference):
    first, second = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FINGERPRINT_KEY = first
    person = with_reference(person_factory())
    template = reference_of(person.national_id)
    settings.FINGERPRINT_KEY = f"{second},{first}"  # the new key first; the old one still opens
    assert person_fingerprint_reference(national_id=person.national_id) == template
    settings.FINGERPRINT_KEY = second
    assert person_fingerprint_reference(national_id=person.national_id) is None  # logged, never raised


def test_the_wrong_key_is_logged_without_the_template(settings, person_factory, with_reference, caplog):
    person = with_reference(person_factory())
    settings.FINGERPRINT_KEY = Fernet.generate_key().decode()
    assert person_fingerprint_reference(national_id=person.national_id) is None
    assert "could not be decrypted" in caplog.text and "NBT1" not in caplog.text


# --- the kiosk ----------------------------------------------------------------------------------


def test_provisioning_binds_a_new_device_and_ends_the_flow(kiosk, operator, provision):
    from biometrics import flows

    flows.flow_begin(kiosk, language="ar", now=timezone.now())
    device = kiosk.device_id
    kiosk = provision(kiosk)
    assert kiosk.device_id != device and kiosk.provisioned_by == operator
    assert not KioskFlow.objects.exists()
    assert AuditEvent.objects.filter(action="kiosk_provisioned", subject_label=kiosk.serial, actor=operator).exists()


def test_out_of_service_and_back(kiosk, operator):
    from biometrics import flows

    flows.flow_begin(kiosk, language="en", now=timezone.now())
    kiosk = services.kiosk_service_set(kiosk=kiosk, in_service=False, actor=operator, reason="screen broken")
    assert kiosk.status() == "out_of_service" and kiosk.out_of_service_reason == "screen broken"
    assert not KioskFlow.objects.exists()
    kiosk = services.kiosk_service_set(kiosk=kiosk, in_service=True, actor=operator)
    assert kiosk.in_service and kiosk.out_of_service_reason == ""
    assert list(AuditEvent.objects.filter(subject_label=kiosk.serial).values_list("action", flat=True)[:2]) == [
        "kiosk_in_service", "kiosk_out_of_service",
    ]


def test_status_follows_the_heartbeat(kiosk_factory, settings):
    kiosk = kiosk_factory()
    now = timezone.now()
    assert kiosk.status(now) == "offline"
    services.kiosk_heartbeat(kiosk=kiosk, now=now)
    kiosk.refresh_from_db()
    assert kiosk.status(now + timedelta(minutes=2)) == "online"
    assert kiosk.status(now + timedelta(minutes=3, seconds=1)) == "offline"
    settings.KIOSK_OFFLINE_AFTER = timedelta(minutes=10)
    assert kiosk.status(now + timedelta(minutes=9)) == "online"
