"""One-time code rules without a database (QUALITY 4, 5, 9)."""

from datetime import UTC, datetime, timedelta

import pytest

from accounts import otp

POLICY = otp.OtpPolicy()
T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def state(**kw):
    values = {"expires_at": T0 + POLICY.validity, "attempts": 0, "used": False, "voided": False}
    values.update(kw)
    return otp.CodeState(**values)


def test_codes_are_six_digits_and_vary():
    codes = {otp.generate_code(6) for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(codes) > 190


def test_digest_binds_user_purpose_and_challenge():
    base = {"key": b"k", "code": "123456", "user_id": 1, "purpose": "login", "challenge": "c1"}
    digest = otp.code_digest(**base)
    assert digest != "123456" and len(digest) == 64
    for field, other in [("user_id", 2), ("purpose", "password_reset"), ("challenge", "c2"), ("key", b"other")]:
        assert otp.code_digest(**{**base, field: other}) != digest


def test_expiry_is_exact_at_the_edge():
    at_4_59 = otp.check_attempt(state(), matches=True, now=T0 + timedelta(minutes=4, seconds=59), policy=POLICY)
    at_5_00 = otp.check_attempt(state(), matches=True, now=T0 + timedelta(minutes=5), policy=POLICY)
    assert at_4_59.outcome == otp.ACCEPTED
    assert at_5_00.outcome == otp.EXPIRED


def test_fifth_wrong_try_voids_the_code_and_the_right_code_then_fails():
    current = state()
    outcomes = []
    for _ in range(5):
        result = otp.check_attempt(current, matches=False, now=T0, policy=POLICY)
        outcomes.append((result.outcome, result.remaining))
        current = state(attempts=result.attempts, voided=result.void)
    assert outcomes == [("wrong", 4), ("wrong", 3), ("wrong", 2), ("wrong", 1), ("exhausted", 0)]
    assert otp.check_attempt(current, matches=True, now=T0, policy=POLICY).outcome == otp.EXHAUSTED


def test_fourth_wrong_try_still_lets_the_right_code_through():
    result = otp.check_attempt(state(attempts=4), matches=True, now=T0, policy=POLICY)
    assert result.outcome == otp.ACCEPTED


def test_used_code_is_refused():
    assert otp.check_attempt(state(used=True), matches=True, now=T0, policy=POLICY).outcome == otp.USED


def test_a_million_guesses_never_succeed():
    """Brute force on the rule itself: 10^6 guesses at one code, in order, the right one among them."""
    key, secret = b"key", "999999"
    challenge = {"key": key, "user_id": 7, "purpose": "login", "challenge": "c"}
    stored = otp.code_digest(code=secret, **challenge)
    current, successes = state(), 0
    for guess in range(1_000_000):
        candidate = f"{guess:06d}"
        matches = otp.code_digest(code=candidate, **challenge) == stored if guess < 10 or candidate == secret else False
        result = otp.check_attempt(current, matches=matches, now=T0, policy=POLICY)
        successes += result.outcome == otp.ACCEPTED
        current = state(attempts=result.attempts, voided=current.voided or result.void)
    assert successes == 0


# --- send limits ---


def decide(now, last_same=None, mobile=(), address=()):
    return otp.send_decision(
        now=now,
        last_sent_same_challenge=last_same,
        mobile_sends_last_day=list(mobile),
        address_sends_last_hour=list(address),
        policy=POLICY,
    )


def test_resend_cooldown_at_59_and_60_seconds():
    refused = decide(T0 + timedelta(seconds=59), last_same=T0, mobile=[T0])
    assert (refused.allowed, refused.reason, refused.retry_at) == (False, "cooldown", T0 + timedelta(seconds=60))
    assert decide(T0 + timedelta(seconds=60), last_same=T0, mobile=[T0]).allowed


def test_three_per_mobile_in_15_minutes():
    sends = [T0, T0 + timedelta(minutes=2), T0 + timedelta(minutes=4)]
    refused = decide(T0 + timedelta(minutes=10), mobile=sends)
    assert (refused.reason, refused.retry_at) == ("mobile_15_min", T0 + timedelta(minutes=15))
    assert decide(T0 + timedelta(minutes=15), mobile=sends).allowed


def test_ten_per_mobile_a_day():
    sends = [T0 + timedelta(minutes=20 * i) for i in range(10)]
    now = T0 + timedelta(hours=5)
    refused = decide(now, mobile=sends)
    assert (refused.reason, refused.retry_at) == ("mobile_day", T0 + timedelta(days=1))
    assert decide(T0 + timedelta(days=1), mobile=sends).allowed


def test_twenty_per_address_an_hour():
    sends = [T0 + timedelta(minutes=2 * i) for i in range(20)]
    now = T0 + timedelta(minutes=50)
    refused = decide(now, address=sends)
    assert (refused.reason, refused.retry_at) == ("address_hour", T0 + timedelta(hours=1))
    assert decide(T0 + timedelta(hours=1), address=sends).allowed


@pytest.mark.parametrize("count, allowed", [(19, True), (20, False)])
def test_address_limit_edge(count, allowed):
    assert decide(T0, address=[T0 - timedelta(minutes=1)] * count).allowed is allowed
