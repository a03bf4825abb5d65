"""Simulated fingers (no ORM, no clock): what the simulated reader and the benchmark present.

Each (ID number, finger) has a fixed "master" set of minutiae derived from a hash of the two,
so the same finger is the same finger in every process and on every day. Every impression of
it differs the way real captures do: the finger lands shifted and slightly turned, part of it
misses the sensor, pressure and skin lose some minutiae and add spurious ones, and positions
and directions wobble more when the quality is low. The registry's reference is one careful
impression taken when the ID was issued.
"""

import hashlib
import math
import random
from dataclasses import dataclass

from .fingerprint import ANGLE_UNITS, FINGERS, REFERENCE_FINGER, SENSOR_SIZE, Minutia, encode

CENTRE = SENSOR_SIZE / 2
# The finger's print area on the sensor: an upright ellipse.
RADIUS_X, RADIUS_Y = 96.0, 118.0
MIN_SPACING = 11.0  # ridges are ~9 px apart: two minutiae are never on top of each other
# A reader refuses to hand over an image below this quality (the citizen is asked to try again).
QUALITY_MIN = 40


def _finger_seed(national_id: str, finger: str) -> int:
    if finger not in FINGERS:
        raise ValueError(f"unknown finger {finger!r}")
    digest = hashlib.sha256(f"absher-simulated-finger|{national_id}|{finger}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def master_minutiae(national_id: str, finger: str) -> list[Minutia]:
    """The finger itself: 38 to 56 minutiae, the same on every call."""
    rng = random.Random(_finger_seed(national_id, finger))  # noqa: S311 - a simulation, not a secret
    count = rng.randint(38, 56)
    points: list[Minutia] = []
    while len(points) < count:
        x = rng.uniform(-RADIUS_X, RADIUS_X)
        y = rng.uniform(-RADIUS_Y, RADIUS_Y)
        if (x / RADIUS_X) ** 2 + (y / RADIUS_Y) ** 2 > 1:
            continue
        x, y = round(CENTRE + x), round(CENTRE + y)
        if any((p.x - x) ** 2 + (p.y - y) ** 2 < MIN_SPACING**2 for p in points):
            continue
        points.append(Minutia(x, y, rng.randrange(ANGLE_UNITS), rng.randrange(2)))
    return points


@dataclass(frozen=True)
class Placement:
    """How one impression was taken. `quality` 0..100; the rest follow from it and from chance."""

    quality: int
    dx: float = 0.0
    dy: float = 0.0
    rotation: float = 0.0  # degrees
    contact: float = 1.0  # share of the print's radius that touched the sensor
    contact_dx: float = 0.0
    contact_dy: float = 0.0


def natural_placement(rng: random.Random) -> Placement:
    """A citizen's touch on a kiosk reader with a finger guide."""
    quality = round(min(99.0, max(QUALITY_MIN, rng.gauss(76, 12))))
    # One touch in ten only grazes the sensor with the fingertip.
    contact = rng.uniform(0.45, 0.7) if rng.random() < 0.1 else rng.uniform(0.75, 1.0)
    return Placement(
        quality=quality,
        dx=rng.uniform(-22, 22),
        dy=rng.uniform(-22, 22),
        rotation=rng.gauss(0, 6),
        contact=contact,
        contact_dx=rng.uniform(-25, 25),
        contact_dy=rng.uniform(-35, 35),
    )


ENROLMENT_PLACEMENT = Placement(quality=92)


def impression(minutiae: list[Minutia], placement: Placement, rng: random.Random) -> list[Minutia]:
    """The minutiae one capture of the finger reports."""
    poor = (100 - placement.quality) / 100  # 0 (perfect) .. 0.6 (the worst a reader hands over)
    turn = math.radians(placement.rotation)
    cos_t, sin_t = math.cos(turn), math.sin(turn)
    turn_units = placement.rotation / 360 * ANGLE_UNITS
    contact_x, contact_y = RADIUS_X * placement.contact, RADIUS_Y * placement.contact
    out: list[Minutia] = []
    for m in minutiae:
        rel_x, rel_y = m.x - CENTRE - placement.contact_dx, m.y - CENTRE - placement.contact_dy
        if placement.contact < 1 and (rel_x / contact_x) ** 2 + (rel_y / contact_y) ** 2 > 1:
            continue  # that part of the finger did not touch
        if rng.random() < 0.08 + 0.45 * poor:
            continue  # lost to dry skin, pressure or noise
        jitter = 1.2 + 6 * poor
        x0, y0 = m.x - CENTRE, m.y - CENTRE
        x = CENTRE + x0 * cos_t - y0 * sin_t + placement.dx + rng.gauss(0, jitter)
        y = CENTRE + x0 * sin_t + y0 * cos_t + placement.dy + rng.gauss(0, jitter)
        if not (0 <= x < SENSOR_SIZE and 0 <= y < SENSOR_SIZE):
            continue  # off the sensor's edge
        angle = round(m.angle + turn_units + rng.gauss(0, 2.5 + 8 * poor)) % ANGLE_UNITS
        kind = m.kind if rng.random() > 0.05 + 0.2 * poor else 1 - m.kind  # endings and forks get confused
        out.append(Minutia(int(x), int(y), angle, kind))
    for _ in range(rng.randint(0, 2 + round(10 * poor))):
        out.append(Minutia(rng.randrange(SENSOR_SIZE), rng.randrange(SENSOR_SIZE), rng.randrange(ANGLE_UNITS), rng.randrange(2)))
    rng.shuffle(out)
    return out[:255]


def capture_template(national_id: str, finger: str, rng: random.Random, placement: Placement | None = None) -> bytes:
    """One capture's template (quality inside), as the simulated reader reports it."""
    placement = placement or natural_placement(rng)
    return encode(impression(master_minutiae(national_id, finger), placement, rng), quality=placement.quality)


def enrolment_template(national_id: str, finger: str = REFERENCE_FINGER) -> bytes:
    """The reference taken when the ID was issued: a careful, centred impression (the same on every call)."""
    rng = random.Random(_finger_seed(national_id, finger) ^ 0x5EED)  # noqa: S311 - a simulation
    return capture_template(national_id, finger, rng, ENROLMENT_PLACEMENT)
