"""Account actions: each one transaction, with its audit row; SMS as outbox rows in it, sent by a task after commit."""

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from absher.audit import audit_record
from absher.notifications.services import message_enqueue
from civil_affairs.models import Person
from civil_affairs.selectors import age_calendar

from . import lockout, otp, rules, selectors
from .exceptions import (
    AccountSuspended,
    ClaimNotPossible,
    IdentifierTaken,
    InvalidCredentials,
    LoginBlocked,
    LookupsExhausted,
    OtpRejected,
    OtpSendRefused,
    PhoneNotConfirmed,
    RegistrationRefused,
    RegistrationVoided,
    ResetNoMatch,
    ResetNotVerified,
)
from .models import AccountState, AccountStateChange, LoginThrottle, OneTimeCode, OtpPurpose, User
from .notifications import code_text, notice_text
from .states import ensure_transition

# --- one-time codes ---------------------------------------------------------------------


def otp_policy() -> otp.OtpPolicy:
    return otp.OtpPolicy(
        length=settings.OTP_LENGTH,
        validity=settings.OTP_VALIDITY,
        max_attempts=settings.OTP_MAX_ATTEMPTS,
        resend_cooldown=settings.OTP_RESEND_COOLDOWN,
        per_mobile_15_min=settings.OTP_MAX_PER_MOBILE_15_MIN,
        per_mobile_day=settings.OTP_MAX_PER_MOBILE_DAY,
        per_address_hour=settings.OTP_MAX_PER_ADDRESS_HOUR,
    )


def _otp_key() -> bytes:
    if settings.OTP_HMAC_KEY:
        return settings.OTP_HMAC_KEY.encode()
    return hashlib.sha256(b"absher-otp-key|" + settings.SECRET_KEY.encode()).digest()


def _digest(code: str, *, user_id: int, purpose: str, challenge) -> str:
    return otp.code_digest(key=_otp_key(), code=code, user_id=user_id, purpose=purpose, challenge=str(challenge))


def _sms(user: User, kind: str, *, to: str | None = None) -> None:
    """An SMS about the account (to its mobile, or to `to`), in its language, sent after the commit."""
    to = to or user.mobile
    if to:
        message_enqueue(
            to=to, language=user.preferred_language, purpose=f"accounts.{kind}", user=user,
            render=partial(notice_text, kind),
        )


def _notify(user: User, kind: str) -> None:
    _sms(user, kind)


def otp_issue(
    *, user: User, purpose: str, challenge, client_address: str, now: datetime | None = None, shared_device: bool = False
) -> OneTimeCode:
    """Send a new code for this challenge (voiding the one before), within the send limits.

    `shared_device`: the request comes from a provisioned device that many citizens use (a
    kiosk), whose one address would otherwise reach the per-address cap within the hour.
    Runs inside the caller's transaction; the SMS leaves when it commits.
    """
    now = now or timezone.now()
    policy = otp_policy()
    if shared_device:
        policy = otp.replace(policy, per_address_hour=settings.OTP_MAX_PER_SHARED_DEVICE_HOUR)
    # One sender at a time per account; a registration voided meanwhile gets no code.
    if User.objects.select_for_update().filter(pk=user.pk).only("pk").first() is None:
        raise RegistrationVoided()
    mobile_sends = list(
        OneTimeCode.objects.filter(mobile=user.mobile, created_at__gt=now - otp.timedelta(days=1)).values_list(
            "created_at", flat=True
        )
    )
    # The cooldown is between resends of one challenge; a new sign-in is bounded by the caps.
    last_same = (
        OneTimeCode.objects.filter(challenge=challenge)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    address_sends = list(
        OneTimeCode.objects.filter(
            client_address=client_address, created_at__gt=now - otp.timedelta(hours=1)
        ).values_list("created_at", flat=True)
    )
    decision = otp.send_decision(
        now=now,
        last_sent_same_challenge=last_same,
        mobile_sends_last_day=mobile_sends,
        address_sends_last_hour=address_sends,
        policy=policy,
    )
    if not decision.allowed:
        raise OtpSendRefused(decision.reason, decision.retry_at)
    OneTimeCode.objects.filter(challenge=challenge, used_at=None, voided_at=None).update(voided_at=now)
    code = otp.generate_code(policy.length)
    minutes = int(policy.validity.total_seconds() // 60)
    # The SMS waits in the outbox encrypted, is wiped once sent, and is never sent after the
    # code's end (absher.notifications); the code itself is kept only as a keyed hash.
    message = message_enqueue(
        to=user.mobile, language=user.preferred_language, purpose=f"otp.{purpose}", user=user,
        render=partial(code_text, purpose, code, minutes), secret=True, expires_at=now + policy.validity,
    )
    row = OneTimeCode.objects.create(
        user=user,
        purpose=purpose,
        challenge=challenge,
        mobile=user.mobile,
        client_address=client_address or None,
        digest=_digest(code, user_id=user.pk, purpose=purpose, challenge=challenge),
        created_at=now,
        expires_at=now + policy.validity,
        message=message,
    )
    audit_record(action="otp_sent", subject=user, client_address=client_address, purpose=purpose)
    return row


def _consume_code(*, user_id: int, purpose: str, challenge, code: str, client_address: str, now: datetime) -> otp.Attempt:
    """Judge a submitted code inside the caller's transaction; never raises for a wrong code."""
    row = (
        OneTimeCode.objects.select_for_update()
        .filter(challenge=challenge, purpose=purpose, user_id=user_id)
        .order_by("-created_at", "-id")
        .first()
    )
    if row is None:
        return otp.Attempt(otp.EXHAUSTED, 0, 0, True)
    matches = hmac.compare_digest(row.digest, _digest(code, user_id=user_id, purpose=purpose, challenge=challenge))
    state = otp.CodeState(row.expires_at, row.attempts, row.used_at is not None, row.voided_at is not None)
    result = otp.check_attempt(state, matches=matches, now=now, policy=otp_policy())
    if result.outcome == otp.ACCEPTED:
        # The conditional update is what makes a code single-use under concurrent submissions.
        if not OneTimeCode.objects.filter(pk=row.pk, used_at=None).update(used_at=now):
            result = otp.Attempt(otp.USED, row.attempts, 0, True)
    else:
        OneTimeCode.objects.filter(pk=row.pk).update(
            attempts=result.attempts, voided_at=row.voided_at or (now if result.void else None)
        )
    if result.outcome != otp.ACCEPTED:
        audit_record(
            action="otp_failed",
            subject=row.user,
            client_address=client_address,
            purpose=purpose,
            outcome=result.outcome,
        )
    return result


def otp_resend(*, user: User, purpose: str, challenge, client_address: str, shared_device: bool = False) -> OneTimeCode:
    with transaction.atomic():
        return otp_issue(
            user=user, purpose=purpose, challenge=challenge, client_address=client_address, shared_device=shared_device
        )


# --- registration -----------------------------------------------------------------------


def _lookup_policy(*, shared_device: bool) -> lockout.LockoutPolicy:
    cap = settings.OTP_MAX_PER_SHARED_DEVICE_HOUR if shared_device else settings.OTP_MAX_PER_ADDRESS_HOUR
    return lockout.LockoutPolicy(max_processed_per_hour=cap, hourly=True)


def lookup_spend(*, client_address: str, now: datetime | None = None, shared_device: bool = False) -> None:
    """Count one answer about an ID number or a mobile for this client address (QUALITY 25).

    The cap is the per-address cap of codes, OTP_MAX_PER_ADDRESS_HOUR (a kiosk's own with
    `shared_device`), counted in the sign-in throttle table. Past it, LookupsExhausted says until
    when, and the caller looks nothing up. Its own transaction: the count stays, whatever the
    answer turns out to be.
    """
    now = now or timezone.now()
    policy = _lookup_policy(shared_device=shared_device)
    with transaction.atomic():
        row, state = _throttle(f"lookups:{client_address}")
        until = lockout.blocked_until(state, now=now, policy=policy)
        if until is None:
            _save_throttle(row, lockout.after_use(state, now=now))
        else:
            audit_record(action="lookups_refused", client_address=client_address, until=until.isoformat())
    if until is not None:
        raise LookupsExhausted(until)


@dataclass(frozen=True)
class RegistrationData:
    national_id: str
    mobile: str  # E.164
    username: str
    password: str
    email: str
    language: str


def _registrant_facts(person: Person | None) -> rules.RegistrantFacts | None:
    if person is None:
        return None
    account_state = selectors.accounts().filter(person=person).values_list("state", flat=True).first()
    return rules.RegistrantFacts(
        kind=person.kind,
        status=person.status,
        birth_date=person.birth_date,
        national_id_issued=person.national_id_issued,
        iqama_expiry=person.iqama_expiry,
        has_account=account_state is not None,
        age_calendar=age_calendar(person),
        account_claimable=account_state == AccountState.REGISTERED,
    )


def registration_check(*, national_id: str, today: date) -> rules.RegistrationDecision:
    """The registry checks on an ID number (demo data; the register page goes through registration_start)."""
    return rules.registration_decision(_registrant_facts(Person.objects.filter(national_id=national_id).first()), today=today)


def _record_state(user: User, from_state: str, to_state: str, *, actor=None, reason: str = "", client_address=None):
    ensure_transition(from_state, to_state)
    user.state = to_state
    AccountStateChange.objects.create(user=user, from_state=from_state, to_state=to_state, actor=actor, reason=reason)
    audit_record(
        action="account_state_changed",
        actor=actor,
        subject=user,
        client_address=client_address,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
    )


def registration_start(
    *, data: RegistrationData, client_address: str, today: date | None = None, shared_device: bool = False
) -> tuple[User, uuid.UUID]:
    """Check the ID number, the mobile and the username, create the `pending_phone` registration
    and send its code.

    Each call answers about an ID number and a mobile, so it is counted first (lookup_spend:
    past the per-address cap nothing is looked up). A pending registration holds nothing: another
    one for the same ID number, mobile or username may start; the first confirmed wins.
    """
    today = today or timezone.localdate()
    now = timezone.now()
    lookup_spend(client_address=client_address, now=now, shared_device=shared_device)
    with transaction.atomic():
        person = Person.objects.filter(national_id=data.national_id).first()
        decision = rules.registration_decision(_registrant_facts(person), today=today)
        if not decision.allowed:
            raise RegistrationRefused(decision.code, decision.eligible_from)
        if selectors.mobile_taken(data.mobile):
            raise IdentifierTaken("mobile")
        if selectors.username_taken(data.username):
            raise IdentifierTaken("username")
        user = User(
            username=data.username,
            email=data.email,
            mobile=data.mobile,
            pending_person=person,
            preferred_language=data.language,
            state="",
            terms_version=settings.TERMS_VERSION,
            terms_accepted_at=now,
        )
        user.set_password(data.password)
        user.save()
        _record_state(user, "", AccountState.PENDING_PHONE, client_address=client_address)
        user.save(update_fields=["state"])
        audit_record(action="registered", subject=user, client_address=client_address, terms_version=settings.TERMS_VERSION)
        challenge = uuid.uuid4()
        otp_issue(
            user=user, purpose=OtpPurpose.REGISTRATION, challenge=challenge, client_address=client_address, now=now,
            shared_device=shared_device,
        )
    return user, challenge


def _registration_void(user: User, *, action: str, now: datetime, client_address=None, **details) -> None:
    """Delete a pending registration with its unused codes, recorded (inside the caller's transaction)."""
    OneTimeCode.objects.filter(user=user, used_at=None, voided_at=None).update(voided_at=now)
    audit_record(action=action, subject=user, client_address=client_address, **details)
    user.delete()


def _registrations_void(query: Q, *, now: datetime, client_address=None, **details) -> int:
    """Void the pending registrations `query` names: an account now holds their ID, mobile or username."""
    count = 0
    for rival in User.objects.select_for_update().filter(query, state=AccountState.PENDING_PHONE).order_by("pk"):
        _registration_void(rival, action="registration_voided", now=now, client_address=client_address, **details)
        count += 1
    return count


def _identifiers_taken(user: User) -> bool:
    """Whether an account (not `user`) already holds the ID number, mobile or username `user` names."""
    return (
        selectors.mobile_taken(user.mobile, exclude_pk=user.pk)
        or selectors.username_taken(user.username, exclude_pk=user.pk)
        or selectors.accounts().filter(person_id=user.registration_person_id).exclude(pk=user.pk).exists()
    )


def registration_confirm(*, user_id: int, challenge, code: str, client_address: str) -> User:
    """The code proves the mobile: the registration becomes a `registered` account for its ID
    number, and every other pending registration for the same ID number, mobile or username is
    voided with its codes, in this one transaction (QUALITY 26).

    Raises OtpRejected for a wrong code, RegistrationVoided when the registration is gone (another
    was confirmed first, or it expired) or an account took its ID, mobile or username meanwhile.
    """
    now = timezone.now()
    refusal = None
    result = None
    with transaction.atomic():
        pending = selectors.pending_registrations().filter(pk=user_id).first()
        # The registration and its rivals are locked in one order, so that two confirming at once take turns.
        locked = {}
        if pending is not None:
            rows = User.objects.select_for_update().filter(Q(pk=user_id) | selectors.rival_registrations(pending))
            locked = {row.pk: row for row in rows.order_by("pk")}
        user = locked.get(user_id)
        if user is None:
            # Confirmed already (a second tab), or voided: another registration was confirmed first.
            confirmed = User.objects.filter(pk=user_id).exists()
            refusal = OtpRejected(otp.USED) if confirmed else RegistrationVoided()
        else:
            result = _consume_code(
                user_id=user_id, purpose=OtpPurpose.REGISTRATION, challenge=challenge, code=code,
                client_address=client_address, now=now,
            )
        if result is not None and result.outcome == otp.ACCEPTED and user.state == AccountState.PENDING_PHONE:
            if _identifiers_taken(user):
                _registration_void(user, action="registration_voided", now=now, client_address=client_address, reason="taken")
                refusal = RegistrationVoided()
            else:
                for rival in locked.values():
                    if rival.pk != user.pk and rival.state == AccountState.PENDING_PHONE:
                        _registration_void(
                            rival, action="registration_voided", now=now, client_address=client_address,
                            reason="another_confirmed", confirmed_account=user.pk,
                        )
                user.person_id, user.pending_person = user.registration_person_id, None
                _record_state(user, user.state, AccountState.REGISTERED, client_address=client_address)
                user.phone_confirmed_at = now
                user.save(update_fields=["state", "phone_confirmed_at", "person", "pending_person"])
    if refusal is not None:
        raise refusal
    if result.outcome != otp.ACCEPTED:
        raise OtpRejected(result.outcome, result.remaining)
    return user


def expire_pending_registrations(*, now: datetime | None = None) -> int:
    """Delete registrations never confirmed within REGISTRATION_PENDING_LIFETIME (idempotent).

    They block nobody meanwhile; this only keeps the table small.
    """
    now = now or timezone.now()
    stale = selectors.pending_registrations().filter(date_joined__lte=now - settings.REGISTRATION_PENDING_LIFETIME)
    count = 0
    with transaction.atomic():
        for user in stale.select_for_update(of=("self",)).order_by("pk"):
            _registration_void(user, action="registration_expired", now=now)
            count += 1
    return count


# --- signing in -------------------------------------------------------------------------


def _throttle(key: str) -> tuple[LoginThrottle, lockout.ThrottleState]:
    """The row, locked until the caller's transaction ends: keep that transaction short (no hash in it)."""
    row, _created = LoginThrottle.objects.select_for_update().get_or_create(key=key)
    return row, lockout.ThrottleState(row.failures, row.lockouts, row.locked_until, row.hour_started_at, row.processed_in_hour)


def _throttle_state(key: str) -> lockout.ThrottleState:
    """The state as it is now, read without a lock (a key never counted has a fresh state)."""
    row = (
        LoginThrottle.objects.filter(key=key)
        .values_list("failures", "lockouts", "locked_until", "hour_started_at", "processed_in_hour")
        .first()
    )
    return lockout.ThrottleState(*row) if row else lockout.ThrottleState()


def _save_throttle(row: LoginThrottle, state: lockout.ThrottleState) -> None:
    row.failures, row.lockouts, row.locked_until = state.failures, state.lockouts, state.locked_until
    row.hour_started_at, row.processed_in_hour = state.hour_started_at, state.processed_in_hour
    row.save()


def _account_policy() -> lockout.LockoutPolicy:
    return lockout.LockoutPolicy(
        limit=settings.LOGIN_FAILURE_LIMIT,
        base=settings.LOGIN_LOCKOUT_BASE,
        maximum=settings.LOGIN_LOCKOUT_MAX,
        max_processed_per_hour=settings.LOGIN_MAX_PROCESSED_PER_HOUR,
    )


def _address_policy(*, shared_device: bool = False) -> lockout.LockoutPolicy:
    limit = settings.LOGIN_SHARED_DEVICE_FAILURE_LIMIT if shared_device else settings.LOGIN_ADDRESS_FAILURE_LIMIT
    return lockout.LockoutPolicy(
        limit=limit,
        base=settings.LOGIN_LOCKOUT_BASE,
        maximum=settings.LOGIN_LOCKOUT_MAX,
        max_processed_per_hour=limit * 10,
        hourly=True,
    )


_DUMMY_HASH = None


def _equalise_timing(password: str) -> None:
    # An unknown identifier costs the same hash as a known one, so timing tells nothing. The
    # dummy is made once a process (its first unknown identifier pays one more hash).
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = make_password("not-a-real-password")
    check_password(password, _DUMMY_HASH)


def _pending_registration_of(identifier: str, password: str) -> User | None:
    """The pending registration the identifier names whose password this is, if any.

    Sign-in ignores pending registrations as accounts (they hold nothing); this only sends the
    one who made it back to its SMS code. Costs the one hash an unknown identifier costs, one
    more for each further registration that names the same identifier (at most three in all).
    """
    candidates = selectors.pending_registrations_named(identifier)
    if not candidates:
        _equalise_timing(password)
    return next((candidate for candidate in candidates if candidate.check_password(password)), None)


@dataclass(frozen=True)
class LoginChallenge:
    user_id: int
    challenge: uuid.UUID


def login_begin(
    *, identifier: str, password: str, client_address: str, now: datetime | None = None, shared_device: bool = False
) -> LoginChallenge:
    """Check the password (within the lockout rules), then send the sign-in code.

    `shared_device` (a kiosk): the per-address failure count has the device's higher limit.

    No transaction is open and no row locked while the password is hashed (tens of
    milliseconds of Argon2): sign-ins from one address (a carrier's NAT, a kiosk) would
    otherwise wait for each other on the address's throttle row. So the try is counted against
    the account first, in a short transaction of its own, as if it were a failure: concurrent
    tries can never pass the account's limit, however many arrive at once; a right password
    then takes the count back. The address's count is read before the hash and written after
    it: concurrent failures from one address may pass its limit by as many as are in flight
    at that moment, and are all counted.
    """
    address_policy = _address_policy(shared_device=shared_device)
    account_policy = _account_policy()
    now = now or timezone.now()
    identifier = identifier.strip()
    label = identifier[:64]
    user = selectors.user_by_identifier(identifier)
    account_key = f"user:{user.pk}" if user else f"unknown:{identifier.lower()[:150]}"
    address_key = f"address:{client_address}"

    with transaction.atomic():
        account_row, before = _throttle(account_key)
        until = max(
            filter(None, [
                lockout.blocked_until(before, now=now, policy=account_policy),
                lockout.blocked_until(_throttle_state(address_key), now=now, policy=address_policy),
            ]),
            default=None,
        )
        if until:
            audit_record(action="login_refused_locked", subject=user, subject_label=label, client_address=client_address)
        else:
            counted = lockout.after_failure(before, now=now, policy=account_policy)
            _save_throttle(account_row, counted)
    if until:
        raise LoginBlocked(until)

    # The one hash of the sign-in, outside any transaction (tests/accounts/test_services.py checks).
    pending = None
    if user is None:
        pending = _pending_registration_of(identifier, password)
        right = pending is not None
    else:
        right = user.check_password(password)

    outcome = None
    with transaction.atomic():
        if right:
            account_row, state = _throttle(account_key)
            _save_throttle(account_row, lockout.after_counted_success(state, counted_in_hour=counted.hour_started_at))
            if pending is not None:
                # Not an account yet: its owner (the password is right) is sent back to the SMS code.
                outcome = PhoneNotConfirmed(pending)
            elif user.state == AccountState.SUSPENDED or not user.is_active:
                audit_record(action="login_refused_suspended", subject=user, client_address=client_address)
                outcome = AccountSuspended()
            else:
                audit_record(action="login_password_ok", subject=user, client_address=client_address)
        else:
            address_row, address_state = _throttle(address_key)
            new_address = lockout.after_failure(address_state, now=now, policy=address_policy)
            _save_throttle(address_row, new_address)
            audit_record(action="login_failed", subject=user, subject_label=label, client_address=client_address)
            outcome = InvalidCredentials()
            if counted.locked_until and counted.locked_until != before.locked_until:
                audit_record(
                    action="account_locked", subject=user, subject_label=label, client_address=client_address,
                    until=counted.locked_until.isoformat(), lockouts=counted.lockouts,
                )
                outcome = LoginBlocked(counted.locked_until)
            elif new_address.locked_until and new_address.locked_until != address_state.locked_until:
                audit_record(action="address_locked", client_address=client_address, until=new_address.locked_until.isoformat())
                outcome = LoginBlocked(new_address.locked_until)
    if outcome is not None:
        raise outcome
    with transaction.atomic():
        challenge = uuid.uuid4()
        otp_issue(
            user=user, purpose=OtpPurpose.LOGIN, challenge=challenge, client_address=client_address, now=now,
            shared_device=shared_device,
        )
    return LoginChallenge(user.pk, challenge)


def login_complete(*, user_id: int, challenge, code: str, client_address: str) -> User:
    """The sign-in code: on success the caller starts the session (django.contrib.auth.login)."""
    now = timezone.now()
    with transaction.atomic():
        result = _consume_code(
            user_id=user_id, purpose=OtpPurpose.LOGIN, challenge=challenge, code=code,
            client_address=client_address, now=now,
        )
        if result.outcome == otp.ACCEPTED:
            user = User.objects.get(pk=user_id)
            audit_record(action="login_succeeded", subject=user, client_address=client_address)
    if result.outcome != otp.ACCEPTED:
        raise OtpRejected(result.outcome, result.remaining)
    return user


# --- passwords --------------------------------------------------------------------------


def password_reset_begin(*, national_id: str, mobile: str, client_address: str) -> LoginChallenge:
    """A code to the account's mobile, if the ID number and the mobile are an account's (never a
    pending registration's). The answer is about an ID number and a mobile: it is counted."""
    lookup_spend(client_address=client_address)
    with transaction.atomic():
        user = selectors.accounts().filter(person__national_id=national_id, mobile=mobile).first()
        if user is None:
            audit_record(action="password_reset_no_match", subject_label=national_id, client_address=client_address)
    if user is None:
        raise ResetNoMatch()
    with transaction.atomic():
        challenge = uuid.uuid4()
        otp_issue(user=user, purpose=OtpPurpose.PASSWORD_RESET, challenge=challenge, client_address=client_address)
    return LoginChallenge(user.pk, challenge)


def password_reset_verify(*, user_id: int, challenge, code: str, client_address: str) -> None:
    with transaction.atomic():
        result = _consume_code(
            user_id=user_id, purpose=OtpPurpose.PASSWORD_RESET, challenge=challenge, code=code,
            client_address=client_address, now=timezone.now(),
        )
    if result.outcome != otp.ACCEPTED:
        raise OtpRejected(result.outcome, result.remaining)


def password_reset_complete(*, user_id: int, challenge, new_password: str, client_address: str) -> User:
    """Set the new password after a verified code; every session and device of the account ends."""
    now = timezone.now()
    with transaction.atomic():
        verified = OneTimeCode.objects.filter(
            user_id=user_id, purpose=OtpPurpose.PASSWORD_RESET, challenge=challenge,
            used_at__gt=now - settings.OTP_VALIDITY * 2, voided_at=None,
        ).exists()
        if not verified:
            raise ResetNotVerified()
        user = User.objects.select_for_update().get(pk=user_id)
        user.set_password(new_password)
        user.save(update_fields=["password"])
        # A verified reset code sets one password, not two.
        OneTimeCode.objects.filter(user_id=user_id, challenge=challenge).update(voided_at=now)
        LoginThrottle.objects.filter(key=f"user:{user.pk}").update(failures=0, lockouts=0, locked_until=None)
        audit_record(action="password_reset", subject=user, client_address=client_address)
        _devices_end(user, keep_device=None, client_address=client_address)
        _notify(user, "password_changed")
    return user


def password_change_begin(*, user: User, client_address: str) -> uuid.UUID:
    with transaction.atomic():
        challenge = uuid.uuid4()
        otp_issue(user=user, purpose=OtpPurpose.PASSWORD_CHANGE, challenge=challenge, client_address=client_address)
    return challenge


def _devices_end(user: User, *, keep_device, client_address: str) -> None:
    """A new password ends the account's other sessions and app devices (devices/)."""
    from devices.models import Device
    from devices.services import devices_end_all

    devices_end_all(user, ending=Device.Ending.PASSWORD_CHANGED, keep=keep_device, actor=user, client_address=client_address)


def password_change_complete(
    *, user: User, challenge, code: str, new_password_hash: str, client_address: str, keep_device=None
) -> User:
    """The new password after the SMS code; every other session and device ends (`keep_device`,
    the id of the session's own device, stays)."""
    now = timezone.now()
    with transaction.atomic():
        result = _consume_code(
            user_id=user.pk, purpose=OtpPurpose.PASSWORD_CHANGE, challenge=challenge, code=code,
            client_address=client_address, now=now,
        )
        if result.outcome == otp.ACCEPTED:
            user.password = new_password_hash
            user.save(update_fields=["password"])
            audit_record(action="password_changed", actor=user, subject=user, client_address=client_address)
            _devices_end(user, keep_device=keep_device, client_address=client_address)
            _notify(user, "password_changed")
    if result.outcome != otp.ACCEPTED:
        raise OtpRejected(result.outcome, result.remaining)
    return user


# --- profile ----------------------------------------------------------------------------


def email_change(*, user: User, email: str, client_address: str) -> None:
    if email == user.email:
        return
    with transaction.atomic():
        user.email = email
        user.save(update_fields=["email"])
        audit_record(action="email_changed", actor=user, subject=user, client_address=client_address)


def language_change(*, user: User, language: str) -> None:
    if language != user.preferred_language:
        user.remember_language(language)


# --- activation and suspension (staff; the kiosk calls account_activate too) -----------------


def account_activate(*, user: User, actor: User | None, method: str, reason: str = "", client_address: str = "") -> User:
    """The one activation service: staff after checking identity in person, or a kiosk fingerprint."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.state == AccountState.ACTIVE:
            return user
        _record_state(user, user.state, AccountState.ACTIVE, actor=actor, reason=reason or method, client_address=client_address)
        user.activated_at = timezone.now()
        user.activation_method = method
        user.save(update_fields=["state", "activated_at", "activation_method"])
        _notify(user, "activated")
    return user


def account_suspend(*, user: User, actor: User, reason: str, client_address: str = "") -> User:
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.state == AccountState.SUSPENDED:
            return user
        previous = user.state
        _record_state(user, previous, AccountState.SUSPENDED, actor=actor, reason=reason, client_address=client_address)
        user.state_before_suspension = previous
        user.is_active = False
        user.save(update_fields=["state", "state_before_suspension", "is_active"])
        _notify(user, "suspended")
    return user


def account_reinstate(*, user: User, actor: User, reason: str, client_address: str = "") -> User:
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.state != AccountState.SUSPENDED:
            return user
        target = user.state_before_suspension or AccountState.REGISTERED
        _record_state(user, user.state, target, actor=actor, reason=reason, client_address=client_address)
        user.state_before_suspension = ""
        user.is_active = True
        user.save(update_fields=["state", "state_before_suspension", "is_active"])
        _notify(user, "reinstated")
    return user


# --- codes for other apps' flows (the kiosk) and the change of a lost mobile number ----------


def otp_challenge_start(*, user: User, purpose: str, client_address: str, shared_device: bool = False) -> uuid.UUID:
    """Send a code for `purpose` to the account's mobile; the caller keeps the challenge."""
    with transaction.atomic():
        challenge = uuid.uuid4()
        otp_issue(user=user, purpose=purpose, challenge=challenge, client_address=client_address, shared_device=shared_device)
    return challenge


def otp_challenge_verify(*, user_id: int, purpose: str, challenge, code: str, client_address: str) -> None:
    """Accept the code of a challenge (single use) or raise OtpRejected."""
    with transaction.atomic():
        result = _consume_code(
            user_id=user_id, purpose=purpose, challenge=challenge, code=code,
            client_address=client_address, now=timezone.now(),
        )
    if result.outcome != otp.ACCEPTED:
        raise OtpRejected(result.outcome, result.remaining)


def mobile_change_begin(
    *, user: User, new_mobile: str, client_address: str, challenge=None, shared_device: bool = False
) -> uuid.UUID:
    """Send a code to the new number (the old one is lost); refused if the number has an account.

    With the `challenge` of an earlier call it sends a new code for it (a resend).
    """
    if selectors.mobile_taken(new_mobile):
        raise IdentifierTaken("mobile")
    # otp_issue sends to, and counts the send limits of, `user.mobile`: an unsaved copy that
    # carries the new number points both at it without touching the account.
    recipient = User.objects.get(pk=user.pk)
    recipient.mobile = new_mobile
    with transaction.atomic():
        challenge = challenge or uuid.uuid4()
        otp_issue(
            user=recipient, purpose=OtpPurpose.MOBILE_CHANGE, challenge=challenge, client_address=client_address,
            shared_device=shared_device,
        )
    return challenge


def _consume_new_mobile_code(*, user_id: int, challenge, code: str, new_mobile: str, client_address: str,
                             now: datetime) -> otp.Attempt:
    """Use the code of a mobile change; it proves only the number it was sent to."""
    if not OneTimeCode.objects.filter(
        challenge=challenge, user_id=user_id, purpose=OtpPurpose.MOBILE_CHANGE, mobile=new_mobile
    ).exists():
        raise OtpRejected(otp.EXHAUSTED)
    return _consume_code(
        user_id=user_id, purpose=OtpPurpose.MOBILE_CHANGE, challenge=challenge, code=code,
        client_address=client_address, now=now,
    )


def mobile_change_complete(
    *, user_id: int, challenge, code: str, new_mobile: str, client_address: str, method: str, actor: User | None = None
) -> User:
    """With the code sent to the new number, it becomes the account's; the old number is told."""
    now = timezone.now()
    taken = False
    with transaction.atomic():
        result = _consume_new_mobile_code(
            user_id=user_id, challenge=challenge, code=code, new_mobile=new_mobile, client_address=client_address, now=now,
        )
        if result.outcome == otp.ACCEPTED:
            user = User.objects.select_for_update().get(pk=user_id)
            taken = selectors.mobile_taken(new_mobile, exclude_pk=user_id)
            if not taken:
                old_mobile = user.mobile
                user.mobile = new_mobile
                try:
                    with transaction.atomic():
                        user.save(update_fields=["mobile"])
                except IntegrityError:  # another account took the number in the meantime
                    taken = True
                else:
                    audit_record(
                        action="mobile_changed", actor=actor, subject=user, client_address=client_address, method=method,
                        old_ending=(old_mobile or "")[-3:], new_ending=new_mobile[-3:],
                    )
                    # The code proved the number: registrations waiting on it hold nothing any more.
                    _registrations_void(
                        Q(mobile=new_mobile), now=now, client_address=client_address, reason="mobile_confirmed",
                        confirmed_account=user.pk,
                    )
                    if old_mobile:
                        _sms(user, "mobile_changed", to=old_mobile)
    if result.outcome != otp.ACCEPTED:
        raise OtpRejected(result.outcome, result.remaining)
    if taken:
        raise IdentifierTaken("mobile")
    return user


# --- the ID's owner claims a confirmed account that is not activated (at a kiosk) -------------


def account_claim_mobile(
    *, user_id: int, challenge, code: str, new_mobile: str, client_address: str, method: str, reason: str
) -> User:
    """The ID's owner, proven in person (a kiosk's fingerprint), takes over a `registered` account
    that someone else may have set up (QUALITY 26).

    The code sent to the owner's number proves it, and it replaces the account's mobile; the
    password and e-mail set before are void, and so is every session (a session is bound to the
    password) and every code still open. The owner chooses the username and the password next
    (account_claim_credentials). The audit row says what was voided; the old number is told.
    """
    now = timezone.now()
    refusal = None
    with transaction.atomic():
        result = _consume_new_mobile_code(
            user_id=user_id, challenge=challenge, code=code, new_mobile=new_mobile, client_address=client_address, now=now,
        )
        if result.outcome == otp.ACCEPTED:
            user = User.objects.select_for_update().get(pk=user_id)
            if user.state != AccountState.REGISTERED:
                refusal = ClaimNotPossible()
            elif selectors.mobile_taken(new_mobile, exclude_pk=user.pk):
                refusal = IdentifierTaken("mobile")
            else:
                old_mobile, had_email = user.mobile, bool(user.email)
                user.mobile, user.email = new_mobile, ""
                user.set_unusable_password()
                user.save(update_fields=["mobile", "email", "password"])
                OneTimeCode.objects.filter(user=user, used_at=None, voided_at=None).update(voided_at=now)
                # Failed sign-ins of the one who set the account up must not lock its owner out.
                LoginThrottle.objects.filter(key=f"user:{user.pk}").update(failures=0, lockouts=0, locked_until=None)
                audit_record(
                    action="account_claimed", subject=user, client_address=client_address, method=method, reason=reason,
                    old_mobile_ending=(old_mobile or "")[-3:], new_mobile_ending=new_mobile[-3:],
                    old_username=user.username, email_voided=had_email, password_voided=True, sessions_ended=True,
                    codes_voided=True,
                )
                claimed = Q(mobile=new_mobile)
                if user.person_id:
                    claimed |= Q(pending_person_id=user.person_id) | Q(person_id=user.person_id)
                _registrations_void(
                    claimed, now=now, client_address=client_address, reason="account_claimed", confirmed_account=user.pk
                )
                if old_mobile and old_mobile != new_mobile:
                    _sms(user, "mobile_changed", to=old_mobile)
    if result.outcome != otp.ACCEPTED:
        raise OtpRejected(result.outcome, result.remaining)
    if refusal is not None:
        raise refusal
    return user


def account_claim_credentials(*, user_id: int, username: str, password: str, client_address: str, reason: str) -> User:
    """The owner's own username and password on the account they claimed (account_claim_mobile).

    Only an account still `registered` whose password the claim voided; the username may be the
    one it had. Inside the caller's transaction or its own.
    """
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user_id)
        if user.state != AccountState.REGISTERED or user.has_usable_password():
            raise ClaimNotPossible()
        if selectors.username_taken(username, exclude_pk=user.pk):
            raise IdentifierTaken("username")
        old_username = user.username
        user.username = username
        user.set_password(password)
        try:
            with transaction.atomic():
                user.save(update_fields=["username", "password"])
        except IntegrityError:  # another account took the username in the meantime
            raise IdentifierTaken("username") from None
        audit_record(
            action="account_claim_credentials_set", subject=user, client_address=client_address, reason=reason,
            old_username=old_username, new_username=username,
        )
        _registrations_void(
            Q(username__iexact=username), now=timezone.now(), client_address=client_address, reason="account_claimed",
            confirmed_account=user.pk,
        )
    return user


def staff_account_create(
    *, username: str, email: str, mobile: str, password: str, groups: list[str], actor: User | None, reason: str
) -> User:
    """An active staff account in the named groups, with the history a real one has (demo commands)."""
    from django.contrib.auth.models import Group

    now = timezone.now()
    with transaction.atomic():
        user = User(
            username=username, email=email, mobile=mobile, state="", is_staff=True,
            terms_version=settings.TERMS_VERSION, terms_accepted_at=now, phone_confirmed_at=now,
        )
        user.set_password(password)
        user.save()
        user.groups.set(Group.objects.filter(name__in=groups))
        _record_state(user, "", AccountState.PENDING_PHONE, actor=actor, reason=reason)
        _record_state(user, AccountState.PENDING_PHONE, AccountState.REGISTERED, actor=actor, reason=reason)
        _record_state(user, AccountState.REGISTERED, AccountState.ACTIVE, actor=actor, reason=reason)
        user.activated_at = now
        user.activation_method = "staff_account"
        user.save(update_fields=["state", "activated_at", "activation_method"])
    return user
