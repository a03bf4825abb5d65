"""The suite's one clock: every test starts at the same frozen instant, chosen per run.

No test reads the real date. By default a run is frozen at noon in Riyadh on the real date (so
the main run still meets today's calendar); `--clock=2028-02-29T21:30Z` freezes any instant and
`--clock=random` (or `random:SEED`) a random one, printed so that a failure can be replayed.
`scripts/test.sh --sweep` runs the suite again at each of SWEEP_INSTANTS (QUALITY 24).

The clock ticks (tick=True) from that instant, so durations inside a test still pass, but
every test starts again at the same instant: a run that crosses midnight cannot split a test's
"today" in two.
"""

import random
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

RIYADH = ZoneInfo("Asia/Riyadh")

#: The hard instants of the calendar sweep (UTC), with why each one is hard.
SWEEP_INSTANTS = {
    "2027-01-31T09:00:00+00:00": "31 January: a month of 31 days ends; +1 month clamps to 28 February",
    "2027-02-28T09:00:00+00:00": "28 February of a common year: a 29 February birthday falls on the 28th or 1 March",
    "2028-02-29T09:00:00+00:00": "29 February 2028: leap day",
    "2027-04-30T09:00:00+00:00": "30 April: a month of 30 days ends",
    "2026-12-31T21:30:00+00:00": "31 December 21:30 UTC: already 1 January in Riyadh",
    "2027-03-08T09:00:00+00:00": "29 Ramadan 1448: the last day of a 29-day Hijri month",
    "2027-06-05T09:00:00+00:00": "30 Dhu al-Hijjah 1448: the last day of the Hijri year",
}

RANDOM_FROM = datetime(2026, 1, 1, tzinfo=UTC)
RANDOM_SPAN_MINUTES = 12 * 366 * 24 * 60  # about twelve years from RANDOM_FROM, any minute of the day


def default_instant(now: datetime | None = None) -> datetime:
    """Noon in Riyadh on the real date in Riyadh."""
    today = (now or datetime.now(UTC)).astimezone(RIYADH).date()
    return datetime.combine(today, time(12, 0), tzinfo=RIYADH).astimezone(UTC)


def random_instant(seed: int) -> datetime:
    return RANDOM_FROM + timedelta(minutes=random.Random(seed).randrange(RANDOM_SPAN_MINUTES))  # noqa: S311


def parse(value: str) -> tuple[datetime, str]:
    """The instant named by a --clock value, and how to name it again to replay the run."""
    value = value.strip()
    if value.startswith("random"):
        _, _, given = value.partition(":")
        seed = int(given) if given else random.SystemRandom().randrange(10**9)
        return random_instant(seed), f"random:{seed}"
    instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC), value


def describe(instant: datetime) -> str:
    riyadh = instant.astimezone(RIYADH)
    return f"{instant:%Y-%m-%dT%H:%M:%SZ} ({riyadh:%Y-%m-%d %H:%M} in Riyadh)"
