"""The match, the count of failures across kiosks, the encrypted reference, the kiosk's actions."""

import random
from datetime import timedelta

import pytest
import time_machine
from cryptography.fernet import Fernet
from django.utils import timezone

from absher.models import AuditEvent
from biometrics import services
from biometrics.credentials import CaptureRefused, capture_seal
from biometrics.exceptions import FingerprintLocked, NoReference
from biometrics.fingerprint import RIGHT_INDEX
from biometrics.models import EnrollmentAttempt, KioskFlow, MatchThrottle
from biometrics.readers import Capture
from biometrics.selectors import match_blocked_until
from biometrics.simulator import capture_template, enrolment_template
from civil_affairs.models import Person
from civil_affairs.services_registry import person_fingerprint_reference

pytestmark = pytest.mark.django_db


def sealed_finger(kiosk, national_id, finger=RIGHT_INDEX, seed=1):
    template = capture_template(national_id, finger, random.Random(seed))
    return capture_seal(Capture(template, template[4]), kiosk=kiosk)


def verify(kiosk, national_id, sealed, now=None):
    return services.fingerprint_verify(
        kiosk=kiosk, national_id=national_id, sealed_capture=sealed, purpose="activation", client_address="192.0.2.1", now=now
    )


def test_the_right_finger_matches_and_is_recorded(kiosk, citizen):
    national_id = citizen.person.national_id
    outcome = verify(kiosk, national_id, sealed_finger(kiosk, national_id))
    assert outcome.matched
    attempt = EnrollmentAttempt.objects.get(pk=outcome.attempt_id)
    assert (attempt.kiosk, attempt.national_id, attempt.account, attempt.result) == (kiosk, national_id, citizen, "match")
    assert attempt.quality and attempt.score >= attempt.threshold and attempt.at


def test_another_persons_finger_does_not_match(kiosk, citizen, person_factory):
    other = person_factory()
    outcome = verify(kiosk, citizen.person.national_id, sealed_finger(kiosk, other.national_id))
    assert not outcome.matched and outcome.remaining == 4
    attempt = EnrollmentAttempt.objects.get(pk=outcome.attempt_id)
    assert attempt.result == "no_match" and attempt.score < attempt.threshold


def test_five_failures_at_any_kiosks_pause_the_id_for_30_seconds_then_longer(kiosk, kiosk_factory, provision, citizen, person_factory):
    national_id = citizen.person.national_id
    kiosks = [kiosk, provision(kiosk_factory())]
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for n in range(5):
            place = kiosks[n % 2]  # counted across kiosks
            outcome = verify(place, national_id, sealed_finger(place, person_factory().national_id))
            assert not outcome.matched
        assert outcome.remaining == 0 and outcome.locked_until == start + timedelta(seconds=30)
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
        for _ in range(5):
            outcome = verify(kiosk, national_id, sealed_finger(kiosk, person_factory().national_id))
        # The second pause is longer: it grows, and is never permanent.
        assert outcome.locked_until == start + timedelta(seconds=30 + 60)
    with time_machine.travel(start + timedelta(seconds=90), tick=False):
        assert verify(kiosk, national_id, sealed_finger(kiosk, national_id)).matched
    row = MatchThrottle.objects.get(national_id=national_id)
    assert (row.failures, row.lockouts, row.locked_until) == (0, 0, None)  # a match resets the count


def test_an_id_without_a_reference_is_told_so_and_not_counted(kiosk, person_factory):
    person = person_factory()
    with pytest.raises(NoReference):
        verify(kiosk, person.national_id, sealed_finger(kiosk, person.national_id))
    assert EnrollmentAttempt.objects.get(national_id=person.national_id).result == "no_reference"
    assert MatchThrottle.objects.get(national_id=person.national_id).failures == 0


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


# --- the reference at rest --------------------------------------------------------------------


def test_the_reference_is_encrypted_at_rest(citizen):
    national_id = citizen.person.national_id
    template = enrolment_template(national_id)
    stored = bytes(Person.objects.get(pk=citizen.person.pk).fingerprint_reference)
    assert template not in stored and b"FPT1" not in stored and stored.startswith(b"gAAAAA")  # a Fernet token
    assert person_fingerprint_reference(national_id=national_id) == template
    assert person_fingerprint_reference(national_id="1999999999") is None


def test_fingerprint_key_from_the_environment_rotates(settings, person_factory, with_reference):
    first, second = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FINGERPRINT_KEY = first
    person = with_reference(person_factory())
    template = enrolment_template(person.national_id)
    settings.FINGERPRINT_KEY = f"{second},{first}"  # the new key first; the old one still opens
    assert person_fingerprint_reference(national_id=person.national_id) == template
    settings.FINGERPRINT_KEY = second
    assert person_fingerprint_reference(national_id=person.national_id) is None  # logged, never raised


def test_the_wrong_key_is_logged_without_the_template(settings, person_factory, with_reference, caplog):
    person = with_reference(person_factory())
    settings.FINGERPRINT_KEY = Fernet.generate_key().decode()
    assert person_fingerprint_reference(national_id=person.national_id) is None
    assert "could not be decrypted" in caplog.text and "FPT1" not in caplog.text


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
