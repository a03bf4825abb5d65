"""The kiosk purge beat runs daily: reader attempts that completed nothing, idle failed-match counts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from biometrics.models import EnrollmentAttempt, EnrollmentPurpose, MatchThrottle
from biometrics.tasks import purge_kiosk_attempts

pytestmark = pytest.mark.django_db


def attempt(kiosk, *, age: timedelta, completed: bool = False, result=EnrollmentAttempt.Result.NO_MATCH):
    at = timezone.now() - age
    return EnrollmentAttempt.objects.create(
        kiosk=kiosk, national_id="1000000008", purpose=EnrollmentPurpose.ACTIVATION, at=at, result=result,
        completed_at=at + timedelta(minutes=2) if completed else None)


def test_old_attempts_that_completed_nothing_and_idle_match_counts_are_purged(kiosk_factory, settings):
    settings.RETENTION_KIOSK_ATTEMPT_DAYS = 365
    settings.RETENTION_THROTTLE_DAYS = 30
    kiosk = kiosk_factory()
    attempt(kiosk, age=timedelta(days=366))
    attempt(kiosk, age=timedelta(days=400), result=EnrollmentAttempt.Result.MATCH)  # matched, flow abandoned
    evidence = attempt(kiosk, age=timedelta(days=800), completed=True, result=EnrollmentAttempt.Result.MATCH)
    recent = attempt(kiosk, age=timedelta(days=364))
    idle = MatchThrottle.objects.create(national_id="1000000008", failures=2)
    busy = MatchThrottle.objects.create(national_id="1000000016", failures=2)
    MatchThrottle.objects.filter(pk=idle.pk).update(updated_at=timezone.now() - timedelta(days=31))
    assert purge_kiosk_attempts.delay().get() == {"attempts": 2, "match_throttles": 1}
    # The attempt that activated an account is the evidence of it (the citizen's page names its kiosk).
    assert set(EnrollmentAttempt.objects.values_list("pk", flat=True)) == {evidence.pk, recent.pk}
    assert list(MatchThrottle.objects.values_list("pk", flat=True)) == [busy.pk]
    assert purge_kiosk_attempts.delay().get() == {"attempts": 0, "match_throttles": 0}
