"""Kiosk actions: each one transaction (the match: two short ones around the comparison), with its audit row.

Templates and images never leave this layer."""

import hashlib
import hmac
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
from .exceptions import DuplicateUnderReview, FingerprintLocked, FingerprintUnavailable, MatchExpired, NoReference
from .images import FingerImage
from .matching import MatcherUnavailable, PoorImage, get_matcher
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


def captures_per_try() -> int:
    return max(1, getattr(settings, "FINGERPRINT_CAPTURES_PER_TRY", 3))


def capture_digest(image: FingerImage) -> str:
    """A keyed digest of the capture's pixels: a real reader never gives the same pixels twice."""
    return hmac.new(settings.SECRET_KEY.encode(), image.pixels, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class MatchOutcome:
    attempt_id: int
    matched: bool
    remaining: int  # counted failures left before a pause
    locked_until: datetime | None
    # EnrollmentAttempt.Result: match, no_match, poor_quality (touch again) or replayed.
    result: str = "match"
    # Whether this touch counted as a failed try (a try is FINGERPRINT_CAPTURES_PER_TRY touches that do not match).
    counted: bool = False
    touches_left: int = 0  # touches that do not match left in this try before one counts


def _account_of(national_id: str) -> User | None:
    # A registration still waiting for its SMS code is nobody's account (QUALITY 26).
    return account_selectors.account_for_national_id(national_id)


def _seen_before(national_id: str, digest: str) -> bool:
    return EnrollmentAttempt.objects.filter(national_id=national_id, capture_digest=digest).exists()


def hold_check(national_id: str) -> None:
    """DuplicateUnderReview while a de-duplication case holds this ID's activation (biometrics.abis)."""
    from .abis import activation_held

    if activation_held(national_id):
        raise DuplicateUnderReview()


class _Refusal(Exception):
    pass


@sensitive_variables("capture", "reference", "sealed_capture")
def fingerprint_verify(
    *, kiosk: Kiosk, national_id: str, sealed_capture: str, purpose: str, client_address: str, now: datetime | None = None
) -> MatchOutcome:
    """Compare a sealed capture (an image) with the registry's reference of the ID typed (1:1), and record the touch.

    Raises CaptureRefused (a broken or used seal, not an image), FingerprintLocked (too many
    failures for this ID at any kiosk), NoReference, FingerprintUnavailable (the matcher could
    not compare: nothing counted) or DuplicateUnderReview (a match, but a de-duplication case
    holds the ID). A capture whose pixels were seen before for this ID is a replay: refused and
    counted as a failed try. A touch that does not match counts only when it is the
    FINGERPRINT_CAPTURES_PER_TRY-th since the last counted failure; a poor image asks for
    another touch and never counts; a match resets both counts.

    The throttle row is locked twice, briefly: before the comparison (is the ID paused, has it
    a reference, is this a replay) and after it (to apply the outcome to the count as it is
    then); the comparison itself runs outside any transaction of ours.
    """
    now = now or timezone.now()
    capture = capture_open(sealed_capture, kiosk=kiosk)
    digest = capture_digest(capture.image)
    matcher = get_matcher()
    policy = match_policy()
    account = _account_of(national_id)
    attempt = EnrollmentAttempt(
        kiosk=kiosk, national_id=national_id, account=account, purpose=purpose, at=now, quality=capture.quality,
        threshold=matcher.threshold, algorithm=matcher.algorithm, capture_digest=digest,
    )

    def refused_before_comparison(row, state) -> Exception | None:
        """The refusal this touch gets without a comparison (recording it on `attempt`), or None."""
        until = lockout.blocked_until(state, now=now, policy=policy)
        if until:
            attempt.result = EnrollmentAttempt.Result.LOCKED
            audit_record(action="fingerprint_refused_locked", subject=account, subject_label=national_id,
                         client_address=client_address, kiosk=kiosk.serial)
            return FingerprintLocked(until)
        if _seen_before(national_id, digest):
            attempt.result = EnrollmentAttempt.Result.REPLAYED
            audit_record(action="fingerprint_capture_replayed", subject=account, subject_label=national_id,
                         client_address=client_address, kiosk=kiosk.serial)
            count_failure(row, state)
            return _Refusal()
        return None

    def count_failure(row, state) -> lockout.ThrottleState:
        before = state
        state = lockout.after_failure(state, now=now, policy=policy)
        if state.locked_until and state.locked_until != before.locked_until:
            audit_record(action="fingerprint_locked", subject=account, subject_label=national_id,
                         client_address=client_address, kiosk=kiosk.serial, until=state.locked_until.isoformat())
        _save_state(row, state)
        return state

    def outcome(row, state, *, counted=False) -> MatchOutcome:
        matched = attempt.result == EnrollmentAttempt.Result.MATCH
        remaining = 0 if state.locked_until and state.locked_until > now else policy.limit - state.failures
        return MatchOutcome(
            attempt.pk, matched, remaining, state.locked_until if not matched else None, result=attempt.result,
            counted=counted, touches_left=captures_per_try() - row.misses,
        )

    # 1. Before the comparison: paused? a reference? a replay?
    refusal = None
    with transaction.atomic():
        row, _created = MatchThrottle.objects.select_for_update().get_or_create(national_id=national_id)
        state = _state(row)
        refusal = refused_before_comparison(row, state)
        reference = None
        if refusal is None:
            reference = person_fingerprint_reference(national_id=national_id)
            if reference is None:
                attempt.result = EnrollmentAttempt.Result.NO_REFERENCE
                refusal = NoReference()
        if refusal is not None:
            attempt.save()
    if isinstance(refusal, _Refusal):
        return outcome(row, _state(row), counted=True)
    if refusal is not None:
        raise refusal

    # 2. The comparison, outside any transaction of ours (it may take up to FINGERPRINT_MATCH_TIMEOUT).
    verdict = problem = None
    try:
        verdict = matcher.verify(reference, capture.image)
    except PoorImage:
        problem = EnrollmentAttempt.Result.POOR_QUALITY
    except MatcherUnavailable:
        problem = EnrollmentAttempt.Result.UNAVAILABLE
    attempt.algorithm = f"{matcher.algorithm} {matcher.engine_version}".strip()

    # 3. The outcome, applied to the count as it is now (another kiosk may have moved it meanwhile).
    counted = False
    with transaction.atomic():
        row = MatchThrottle.objects.select_for_update().get(national_id=national_id)
        state = _state(row)
        refusal = refused_before_comparison(row, state)  # paused meanwhile, or the same pixels at once elsewhere
        if refusal is None and problem is not None:
            attempt.result = problem
            if problem == EnrollmentAttempt.Result.UNAVAILABLE:
                refusal = FingerprintUnavailable()
        elif refusal is None:
            attempt.score = round(verdict.score, 4)
            if verdict.matched:
                attempt.result = EnrollmentAttempt.Result.MATCH
                row.misses = 0
                state = lockout.after_success(state)
                _save_state(row, state)
            else:
                attempt.result = EnrollmentAttempt.Result.NO_MATCH
                row.misses += 1
                if row.misses >= captures_per_try():
                    row.misses, counted = 0, True
                    state = count_failure(row, state)
                else:
                    row.save(update_fields=["misses", "updated_at"])
        attempt.save()
    if isinstance(refusal, _Refusal):
        return outcome(row, _state(row), counted=True)
    if refusal is not None:
        raise refusal
    if attempt.result == EnrollmentAttempt.Result.MATCH:
        hold_check(national_id)  # the match is recorded; the flow stops here while a case holds the ID
    return outcome(row, state, counted=counted)


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
        hold_check(attempt.national_id)
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
        hold_check(_matched_attempt(attempt_id=attempt_id, user_id=user_id, now=now).national_id)
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
        hold_check(_matched_attempt(attempt_id=attempt_id, user_id=user_id, now=now).national_id)
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
        hold_check(attempt.national_id)
        user = account_services.account_claim_credentials(
            user_id=user_id, username=username, password=password, client_address=client_address, reason=reason,
        )
        user = account_services.account_activate(
            user=user, actor=None, method=KIOSK_METHOD, reason=reason, client_address=client_address
        )
        attempt.completed_at = now
        attempt.save(update_fields=["completed_at"])
    return user
