"""Failed sign-in rule without a database (QUALITY 2)."""

from datetime import UTC, datetime, timedelta

from accounts.lockout import (
    LockoutPolicy,
    ThrottleState,
    after_counted_success,
    after_failure,
    after_success,
    blocked_until,
    cooloff,
)

POLICY = LockoutPolicy()
T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def fail(state, times, now):
    for _ in range(times):
        state = after_failure(state, now=now, policy=POLICY)
    return state


def test_nine_failures_do_not_lock_the_tenth_does():
    nine = fail(ThrottleState(), 9, T0)
    assert blocked_until(nine, now=T0, policy=POLICY) is None
    ten = after_failure(nine, now=T0, policy=POLICY)
    assert blocked_until(ten, now=T0, policy=POLICY) == T0 + timedelta(minutes=15)


def test_lockout_ends_after_the_cool_off():
    locked = fail(ThrottleState(), 10, T0)
    assert blocked_until(locked, now=T0 + timedelta(minutes=14, seconds=59), policy=POLICY)
    assert blocked_until(locked, now=T0 + timedelta(minutes=15), policy=POLICY) is None


def test_cool_off_grows_and_is_never_permanent():
    assert [cooloff(n, POLICY) for n in range(4)] == [timedelta(minutes=m) for m in (15, 30, 60, 120)]
    assert cooloff(50, POLICY) == timedelta(hours=24)
    state, now = ThrottleState(), T0
    durations = []
    for _ in range(5):
        state = fail(state, 10, now)
        durations.append(state.locked_until - now)
        now = state.locked_until
    assert durations == [timedelta(minutes=m) for m in (15, 30, 60, 120, 240)]


def test_success_resets_the_count():
    state = after_success(fail(ThrottleState(), 9, T0))
    assert blocked_until(fail(state, 9, T0), now=T0, policy=POLICY) is None


def test_at_most_100_failures_an_hour_are_processed():
    loose = LockoutPolicy(limit=10_000, max_processed_per_hour=100)
    state = ThrottleState()
    for _ in range(100):
        state = after_failure(state, now=T0, policy=loose)
    assert blocked_until(state, now=T0 + timedelta(minutes=59), policy=loose) == T0 + timedelta(hours=1)
    assert blocked_until(state, now=T0 + timedelta(hours=1), policy=loose) is None


def test_hourly_policy_forgets_failures_of_an_earlier_hour():
    hourly = LockoutPolicy(limit=50, hourly=True)
    state = ThrottleState()
    for _ in range(49):
        state = after_failure(state, now=T0, policy=hourly)
    state = after_failure(state, now=T0 + timedelta(hours=1), policy=hourly)
    assert state.failures == 1 and blocked_until(state, now=T0 + timedelta(hours=1), policy=hourly) is None


def test_a_try_counted_before_its_hash_is_taken_back_when_the_password_was_right():
    before = fail(ThrottleState(), 3, T0)
    counted = after_failure(before, now=T0, policy=POLICY)
    back = after_counted_success(counted, counted_in_hour=counted.hour_started_at)
    assert (back.failures, back.lockouts, back.locked_until, back.processed_in_hour) == (0, 0, None, 3)
    # The tenth try locked before its hash; the right password lifts the lock as a success does.
    tenth = fail(ThrottleState(), 10, T0)
    assert after_counted_success(tenth, counted_in_hour=T0).locked_until is None
    # A new hour began meanwhile (another try counted it): that hour's count is not touched.
    later = after_failure(counted, now=T0 + timedelta(hours=1), policy=POLICY)
    assert after_counted_success(later, counted_in_hour=T0).processed_in_hour == 1
