"""Account services against the database: codes, registration, sign-in, lockout, audit."""

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection, transaction

from absher.models import AuditEvent
from absher.sms.backends import locmem
from accounts import services
from accounts.exceptions import (
    AccountSuspended,
    IdentifierTaken,
    InvalidCredentials,
    LoginBlocked,
    OtpRejected,
    OtpSendRefused,
    PhoneNotConfirmed,
    RegistrationRefused,
    ResetNoMatch,
)
from accounts.models import AccountState, OneTimeCode, OtpPurpose, User
from tests.conftest import code_in, require_postgres

pytestmark = pytest.mark.django_db
IP = "192.0.2.10"
T0 = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)


def registration_data(person, **overrides):
    values = {
        "national_id": person.national_id,
        "mobile": "+966512345678",
        "username": "Newcomer2026",
        "password": "Riyadh2026x",
        "email": "new@example.com",
        "language": "ar",
    }
    values.update(overrides)
    return services.RegistrationData(**values)


def issue(user, purpose=OtpPurpose.LOGIN, challenge=None, ip=IP):
    """Send a code as a service would, and let the commit deliver the SMS."""
    from django.test import TestCase

    challenge = challenge or uuid.uuid4()
    with TestCase.captureOnCommitCallbacks(execute=True), transaction.atomic():
        services.otp_issue(user=user, purpose=purpose, challenge=challenge, client_address=ip)
    return challenge


def resend(user, challenge, ip=IP):
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        services.otp_resend(user=user, purpose=OtpPurpose.LOGIN, challenge=challenge, client_address=ip)


# --- registration ---


def test_registration_creates_pending_account_and_sends_code_after_commit(person_factory, django_capture_on_commit_callbacks):
    person = person_factory()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        user, challenge = services.registration_start(data=registration_data(person), client_address=IP)
    assert len(callbacks) == 1
    # Until the code, the registration holds the ID it names apart: it is nobody's account yet.
    assert user.state == AccountState.PENDING_PHONE and user.pending_person == person and user.person is None
    assert user.terms_version and user.terms_accepted_at
    assert locmem.outbox[-1].to == "+966512345678"
    code = code_in(locmem.outbox[-1])
    # Only a keyed hash is stored, never the code.
    row = OneTimeCode.objects.get(challenge=challenge)
    assert code not in row.digest and row.delivery == OneTimeCode.Delivery.SENT
    services.registration_confirm(user_id=user.pk, challenge=challenge, code=code, client_address=IP)
    user.refresh_from_db()
    assert user.state == AccountState.REGISTERED and user.phone_confirmed_at
    assert user.person == person and user.pending_person is None
    assert list(user.state_changes.values_list("to_state", flat=True)) == ["registered", "pending_phone"]


def test_no_sms_when_the_registration_rolls_back(person_factory, django_capture_on_commit_callbacks):
    person = person_factory()
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        services.registration_start(data=registration_data(person), client_address=IP)
        raise RuntimeError("a fault after the service")
    assert callbacks == [] and locmem.outbox == []
    assert not User.objects.exists()


def test_registration_refusals_are_codes(person_factory, user_factory):
    deceased = person_factory(status="deceased")
    with pytest.raises(RegistrationRefused) as error:
        services.registration_start(data=registration_data(deceased), client_address=IP)
    assert error.value.code == "not_living"
    taken = user_factory(mobile="+966512345678")
    with pytest.raises(IdentifierTaken) as error:
        services.registration_start(data=registration_data(person_factory()), client_address=IP)
    assert error.value.field == "mobile"
    with pytest.raises(IdentifierTaken) as error:
        services.registration_start(
            data=registration_data(person_factory(), mobile="+966512345679", username=taken.username.upper()),
            client_address=IP,
        )
    assert error.value.field == "username"


def test_unconfirmed_registration_expires_after_24_hours_and_frees_everything(person_factory):
    person = person_factory()
    with time_machine.travel(T0, tick=False):
        user, _ = services.registration_start(data=registration_data(person), client_address=IP)
    with time_machine.travel(T0 + timedelta(hours=23, minutes=59), tick=False):
        assert services.expire_pending_registrations() == 0
    with time_machine.travel(T0 + timedelta(hours=24), tick=False):
        assert services.expire_pending_registrations() == 1
        assert services.expire_pending_registrations() == 0  # idempotent
        assert not User.objects.filter(pk=user.pk).exists()
        again, _ = services.registration_start(data=registration_data(person), client_address="192.0.2.11")
    assert again.username == "Newcomer2026"
    assert AuditEvent.objects.filter(action="registration_expired").count() == 1


def test_expire_registrations_command(person_factory):
    from django.core.management import call_command

    with time_machine.travel(T0, tick=False):
        services.registration_start(data=registration_data(person_factory()), client_address=IP)
    with time_machine.travel(T0 + timedelta(days=2), tick=False):
        call_command("expire_registrations")
    assert not User.objects.exists()


# --- codes ---


def test_code_expiry_edge(user_factory, last_code):
    user = user_factory()
    with time_machine.travel(T0, tick=False):
        challenge = issue(user)
    code = last_code()
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False), pytest.raises(OtpRejected) as error:
        services.login_complete(user_id=user.pk, challenge=challenge, code=code, client_address=IP)
    assert error.value.code == "expired"
    # A fresh code is accepted at 4:59.
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        challenge = issue(user)
    code = last_code()
    with time_machine.travel(T0 + timedelta(minutes=14, seconds=59), tick=False):
        assert services.login_complete(user_id=user.pk, challenge=challenge, code=code, client_address=IP) == user


def test_fifth_wrong_code_voids_it_and_replay_fails(user_factory, last_code):
    user = user_factory()
    challenge = issue(user)
    code = last_code()
    wrong = "000000" if code != "000000" else "111111"
    remaining = []
    for _ in range(5):
        with pytest.raises(OtpRejected) as error:
            services.login_complete(user_id=user.pk, challenge=challenge, code=wrong, client_address=IP)
        remaining.append((error.value.code, error.value.remaining))
    assert remaining == [("wrong", 4), ("wrong", 3), ("wrong", 2), ("wrong", 1), ("exhausted", 0)]
    with pytest.raises(OtpRejected) as error:
        services.login_complete(user_id=user.pk, challenge=challenge, code=code, client_address=IP)
    assert error.value.code == "exhausted"
    assert AuditEvent.objects.filter(action="otp_failed", subject=user).count() == 6


def test_a_code_is_single_use(user_factory, last_code):
    user = user_factory()
    challenge = issue(user)
    code = last_code()
    services.login_complete(user_id=user.pk, challenge=challenge, code=code, client_address=IP)
    with pytest.raises(OtpRejected) as error:
        services.login_complete(user_id=user.pk, challenge=challenge, code=code, client_address=IP)
    assert error.value.code == "used"


def test_a_code_is_bound_to_user_purpose_and_challenge(user_factory, last_code):
    alice, bob = user_factory(), user_factory()
    challenge = issue(alice)
    code = last_code()
    with pytest.raises(OtpRejected):
        services.login_complete(user_id=bob.pk, challenge=challenge, code=code, client_address=IP)
    with pytest.raises(OtpRejected):
        services.password_reset_verify(user_id=alice.pk, challenge=challenge, code=code, client_address=IP)
    with pytest.raises(OtpRejected):
        services.login_complete(user_id=alice.pk, challenge=uuid.uuid4(), code=code, client_address=IP)
    assert services.login_complete(user_id=alice.pk, challenge=challenge, code=code, client_address=IP) == alice


def test_a_new_code_voids_the_previous_one(user_factory, last_code):
    user = user_factory()
    with time_machine.travel(T0, tick=False):
        challenge = issue(user)
        first = last_code()
    with time_machine.travel(T0 + timedelta(seconds=61), tick=False):
        resend(user, challenge)
        second = last_code()
        if first != second:
            with pytest.raises(OtpRejected):
                services.login_complete(user_id=user.pk, challenge=challenge, code=first, client_address=IP)
        assert services.login_complete(user_id=user.pk, challenge=challenge, code=second, client_address=IP)


def test_send_limits_cooldown_and_caps(user_factory):
    user = user_factory()
    challenge = uuid.uuid4()
    with time_machine.travel(T0, tick=False):
        issue(user, challenge=challenge)
        with pytest.raises(OtpSendRefused) as error:
            services.otp_resend(user=user, purpose=OtpPurpose.LOGIN, challenge=challenge, client_address=IP)
        assert error.value.code == "cooldown" and error.value.retry_at == T0 + timedelta(seconds=60)
    for seconds in (60, 120):
        with time_machine.travel(T0 + timedelta(seconds=seconds), tick=False):
            resend(user, challenge)
    with time_machine.travel(T0 + timedelta(seconds=180), tick=False):
        with pytest.raises(OtpSendRefused) as error:
            services.otp_resend(user=user, purpose=OtpPurpose.LOGIN, challenge=challenge, client_address=IP)
        assert error.value.code == "mobile_15_min"
    assert len(locmem.outbox) == 3


def test_per_address_cap_counts_across_mobiles(user_factory):
    users = [user_factory() for _ in range(21)]
    with time_machine.travel(T0, tick=False):
        for user in users[:20]:
            issue(user)
        with pytest.raises(OtpSendRefused) as error:
            issue(users[20])
    assert error.value.code == "address_hour"


def test_gateway_failure_is_recorded_and_loses_nothing(person_factory, django_capture_on_commit_callbacks, settings):
    # The gateway is down for the code's whole lifetime: the task tries while the code lives, then gives up.
    locmem.fail_next.extend([True] * (1 + len(settings.NOTIFY_RETRY_DELAYS)))
    with django_capture_on_commit_callbacks(execute=True):
        user, challenge = services.registration_start(data=registration_data(person_factory()), client_address=IP)
    assert locmem.outbox == []
    code = OneTimeCode.objects.select_related("message").get(challenge=challenge)
    assert code.delivery == OneTimeCode.Delivery.FAILED
    assert code.message.status == "expired" and code.message.body_sealed == "" and code.message.body == ""
    assert User.objects.filter(pk=user.pk, state=AccountState.PENDING_PHONE).exists()


def test_sms_is_in_the_recipients_language(user_factory, sms_outbox):
    issue(user_factory(preferred_language="en"))
    english = sms_outbox[-1].body
    issue(user_factory(preferred_language="ar"))
    arabic = sms_outbox[-1].body
    assert "code" in english.lower()
    assert english != arabic


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_submissions_of_one_code_give_one_success(user_factory, last_code):
    require_postgres("row locks")
    user = user_factory()
    challenge = issue(user)
    code = last_code()
    barrier = threading.Barrier(10)
    results = []

    def submit():
        try:
            barrier.wait()
            services.login_complete(user_id=user.pk, challenge=challenge, code=code, client_address=IP)
            results.append("ok")
        except OtpRejected as exc:
            results.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count("ok") == 1 and len(results) == 10


# --- signing in and lockout ---


def test_login_by_username_any_case_or_id(user_factory, last_code):
    user = user_factory(username="Faisal2026x")
    for identifier in ("Faisal2026x", "faisal2026X", user.national_id):
        challenge = services.login_begin(identifier=identifier, password="GoodPass2026", client_address=IP)
        assert challenge.user_id == user.pk
        OneTimeCode.objects.update(created_at=T0)  # out of the resend window for the next round


def test_wrong_username_and_wrong_password_get_the_same_outcome(user_factory):
    user_factory(username="Faisal2026x")
    with pytest.raises(InvalidCredentials) as unknown:
        services.login_begin(identifier="Nobody2026x", password="GoodPass2026", client_address=IP)
    with pytest.raises(InvalidCredentials) as wrong:
        services.login_begin(identifier="Faisal2026x", password="WrongPass2026", client_address=IP)
    assert unknown.value.message() == wrong.value.message()


def test_lockout_counts_username_and_id_together(user_factory):
    user = user_factory(username="Faisal2026x")
    identifiers = ["Faisal2026x", user.national_id, "FAISAL2026X"]
    with time_machine.travel(T0, tick=False):
        for attempt in range(9):
            with pytest.raises(InvalidCredentials):
                services.login_begin(identifier=identifiers[attempt % 3], password="nope", client_address=f"192.0.2.{attempt}")
        with pytest.raises(LoginBlocked) as error:
            services.login_begin(identifier=user.national_id, password="nope", client_address="192.0.2.50")
        assert error.value.until == T0 + timedelta(minutes=15)
        # While locked, even the right password is not processed.
        with pytest.raises(LoginBlocked):
            services.login_begin(identifier="faisal2026x", password="GoodPass2026", client_address="192.0.2.51")
    with time_machine.travel(T0 + timedelta(minutes=15), tick=False):
        assert services.login_begin(identifier="Faisal2026x", password="GoodPass2026", client_address=IP)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"login_failed", "account_locked", "login_refused_locked", "login_password_ok"} <= actions


def test_suspended_and_pending_accounts(user_factory):
    suspended = user_factory(state=AccountState.SUSPENDED, is_active=False)
    pending = user_factory(state=AccountState.PENDING_PHONE)
    with pytest.raises(AccountSuspended):
        services.login_begin(identifier=suspended.username, password="GoodPass2026", client_address=IP)
    with pytest.raises(PhoneNotConfirmed):
        services.login_begin(identifier=pending.username, password="GoodPass2026", client_address=IP)


def test_password_reset_flow(user_factory, last_code, committed):
    user = user_factory()
    with pytest.raises(ResetNoMatch):
        services.password_reset_begin(national_id=user.national_id, mobile="+966599999999", client_address=IP)
    with committed():
        challenge = services.password_reset_begin(national_id=user.national_id, mobile=user.mobile, client_address=IP)
    services.password_reset_verify(user_id=user.pk, challenge=challenge.challenge, code=last_code(), client_address=IP)
    services.password_reset_complete(user_id=user.pk, challenge=challenge.challenge, new_password="NewPass2026x", client_address=IP)
    user.refresh_from_db()
    assert user.check_password("NewPass2026x")
    from accounts.exceptions import ResetNotVerified

    with pytest.raises(ResetNotVerified):
        services.password_reset_complete(user_id=user.pk, challenge=challenge.challenge, new_password="Other2026xy", client_address=IP)


# --- states and audit ---


def test_activation_suspension_and_reinstatement_are_recorded(user_factory, django_capture_on_commit_callbacks):
    staff = user_factory(is_staff=True, state=AccountState.ACTIVE)
    user = user_factory()
    with django_capture_on_commit_callbacks(execute=True):
        services.account_activate(user=user, actor=staff, method="in_person", reason="ID card seen")
        services.account_suspend(user=user, actor=staff, reason="reported stolen phone")
        services.account_reinstate(user=user, actor=staff, reason="owner came in person")
    user.refresh_from_db()
    assert user.state == AccountState.ACTIVE and user.is_active and user.activation_method == "in_person"
    changes = list(user.state_changes.order_by("id").values_list("from_state", "to_state", "actor", "reason"))
    assert changes == [
        ("registered", "active", staff.pk, "ID card seen"),
        ("active", "suspended", staff.pk, "reported stolen phone"),
        ("suspended", "active", staff.pk, "owner came in person"),
    ]
    assert len(locmem.outbox) == 3


def test_invalid_transition_is_refused(user_factory):
    from accounts.exceptions import InvalidTransition

    pending = user_factory(state=AccountState.PENDING_PHONE)
    with pytest.raises(InvalidTransition):
        services.account_activate(user=pending, actor=None, method="in_person")


def test_audit_never_holds_a_secret(user_factory, last_code, committed):
    from absher.audit import audit_record

    user = user_factory()
    with committed():
        challenge = services.login_begin(identifier=user.username, password="GoodPass2026", client_address=IP)
    code = last_code()
    services.login_complete(user_id=user.pk, challenge=challenge.challenge, code=code, client_address=IP)
    dumped = " ".join(str(row) for row in AuditEvent.objects.values())
    assert "GoodPass2026" not in dumped and code not in dumped
    with pytest.raises(ValueError):
        audit_record(action="x", code="123456")


def test_audit_rows_cannot_be_changed_on_postgres(user_factory):
    require_postgres("the append-only trigger")
    from django.db import DatabaseError

    from absher.audit import audit_record

    event = audit_record(action="test_event", subject=user_factory())
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="tampered")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "test_event"


def test_a_shared_device_has_its_own_higher_address_caps(user_factory, settings):
    """A kiosk serves many citizens from one address: 20 codes an hour would stop it by mid-morning."""
    settings.OTP_MAX_PER_SHARED_DEVICE_HOUR = 25
    users = [user_factory() for _ in range(26)]
    with time_machine.travel(T0, tick=False):
        for user in users[:25]:
            with transaction.atomic():
                services.otp_issue(user=user, purpose=OtpPurpose.LOGIN, challenge=uuid.uuid4(), client_address=IP,
                                   shared_device=True)
        with pytest.raises(OtpSendRefused) as error, transaction.atomic():
            services.otp_issue(user=users[25], purpose=OtpPurpose.LOGIN, challenge=uuid.uuid4(), client_address=IP,
                               shared_device=True)
    assert error.value.code == "address_hour"


def test_a_shared_device_counts_failed_sign_ins_with_its_own_limit(user_factory, settings):
    settings.LOGIN_SHARED_DEVICE_FAILURE_LIMIT = 60
    users = [user_factory() for _ in range(8)]
    with time_machine.travel(T0, tick=False):
        for i in range(55):
            with pytest.raises(InvalidCredentials):
                services.login_begin(identifier=users[i % 8].username, password="nope", client_address=IP, shared_device=True)
        # The same failures from an ordinary address lock it at the 50th.
        others = [user_factory() for _ in range(8)]
        outcomes = []
        for i in range(55):
            try:
                services.login_begin(identifier=others[i % 8].username, password="nope", client_address="192.0.2.200")
            except InvalidCredentials:
                outcomes.append("invalid")
            except LoginBlocked:
                outcomes.append("blocked")
        assert outcomes.index("blocked") == 49
