"""Kiosk actions: each one transaction, with its audit row. Templates never leave this layer."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from absher.audit import audit_record
from accounts import lockout
from accounts import selectors as account_selectors
from accounts import services as account_services
from accounts.exceptions import InvalidCredentials
from accounts.models import User
from civil_affairs.services_registry import fingerprint_encrypt, person_fingerprint_reference

from . import flows
from .credentials import capture_open, seal_open
from .exceptions import FingerprintLocked, MatchExpired, NoReference
from .matching import get_matcher
from .models import EnrollmentAttempt, EnrollmentPurpose, Kiosk, MatchThrottle, PendingCapture

KIOSK_METHOD = "kiosk_fingerprint"
HEARTBEAT_EVERY = timedelta(seconds=30)

# --- kiosks -------------------------------------------------------------------------------


def kiosk_provision(*, kiosk: Kiosk, actor: User, client_address: str) -> Kiosk:
    """Bind the operator's device to the kiosk: a new device id; any earlier device loses its credential."""
    with transaction.atomic():
        kiosk = Kiosk.objects.select_for_update().get(pk=kiosk.pk)
        kiosk.device_id = uuid.uuid4()
        kiosk.provisioned_at = timezone.now()
        kiosk.provisioned_by = actor
        kiosk.last_heartbeat_at = kiosk.provisioned_at
        kiosk.save(update_fields=["device_id", "provisioned_at", "provisioned_by", "last_heartbeat_at", "updated_at"])
        flows.flow_clear(kiosk)
        PendingCapture.objects.filter(kiosk=kiosk).delete()
        audit_record(action="kiosk_provisioned", actor=actor, subject_label=kiosk.serial, client_address=client_address)
    return kiosk


def kiosk_unbind(*, kiosk: Kiosk, actor: User, client_address: str = "") -> Kiosk:
    with transaction.atomic():
        kiosk = Kiosk.objects.select_for_update().get(pk=kiosk.pk)
        if kiosk.device_id is None:
            return kiosk
        kiosk.device_id = None
        kiosk.save(update_fields=["device_id", "updated_at"])
        flows.flow_clear(kiosk)
        PendingCapture.objects.filter(kiosk=kiosk).delete()
        audit_record(action="kiosk_unbound", actor=actor, subject_label=kiosk.serial, client_address=client_address)
    return kiosk


def kiosk_heartbeat(*, kiosk: Kiosk, now: datetime | None = None) -> None:
    """The kiosk is alive. Written at most every HEARTBEAT_EVERY, so a page costs no extra write."""
    now = now or timezone.now()
    if kiosk.last_heartbeat_at is None or now - kiosk.last_heartbeat_at >= HEARTBEAT_EVERY:
        Kiosk.objects.filter(pk=kiosk.pk).update(last_heartbeat_at=now)
        kiosk.last_heartbeat_at = now


def kiosk_service_set(*, kiosk: Kiosk, in_service: bool, actor: User, reason: str = "", client_address: str = "") -> Kiosk:
    with transaction.atomic():
        kiosk = Kiosk.objects.select_for_update().get(pk=kiosk.pk)
        if kiosk.in_service == in_service:
            return kiosk
        kiosk.in_service = in_service
        kiosk.out_of_service_reason = "" if in_service else reason
        kiosk.save(update_fields=["in_service", "out_of_service_reason", "updated_at"])
        if not in_service:
            flows.flow_clear(kiosk)
        audit_record(
            action="kiosk_in_service" if in_service else "kiosk_out_of_service",
            actor=actor, subject_label=kiosk.serial, client_address=client_address, reason=reason,
        )
    return kiosk


def kiosk_session_end(*, kiosk: Kiosk, actor: User, client_address: str = "") -> bool:
    """An operator ends a stuck citizen session; the kiosk shows its first screen again."""
    with transaction.atomic():
        ended = flows.flow_clear(kiosk)
        if ended:
            audit_record(action="kiosk_session_ended", actor=actor, subject_label=kiosk.serial, client_address=client_address)
    return ended


def agent_capture_receive(*, kiosk: Kiosk, sealed: str, now: datetime | None = None) -> None:
    """A sealed capture (or reader error) the kiosk's reader agent posted; the seal is checked now."""
    seal_open(sealed, kiosk=kiosk)  # raises CaptureRefused
    with transaction.atomic():
        PendingCapture.objects.filter(kiosk=kiosk).delete()
        PendingCapture.objects.create(kiosk=kiosk, sealed=fingerprint_encrypt(sealed.encode()), received_at=now or timezone.now())


# --- the match ----------------------------------------------------------------------------


def match_policy() -> lockout.LockoutPolicy:
    return lockout.LockoutPolicy(
        limit=getattr(settings, "FINGERPRINT_FAILURE_LIMIT", 5),
        base=getattr(settings, "FINGERPRINT_LOCKOUT_BASE", timedelta(seconds=30)),
        maximum=getattr(settings, "FINGERPRINT_LOCKOUT_MAX", timedelta(hours=1)),
        max_processed_per_hour=getattr(settings, "FINGERPRINT_MAX_PER_HOUR", 30),
    )


def _state(row: MatchThrottle) -> lockout.ThrottleState:
    return lockout.ThrottleState(row.failures, row.lockouts, row.locked_until, row.hour_started_at, row.processed_in_hour)


def _save_state(row: MatchThrottle, state: lockout.ThrottleState) -> None:
    row.failures, row.lockouts, row.locked_until = state.failures, state.lockouts, state.locked_until
    row.hour_started_at, row.processed_in_hour = state.hour_started_at, state.processed_in_hour
    row.save()


@dataclass(frozen=True)
class MatchOutcome:
    attempt_id: int
    matched: bool
    remaining: int  # failed matches left before a pause
    locked_until: datetime | None


def _account_of(national_id: str) -> User | None:
    # A registration still waiting for its SMS code is nobody's account (QUALITY 26).
    return account_selectors.account_for_national_id(national_id)


@sensitive_variables("capture", "reference", "sealed_capture")
def fingerprint_verify(
    *, kiosk: Kiosk, national_id: str, sealed_capture: str, purpose: str, client_address: str, now: datetime | None = None
) -> MatchOutcome:
    """Compare a sealed capture with the registry's reference of the ID typed (1:1), and record it.

    Raises CaptureRefused (a broken seal), FingerprintLocked (too many failures for this ID at
    any kiosk) or NoReference. A failure counts towards the pause; a match resets the count.
    """
    now = now or timezone.now()
    capture = capture_open(sealed_capture, kiosk=kiosk)
    matcher = get_matcher()
    policy = match_policy()
    account = _account_of(national_id)
    refusal = None
    with transaction.atomic():
        row, _created = MatchThrottle.objects.select_for_update().get_or_create(national_id=national_id)
        state = _state(row)
        attempt = EnrollmentAttempt(
            kiosk=kiosk, national_id=national_id, account=account, purpose=purpose, at=now, quality=capture.quality,
            threshold=matcher.threshold,
        )
        until = lockout.blocked_until(state, now=now, policy=policy)
        reference = None if until else person_fingerprint_reference(national_id=national_id)
        if until:
            attempt.result = EnrollmentAttempt.Result.LOCKED
            refusal = FingerprintLocked(until)
            audit_record(action="fingerprint_refused_locked", subject=account, subject_label=national_id,
                         client_address=client_address, kiosk=kiosk.serial)
        elif reference is None:
            attempt.result = EnrollmentAttempt.Result.NO_REFERENCE
            refusal = NoReference()
        else:
            attempt.score = round(matcher.score(reference, capture.template), 4)
            if matcher.matches(attempt.score):
                attempt.result = EnrollmentAttempt.Result.MATCH
                state = lockout.after_success(state)
            else:
                attempt.result = EnrollmentAttempt.Result.NO_MATCH
                before = state
                state = lockout.after_failure(state, now=now, policy=policy)
                if state.locked_until and state.locked_until != before.locked_until:
                    audit_record(action="fingerprint_locked", subject=account, subject_label=national_id,
                                 client_address=client_address, kiosk=kiosk.serial, until=state.locked_until.isoformat())
            _save_state(row, state)
        attempt.save()
    if refusal is not None:
        raise refusal
    matched = attempt.result == EnrollmentAttempt.Result.MATCH
    remaining = 0 if state.locked_until and state.locked_until > now else policy.limit - state.failures
    return MatchOutcome(attempt.pk, matched, remaining, state.locked_until if not matched else None)


def reader_failure_record(
    *, kiosk: Kiosk, national_id: str, purpose: str, result: str, quality: int | None = None, now: datetime | None = None
) -> EnrollmentAttempt:
    """A touch that gave no usable capture (no finger, poor quality, reader fault): recorded, not counted."""
    return EnrollmentAttempt.objects.create(
        kiosk=kiosk, national_id=national_id, account=_account_of(national_id), purpose=purpose,
        at=now or timezone.now(), result=result, quality=quality,
    )


def _matched_attempt(*, attempt_id: int, user_id: int, now: datetime) -> EnrollmentAttempt:
    attempt = (
        EnrollmentAttempt.objects.select_for_update()
        .filter(pk=attempt_id, account_id=user_id, result=EnrollmentAttempt.Result.MATCH, completed_at=None)
        .first()
    )
    if attempt is None or now - attempt.at > flows.flow_max_age():
        raise MatchExpired()
    return attempt


# --- what a match opens -------------------------------------------------------------------


def kiosk_sign_in_begin(
    *, kiosk: Kiosk, user_id: int, attempt_id: int, identifier: str, password: str, client_address: str
) -> account_services.LoginChallenge:
    """The password step of the activation: only the account whose finger matched may sign in
    here, whatever identifier is typed (another account's gets the answer a wrong password gets,
    and no code). A kiosk has its own, higher per-address limits."""
    if not EnrollmentAttempt.objects.filter(
        pk=attempt_id, account_id=user_id, result=EnrollmentAttempt.Result.MATCH, completed_at=None,
        at__gt=timezone.now() - flows.flow_max_age(),
    ).exists():
        raise MatchExpired()
    named = account_selectors.user_by_identifier(identifier)
    if named is None or named.pk != user_id:
        audit_record(action="kiosk_sign_in_other_account", subject_label=identifier[:64], client_address=client_address,
                     kiosk=kiosk.serial)
        raise InvalidCredentials()
    return account_services.login_begin(
        identifier=identifier, password=password, client_address=client_address, shared_device=True
    )


def kiosk_activation_complete(
    *, kiosk: Kiosk, user_id: int, attempt_id: int, challenge, code: str, client_address: str
) -> User:
    """The sign-in code typed at the kiosk: the account becomes active through the one activation service.

    The code is judged in its own transaction first, so that a wrong code counts even though
    nothing else happens; no portal session is started on the kiosk.
    """
    user = account_services.login_complete(user_id=user_id, challenge=challenge, code=code, client_address=client_address)
    now = timezone.now()
    with transaction.atomic():
        attempt = _matched_attempt(attempt_id=attempt_id, user_id=user.pk, now=now)
        user = account_services.account_activate(
            user=user, actor=None, method=KIOSK_METHOD, reason=f"fingerprint at kiosk {kiosk.serial}",
            client_address=client_address,
        )
        attempt.completed_at = now
        attempt.save(update_fields=["completed_at"])
    return user


def kiosk_mobile_change_complete(
    *, kiosk: Kiosk, user_id: int, attempt_id: int, challenge, code: str, new_mobile: str, client_address: str
) -> User:
    now = timezone.now()
    with transaction.atomic():
        _matched_attempt(attempt_id=attempt_id, user_id=user_id, now=now)
    user = account_services.mobile_change_complete(
        user_id=user_id, challenge=challenge, code=code, new_mobile=new_mobile, client_address=client_address,
        method=KIOSK_METHOD,
    )
    EnrollmentAttempt.objects.filter(pk=attempt_id, completed_at=None).update(completed_at=timezone.now())
    return user


# --- the ID's owner takes over an account someone else registered ---------------------------


def takeover_applies(user: User, *, purpose: str) -> bool:
    """Whether the finger's owner takes the account over rather than signs in to it.

    A `registered` account may have been set up by someone else with their own mobile: at a lost
    mobile (the owner does not have the account's number), or when a takeover was begun and not
    finished (its password is void), the owner takes it over. At an activation the owner may
    also say the account's number is not theirs (the mobile step).
    """
    from accounts.models import AccountState

    if user.state != AccountState.REGISTERED:
        return False
    return purpose == EnrollmentPurpose.MOBILE_CHANGE or not user.has_usable_password()


def kiosk_takeover_mobile(
    *, kiosk: Kiosk, user_id: int, attempt_id: int, challenge, code: str, new_mobile: str, client_address: str
) -> User:
    """The code sent to the owner's number, typed at the kiosk: the account is theirs from now
    (accounts.services.account_claim_mobile voids what the other person set)."""
    now = timezone.now()
    with transaction.atomic():
        _matched_attempt(attempt_id=attempt_id, user_id=user_id, now=now)
    return account_services.account_claim_mobile(
        user_id=user_id, challenge=challenge, code=code, new_mobile=new_mobile, client_address=client_address,
        method=KIOSK_METHOD, reason=f"claimed by the ID's owner: fingerprint at kiosk {kiosk.serial}",
    )


@sensitive_variables("password")
def kiosk_takeover_complete(
    *, kiosk: Kiosk, user_id: int, attempt_id: int, username: str, password: str, client_address: str
) -> User:
    """The owner's own username and password, then the activation, in one transaction."""
    now = timezone.now()
    reason = f"claimed by the ID's owner: fingerprint at kiosk {kiosk.serial}"
    with transaction.atomic():
        attempt = _matched_attempt(attempt_id=attempt_id, user_id=user_id, now=now)
        user = account_services.account_claim_credentials(
            user_id=user_id, username=username, password=password, client_address=client_address, reason=reason,
        )
        user = account_services.account_activate(
            user=user, actor=None, method=KIOSK_METHOD, reason=reason, client_address=client_address
        )
        attempt.completed_at = now
        attempt.save(update_fields=["completed_at"])
    return user
