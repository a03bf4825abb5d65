"""Fingerprint images as a reader hands them over (no ORM, no clock): 8-bit grey, row-major.

Every reader driver returns a `FingerImage`; extraction and matching happen on the server
(`biometrics.matching`). Ridges are dark on a light background, as NIST's sample prints and
libfprint's readers give them. An image is biometric data: its pixels never reach a page, a
log or an exception text (`repr=False`).

`encode`/`decode` are the one serialisation for the kiosk agent's seal and the de-duplication
queue: MAGIC | width, height, dpi (3 x uint16) | quality (uint8, 255 = unknown) | zlib(pixels).
"""

import struct
import zlib
from dataclasses import dataclass, field

MAGIC = b"FGI1"
_HEADER = struct.Struct(">HHHB")
MIN_SIDE = 64
MAX_SIDE = 1200  # libfprint refuses more than 5000; a kiosk's reader gives at most ~600
MIN_DPI, MAX_DPI = 250, 1000
NO_QUALITY = 255


class ImageError(ValueError):
    """Bytes or sizes that are not a fingerprint image (the message never repeats the pixels)."""


@dataclass(frozen=True)
class FingerImage:
    pixels: bytes = field(repr=False)
    width: int
    height: int
    dpi: int = 500
    # The reader's own figure, 0..100 (higher is better), when it gives one.
    quality: int | None = None

    def __post_init__(self):
        if not isinstance(self.pixels, bytes):
            object.__setattr__(self, "pixels", bytes(self.pixels))
        if not (MIN_SIDE <= self.width <= MAX_SIDE and MIN_SIDE <= self.height <= MAX_SIDE):
            raise ImageError("image size out of range")
        if len(self.pixels) != self.width * self.height:
            raise ImageError("pixel count does not match the size")
        if not (MIN_DPI <= self.dpi <= MAX_DPI):
            raise ImageError("resolution out of range")
        if self.quality is not None and not (0 <= self.quality <= 100):
            raise ImageError("quality out of range")

    def to_array(self):
        """The pixels as a (height, width) uint8 numpy array (a copy)."""
        import numpy as np

        return np.frombuffer(self.pixels, dtype=np.uint8).reshape(self.height, self.width).copy()

    @classmethod
    def from_array(cls, array, *, dpi: int = 500, quality: int | None = None) -> "FingerImage":
        import numpy as np

        array = np.asarray(array)
        if array.ndim != 2:
            raise ImageError("a fingerprint image has one grey channel")
        if array.dtype != np.uint8:
            array = np.clip(np.rint(array), 0, 255).astype(np.uint8)
        height, width = array.shape
        return cls(pixels=np.ascontiguousarray(array).tobytes(), width=int(width), height=int(height), dpi=dpi, quality=quality)


def encode(image: FingerImage) -> bytes:
    quality = NO_QUALITY if image.quality is None else image.quality
    return MAGIC + _HEADER.pack(image.width, image.height, image.dpi, quality) + zlib.compress(image.pixels, 6)


def decode(data: bytes) -> FingerImage:
    """The image inside `encode`'s bytes, or ImageError."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ImageError("an image is bytes")
    data = bytes(data)
    if len(data) < len(MAGIC) + _HEADER.size or data[: len(MAGIC)] != MAGIC:
        raise ImageError("not a fingerprint image")
    width, height, dpi, quality = _HEADER.unpack_from(data, len(MAGIC))
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise ImageError("image size out of range")
    try:
        # Bounded: a crafted stream cannot inflate past the size the header announces.
        inflater = zlib.decompressobj()
        pixels = inflater.decompress(data[len(MAGIC) + _HEADER.size :], width * height + 1)
    except zlib.error:
        raise ImageError("the image data is damaged") from None
    return FingerImage(pixels=pixels, width=width, height=height, dpi=dpi, quality=None if quality == NO_QUALITY else quality)
