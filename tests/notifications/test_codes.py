"""One-time codes in the outbox: encrypted at rest, wiped once sent or expired, never sent late (QUALITY 8, 33)."""

import uuid
from datetime import timedelta

import pytest
import time_machine
from cryptography.fernet import Fernet
from django.core.checks import run_checks
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone

from absher.notifications import crypto, delivery
from absher.notifications.models import MessageStatus, OutboxMessage
from accounts import services
from accounts.models import AccountState, OneTimeCode, OtpPurpose, User
from tests.conftest import code_in

pytestmark = pytest.mark.django_db

IP = "192.0.2.10"


def everything_in(message: OutboxMessage) -> str:
    return str(model_to_dict(message)) + message.body_sealed + str(message.history)


def issue(user, django_capture_on_commit_callbacks):
    """A code issued in a committed transaction whose on-commit work (the task) has not run yet."""
    challenge = uuid.uuid4()
    with django_capture_on_commit_callbacks() as callbacks:
        row = services.otp_issue(user=user, purpose=OtpPurpose.LOGIN, challenge=challenge, client_address=IP)
    assert len(callbacks) == 1
    return row, callbacks[0]


def test_a_code_waits_encrypted_and_is_wiped_once_sent(citizen, sms_outbox, django_capture_on_commit_callbacks):
    row, run_task = issue(citizen, django_capture_on_commit_callbacks)
    waiting = row.message
    assert waiting.secret and waiting.body == "" and waiting.body_sealed.startswith("gAAAAA")  # a Fernet token
    assert waiting.expires_at == row.expires_at and waiting.purpose == "otp.login"
    run_task()
    code = code_in(sms_outbox[-1])
    assert code not in everything_in(waiting)
    assert code in crypto.open_sealed(waiting.body_sealed)  # encrypted, with the pipeline's key
    sent = OutboxMessage.objects.get(pk=waiting.pk)
    assert sent.status == MessageStatus.DELIVERED and sent.body == "" and sent.body_sealed == ""
    assert code not in everything_in(sent)
    assert OneTimeCode.objects.select_related("message").get(pk=row.pk).delivery == OneTimeCode.Delivery.SENT


def test_a_code_whose_task_runs_after_its_lifetime_is_never_sent_and_is_wiped(citizen, sms_outbox,
                                                                             django_capture_on_commit_callbacks):
    row, run_task = issue(citizen, django_capture_on_commit_callbacks)
    with time_machine.travel(row.expires_at, tick=False):  # the worker picks it up at its last instant: too late
        run_task()
    assert sms_outbox == []
    message = OutboxMessage.objects.get(pk=row.message_id)
    assert message.status == MessageStatus.EXPIRED and message.body_sealed == "" and message.attempts == 1
    assert OneTimeCode.objects.select_related("message").get(pk=row.pk).delivery == OneTimeCode.Delivery.FAILED


def test_a_code_is_retried_only_within_its_lifetime(citizen, sms_outbox, gateway_down, settings):
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        row = services.otp_issue(user=citizen, purpose=OtpPurpose.LOGIN, challenge=uuid.uuid4(), client_address=IP)
    message = OutboxMessage.objects.get(pk=row.message_id)
    # Each try is scheduled only if it comes before the code's end; then the code has expired.
    lifetime = settings.OTP_VALIDITY.total_seconds()
    within = [delay for delay in settings.NOTIFY_RETRY_DELAYS if delay < lifetime]
    assert [entry.get("retry_in") for entry in message.history] == [*within, None]
    assert message.status == MessageStatus.EXPIRED and message.body_sealed == "" and sms_outbox == []


def test_the_sweeper_expires_a_code_whose_task_never_ran(citizen, sms_outbox, django_capture_on_commit_callbacks):
    row, _lost = issue(citizen, django_capture_on_commit_callbacks)  # the broker lost it
    assert delivery.outbox_sweep().expired == 0  # still alive: left to its task
    counts = delivery.outbox_sweep(now=row.expires_at + timedelta(seconds=1))
    assert counts.expired == 1 and counts.requeued == 0
    message = OutboxMessage.objects.get(pk=row.message_id)
    assert message.status == MessageStatus.EXPIRED and message.body_sealed == "" and sms_outbox == []


def test_the_registration_page_says_the_code_could_not_be_sent_in_time_and_offers_a_new_one(
        client, person_factory, sms_outbox, django_capture_on_commit_callbacks, committed):
    person = person_factory()
    client.cookies["absher_language"] = "en"
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("accounts:register"), {
            "national_id": person.national_id, "mobile": "512345671", "username": "Late2026x",
            "password1": "Riyadh2026x", "password2": "Riyadh2026x", "email": "l@example.com",
            "email2": "l@example.com", "language": "en", "captcha_0": "x", "captcha_1": "PASSED", "terms": "on",
        })
    assert response.status_code == 302 and len(callbacks) == 1
    later = timezone.now() + timedelta(minutes=6)
    with time_machine.travel(later, tick=False):
        callbacks[0]()  # the worker only now gets to it: the code is past its lifetime
        page = client.get(response.url)
        assert sms_outbox == [] and page.context["delivery_failed"] is True
        assert "We could not send the SMS" in page.content.decode()
        assert reverse("accounts:register-resend") in page.content.decode()
        with committed():
            client.post(reverse("accounts:register-resend"))
        assert len(sms_outbox) == 1 and client.get(response.url).context["delivery_failed"] is False
        with committed():
            client.post(response.url, {"code": code_in(sms_outbox[-1])})
    assert User.objects.get(username="Late2026x").state == AccountState.REGISTERED


def test_the_page_says_when_the_sms_is_late_and_being_retried(client, person_factory, django_capture_on_commit_callbacks):
    person = person_factory()
    client.cookies["absher_language"] = "en"
    with django_capture_on_commit_callbacks():
        response = client.post(reverse("accounts:register"), {
            "national_id": person.national_id, "mobile": "512345672", "username": "Slow2026x",
            "password1": "Riyadh2026x", "password2": "Riyadh2026x", "email": "s@example.com",
            "email2": "s@example.com", "language": "en", "captcha_0": "x", "captcha_1": "PASSED", "terms": "on",
        })
    # Where a worker leaves the message after a failure, waiting for its next try (eager tasks retry at once).
    code = OneTimeCode.objects.get(user__username="Slow2026x")
    OutboxMessage.objects.filter(pk=code.message_id).update(status=MessageStatus.TEMPORARY_FAILURE, attempts=1)
    page = client.get(response.url)
    assert page.context["delivery_late"] is True and page.context["delivery_failed"] is False
    assert "The SMS is late: we are trying again." in page.content.decode()


# --- the key ----------------------------------------------------------------------------------


def test_the_key_comes_from_the_environment_and_rotates(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.NOTIFY_ENCRYPTION_KEY = old
    token = crypto.seal("رمزك 123456")
    assert Fernet(old.encode()).decrypt(token.encode()).decode() == "رمزك 123456"
    settings.NOTIFY_ENCRYPTION_KEY = f"{new},{old}"  # rotation: the new one encrypts, both open
    assert crypto.open_sealed(token) == "رمزك 123456"
    assert Fernet(new.encode()).decrypt(crypto.seal("x").encode()) == b"x"
    settings.NOTIFY_ENCRYPTION_KEY = new
    with pytest.raises(crypto.InvalidToken):
        crypto.open_sealed(token)


def test_development_derives_a_key_from_the_secret_key(settings):
    settings.NOTIFY_ENCRYPTION_KEY = ""
    token = crypto.seal("123456")
    assert crypto.open_sealed(token) == "123456"
    settings.SECRET_KEY = settings.SECRET_KEY + "-another"
    with pytest.raises(crypto.InvalidToken):
        crypto.open_sealed(token)


def test_a_message_whose_key_was_rotated_away_is_a_technical_failure(settings, sms_outbox, committed):
    from absher.notifications.services import message_enqueue

    settings.NOTIFY_ENCRYPTION_KEY = Fernet.generate_key().decode()
    with committed() as callbacks:
        message = message_enqueue(to="+966512345600", language="en", purpose="otp.login", render=lambda: "code 123456",
                                  secret=True, expires_at=timezone.now() + timedelta(minutes=5))
        settings.NOTIFY_ENCRYPTION_KEY = Fernet.generate_key().decode()
    assert len(callbacks) == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.TECHNICAL_FAILURE and message.body_sealed == "" and sms_outbox == []


def test_checks_want_a_valid_key_and_one_of_its_own_in_a_deployment(settings):
    settings.NOTIFY_ENCRYPTION_KEY = "not-a-key"
    assert "notify.E002" in {e.id for e in run_checks()}
    settings.NOTIFY_ENCRYPTION_KEY = ""
    assert "notify.E001" in {e.id for e in run_checks(include_deployment_checks=True)}
    settings.NOTIFY_ENCRYPTION_KEY = Fernet.generate_key().decode()
    ids = {e.id for e in run_checks(include_deployment_checks=True)}
    assert not {"notify.E001", "notify.E002"} & ids


def test_a_twilio_deployment_is_told_to_set_the_receipts_url(settings):
    settings.SMS_BACKEND = "absher.sms.backends.twilio.SmsBackend"
    settings.NOTIFY_CALLBACK_BASE_URL = ""
    assert "notify.W001" in {e.id for e in run_checks(include_deployment_checks=True)}
    settings.NOTIFY_CALLBACK_BASE_URL = "https://absher.example"
    assert "notify.W001" not in {e.id for e in run_checks(include_deployment_checks=True)}


def test_production_refuses_to_start_without_the_encryption_key():
    import subprocess
    import sys
    from pathlib import Path

    from tests.test_security import production_env

    env = {k: v for k, v in production_env().items() if k != "NOTIFY_ENCRYPTION_KEY"}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=Path(__file__).resolve().parents[2], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "NOTIFY_ENCRYPTION_KEY" in result.stderr
