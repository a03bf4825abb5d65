"""One-time codes as rules (no ORM, no clock): generation, keyed hash, tries, expiry, send limits.

NIST SP 800-63B 5.1.3.2 and OWASP ASVS 2.7: six digits from a secure generator, valid five
minutes, used once, void after five wrong tries, stored only as an HMAC bound to the user,
the purpose and the challenge.
"""

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace  # noqa: F401  (replace: services adjust a policy)
from datetime import datetime, timedelta


@dataclass(frozen=True)
class OtpPolicy:
    length: int = 6
    validity: timedelta = timedelta(minutes=5)
    max_attempts: int = 5
    resend_cooldown: timedelta = timedelta(seconds=60)
    per_mobile_15_min: int = 3
    per_mobile_day: int = 10
    per_address_hour: int = 20


def generate_code(length: int = 6) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(length))


def code_digest(*, key: bytes, code: str, user_id: int, purpose: str, challenge: str) -> str:
    message = f"{user_id}|{purpose}|{challenge}|{code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


# What a submitted code comes to.
ACCEPTED = "accepted"
WRONG = "wrong"
EXPIRED = "expired"
EXHAUSTED = "exhausted"  # the fifth wrong try voided it, or it was voided by a newer code
USED = "used"


@dataclass(frozen=True)
class CodeState:
    expires_at: datetime
    attempts: int
    used: bool
    voided: bool


@dataclass(frozen=True)
class Attempt:
    outcome: str
    attempts: int  # tries counted after this one
    remaining: int
    void: bool  # the code is void from now on


def check_attempt(state: CodeState, *, matches: bool, now: datetime, policy: OtpPolicy) -> Attempt:
    """Judge one submission. A code is accepted strictly before its expiry instant."""
    if state.used:
        return Attempt(USED, state.attempts, 0, True)
    if state.voided or state.attempts >= policy.max_attempts:
        return Attempt(EXHAUSTED, state.attempts, 0, True)
    if now >= state.expires_at:
        return Attempt(EXPIRED, state.attempts, 0, True)
    if matches:
        return Attempt(ACCEPTED, state.attempts, 0, True)
    attempts = state.attempts + 1
    remaining = policy.max_attempts - attempts
    return Attempt(WRONG if remaining else EXHAUSTED, attempts, remaining, remaining == 0)


@dataclass(frozen=True)
class SendDecision:
    allowed: bool
    reason: str = ""
    retry_at: datetime | None = None


def send_decision(
    *,
    now: datetime,
    last_sent_same_challenge: datetime | None,
    mobile_sends_last_day: Sequence[datetime],
    address_sends_last_hour: Sequence[datetime],
    policy: OtpPolicy,
) -> SendDecision:
    """May a new code go to this mobile now? If not, why and from when."""
    if last_sent_same_challenge and now < last_sent_same_challenge + policy.resend_cooldown:
        return SendDecision(False, "cooldown", last_sent_same_challenge + policy.resend_cooldown)
    window = timedelta(minutes=15)
    recent = sorted(t for t in mobile_sends_last_day if t > now - window)
    if len(recent) >= policy.per_mobile_15_min:
        return SendDecision(False, "mobile_15_min", recent[-policy.per_mobile_15_min] + window)
    day = sorted(t for t in mobile_sends_last_day if t > now - timedelta(days=1))
    if len(day) >= policy.per_mobile_day:
        return SendDecision(False, "mobile_day", day[-policy.per_mobile_day] + timedelta(days=1))
    hour = sorted(t for t in address_sends_last_hour if t > now - timedelta(hours=1))
    if len(hour) >= policy.per_address_hour:
        return SendDecision(False, "address_hour", hour[-policy.per_address_hour] + timedelta(hours=1))
    return SendDecision(True)
