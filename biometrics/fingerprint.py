"""Fingers, and fingerprint templates as bytes (no ORM, no clock).

A template is what extraction leaves of one or more images of a finger: per image, its
minutiae as NBIS gives them ("xyt": x and y in pixels, theta in degrees). The registry's
reference holds the prints of the enrolment images (up to MAX_PRINTS) and says which algorithm
and engine made them and the threshold in force then, so that a later change of engine is
visible on every reference. Stored as

    MAGIC | JSON {"algorithm", "engine", "threshold", "prints": [[[x, y, theta], ...], ...]}

and encrypted at rest (civil_affairs.services_registry). A template is biometric data: it never
reaches a page, a log or an exception text.
"""

import json
from dataclasses import dataclass, field

MAGIC = b"NBT1"
MAX_PRINTS = 10
MAX_MINUTIAE = 400
MAX_COORDINATE = 2000

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

Print = tuple[tuple[int, int, int], ...]


class TemplateError(ValueError):
    """Bytes that are not a template (the message never repeats them)."""


@dataclass(frozen=True)
class Template:
    algorithm: str
    engine: str
    threshold: int | None
    prints: tuple[Print, ...] = field(repr=False)

    def __post_init__(self):
        prints = tuple(tuple((int(x), int(y), int(t)) for x, y, t in p) for p in self.prints)
        if not prints or len(prints) > MAX_PRINTS:
            raise TemplateError("a template holds 1 to 10 prints")
        for p in prints:
            if len(p) > MAX_MINUTIAE:
                raise TemplateError("too many minutiae")
            if any(not (0 <= x <= MAX_COORDINATE and 0 <= y <= MAX_COORDINATE and -360 <= t <= 360) for x, y, t in p):
                raise TemplateError("minutia out of range")
        object.__setattr__(self, "prints", prints)

    def as_lists(self) -> list[list[list[int]]]:
        return [[list(m) for m in p] for p in self.prints]


def encode(template: Template) -> bytes:
    body = {"algorithm": template.algorithm, "engine": template.engine, "threshold": template.threshold,
            "prints": template.as_lists()}
    return MAGIC + json.dumps(body, separators=(",", ":")).encode()


def decode(data: bytes) -> Template:
    """The template inside `encode`'s bytes, or TemplateError."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TemplateError("a template is bytes")
    data = bytes(data)
    if data[: len(MAGIC)] != MAGIC:
        raise TemplateError("not a fingerprint template")
    try:
        body = json.loads(data[len(MAGIC):])
        threshold = body.get("threshold")
        return Template(
            algorithm=str(body["algorithm"]), engine=str(body["engine"]),
            threshold=None if threshold is None else int(threshold), prints=tuple(body["prints"]),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        raise TemplateError("damaged fingerprint template") from None
