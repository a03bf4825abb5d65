"""Fingerprint templates as bytes (no ORM, no clock): a list of minutiae, as readers report them.

A minutia is a ridge ending or bifurcation: its position on the sensor (x, y in 0..255),
the ridge direction (0..255 for 0..360 degrees) and its kind. A template is

    MAGIC (4 bytes) | quality (1 byte, 0..100) | count (1 byte) | count x (x, y, angle, kind)

so that one serialisation serves the reader drivers, the matcher and the encrypted registry
reference. A template is biometric data: it never reaches a page, a log or an exception text.
"""

import struct
from dataclasses import dataclass

MAGIC = b"FPT1"
SENSOR_SIZE = 256
ANGLE_UNITS = 256  # a full turn
ENDING = 0
BIFURCATION = 1
MAX_MINUTIAE = 255

RIGHT_THUMB = "right_thumb"
RIGHT_INDEX = "right_index"
RIGHT_MIDDLE = "right_middle"
RIGHT_RING = "right_ring"
RIGHT_LITTLE = "right_little"
LEFT_THUMB = "left_thumb"
LEFT_INDEX = "left_index"
LEFT_MIDDLE = "left_middle"
LEFT_RING = "left_ring"
LEFT_LITTLE = "left_little"
FINGERS = (
    RIGHT_THUMB, RIGHT_INDEX, RIGHT_MIDDLE, RIGHT_RING, RIGHT_LITTLE,
    LEFT_THUMB, LEFT_INDEX, LEFT_MIDDLE, LEFT_RING, LEFT_LITTLE,
)
# The finger the kiosk asks for and the registry keeps a reference of.
REFERENCE_FINGER = RIGHT_INDEX


class TemplateError(ValueError):
    """Bytes that are not a template (the message never repeats them)."""


@dataclass(frozen=True, slots=True)
class Minutia:
    x: int
    y: int
    angle: int
    kind: int


def encode(minutiae: list[Minutia], *, quality: int) -> bytes:
    if len(minutiae) > MAX_MINUTIAE:
        raise TemplateError("too many minutiae")
    body = b"".join(struct.pack("BBBB", m.x, m.y, m.angle % ANGLE_UNITS, m.kind) for m in minutiae)
    return MAGIC + struct.pack("BB", max(0, min(100, quality)), len(minutiae)) + body


def decode(data: bytes) -> tuple[list[Minutia], int]:
    """(minutiae, quality) of a template, or TemplateError."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TemplateError("a template is bytes")
    data = bytes(data)
    if len(data) < 6 or data[:4] != MAGIC:
        raise TemplateError("not a fingerprint template")
    quality, count = data[4], data[5]
    if len(data) != 6 + 4 * count:
        raise TemplateError("truncated fingerprint template")
    minutiae = [Minutia(*struct.unpack_from("BBBB", data, 6 + 4 * i)) for i in range(count)]
    if any(m.kind not in (ENDING, BIFURCATION) for m in minutiae):
        raise TemplateError("unknown minutia kind")
    return minutiae, quality
