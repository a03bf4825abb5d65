"""Failed sign-ins as a rule (no ORM, no clock): OWASP ASVS 2.2.1, NIST SP 800-63B 5.2.2.

After `limit` consecutive failures the key is locked for a cool-off of `base`, doubled at each
further lockout up to `maximum`: it grows, and it is never permanent. At most
`max_processed_per_hour` failures an hour are processed at all.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta


@dataclass(frozen=True)
class LockoutPolicy:
    limit: int = 10
    base: timedelta = timedelta(minutes=15)
    maximum: timedelta = timedelta(hours=24)
    max_processed_per_hour: int = 100
    # Per client address the count is of failures within the hour; per account, of
    # consecutive failures (only a success or a lockout resets it).
    hourly: bool = False


@dataclass(frozen=True)
class ThrottleState:
    failures: int = 0
    lockouts: int = 0
    locked_until: datetime | None = None
    hour_started_at: datetime | None = None
    processed_in_hour: int = 0


def cooloff(lockouts_before: int, policy: LockoutPolicy) -> timedelta:
    # The exponent is capped so that the doubling cannot overflow; the maximum caps the result.
    return min(policy.base * (2 ** min(lockouts_before, 20)), policy.maximum)


def blocked_until(state: ThrottleState, *, now: datetime, policy: LockoutPolicy) -> datetime | None:
    """When the key may try again, or None if a try is processed now."""
    if state.locked_until and now < state.locked_until:
        return state.locked_until
    if (
        state.hour_started_at
        and now < state.hour_started_at + timedelta(hours=1)
        and state.processed_in_hour >= policy.max_processed_per_hour
    ):
        return state.hour_started_at + timedelta(hours=1)
    return None


def after_failure(state: ThrottleState, *, now: datetime, policy: LockoutPolicy) -> ThrottleState:
    """The state after one more processed failure; locks when the limit is reached."""
    if state.hour_started_at is None or now >= state.hour_started_at + timedelta(hours=1):
        state = replace(state, hour_started_at=now, processed_in_hour=0)
        if policy.hourly:
            state = replace(state, failures=0)
    if state.locked_until and now >= state.locked_until:
        # A finished lockout starts a fresh count; the number of lockouts stays, so the next is longer.
        state = replace(state, failures=0, locked_until=None)
    failures = state.failures + 1
    state = replace(state, failures=failures, processed_in_hour=state.processed_in_hour + 1)
    if failures >= policy.limit:
        state = replace(
            state, locked_until=now + cooloff(state.lockouts, policy), lockouts=state.lockouts + 1, failures=0
        )
    return state


def after_success(state: ThrottleState) -> ThrottleState:
    return replace(state, failures=0, lockouts=0, locked_until=None)


def after_counted_success(state: ThrottleState, *, counted_in_hour: datetime | None) -> ThrottleState:
    """A success whose try was counted as a failure before the password was checked.

    The caller counts each try first, so that concurrent tries cannot pass the limit while their
    passwords are hashed; when the password was right, the success resets the count as
    `after_success` does, and the try is taken back from the hour's processed count (if that
    hour, `counted_in_hour`, is still the current one), so that signing in never uses it up.
    """
    state = after_success(state)
    if state.hour_started_at == counted_in_hour and state.processed_in_hour:
        state = replace(state, processed_in_hour=state.processed_in_hour - 1)
    return state


def after_use(state: ThrottleState, *, now: datetime) -> ThrottleState:
    """One more use of an hourly budget (not a failure: it never locks by itself).

    With `max_processed_per_hour` as the budget, `blocked_until` refuses the use after the last
    one of the hour until the hour that began with the first is over.
    """
    if state.hour_started_at is None or now >= state.hour_started_at + timedelta(hours=1):
        state = replace(state, hour_started_at=now, processed_in_hour=0)
    return replace(state, processed_in_hour=state.processed_in_hour + 1)
