"""Synthetic fingerprint images (no ORM, no clock): the simulated reader's captures.

Every (national ID, finger) has one *master* ridge pattern, grown the same way in every
process from a seed derived with SHA-256: its pattern class (arch, tented arch, left loop,
right loop, whorl), an orientation field with its cores and deltas (the Sherlock–Monro
zero-pole model, plus a smooth individual perturbation), a ridge period of 8.5–10.5 px, and
ridges grown by repeated orientation-adaptive Gabor filtering of sparse noise (SFinGe's
method). Each `impression` then renders the master as one capture would: elastic skin
distortion, rotation and shift on the sensor, partial contact, pressure (ridge thickness),
dryness (broken ridges), noise and blur, on a 300 x 400 sensor at 500 dpi. The images go
through the real extraction and matching (NBIS), so two impressions of one finger match and
two fingers do not, as with real prints.

`impression(..., careful=True)` is a registry enrolment at an office: centred, full contact,
clean. `poor_image` is a failed touch: a smudge without ridges. Every image carries a quality
figure (0..100) estimated from its pixels, as a reader's firmware would.

Only numpy and scipy. A master pattern takes 0.2-0.4 s to grow (cached, 64 fingers); an
impression 30-50 ms.
"""

import functools
import hashlib

import numpy as np
from scipy import fft as sfft
from scipy import ndimage

from biometrics.fingerprint import FINGERS, REFERENCE_FINGER
from biometrics.images import FingerImage

PATTERN_CLASSES = ("arch", "tented_arch", "left_loop", "right_loop", "whorl")
WIDTH, HEIGHT, DPI = 300, 400, 500

# Rough population frequencies: loops ~65 %, whorls ~30 %, arches ~5 %.
_CLASS_WEIGHTS = {"arch": 0.03, "tented_arch": 0.03, "left_loop": 0.32, "right_loop": 0.32, "whorl": 0.30}

# The master canvas: a little larger than the sensor so shifted and rotated captures still
# find ridges where the finger is.
_CANVAS_H, _CANVAS_W = 432, 320
_BINS = 16  # orientation bins of the Gabor filter bank
_ROUNDS = 20  # growing rounds
_FFT_WORKERS = 2


# --- the finger's identity -------------------------------------------------------------------


def _finger_rng(national_id: str, finger: str) -> np.random.Generator:
    if finger not in FINGERS:
        raise ValueError("unknown finger")
    digest = hashlib.sha256(f"absher-synthetic-finger|{national_id}|{finger}".encode()).digest()
    return np.random.Generator(np.random.PCG64(int.from_bytes(digest[:16], "big")))


def pattern_class(national_id: str, finger: str) -> str:
    """The finger's true pattern class (the same on every call and in every process)."""
    rng = _finger_rng(national_id, finger)
    return _draw_class(rng)


def _draw_class(rng: np.random.Generator) -> str:
    weights = np.array([_CLASS_WEIGHTS[name] for name in PATTERN_CLASSES])
    return PATTERN_CLASSES[int(rng.choice(len(PATTERN_CLASSES), p=weights / weights.sum()))]


def _smooth_field(rng: np.random.Generator, shape, grid=(5, 4), amplitude=1.0) -> np.ndarray:
    """A smooth random field over `shape`: cubic interpolation of a coarse random grid."""
    coarse = rng.standard_normal(grid) * amplitude
    zoom = (shape[0] / grid[0], shape[1] / grid[1])
    field = ndimage.zoom(coarse, zoom, order=3, mode="nearest", grid_mode=True)
    return field[: shape[0], : shape[1]]


def _orientation(kind: str, rng: np.random.Generator) -> np.ndarray:
    """The ridge direction (radians, image coordinates, modulo pi) over the canvas."""
    h, w = _CANVAS_H, _CANVAS_W
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    cx = w / 2 + rng.uniform(-30, 30)
    cy = h * 0.42 + rng.uniform(-35, 35)
    # Mathematical coordinates (y up) for the zero-pole model; the poles' y offsets below are
    # upwards, so a delta at -100 is below its core on the image.
    z = (x - cx) - 1j * (y - cy)
    cores, deltas = [], []
    if kind == "arch":
        # No singularities: ridges cross the finger, bulging towards the tip.
        amp = rng.uniform(0.7, 1.3)
        spread = rng.uniform(70, 110)
        bulge = np.exp(-(((y - cy - 40) / 150.0) ** 2))
        slope = amp * (x - cx) / spread * np.exp(-((x - cx) ** 2) / (2 * spread**2)) * bulge
        theta = np.arctan(slope)
    else:
        if kind == "tented_arch":
            cores = [complex(rng.uniform(-5, 5), rng.uniform(-5, 15))]
            deltas = [complex(rng.uniform(-8, 8), -rng.uniform(55, 85))]
        elif kind in ("left_loop", "right_loop"):
            side = -1.0 if kind == "left_loop" else 1.0
            cores = [complex(rng.uniform(-10, 10), rng.uniform(-5, 15))]
            # The delta sits below the core on the side away from where the loop opens.
            deltas = [complex(-side * rng.uniform(70, 120), -rng.uniform(90, 140))]
        else:  # whorl
            gap = rng.uniform(8, 30)
            tilt = rng.uniform(-8, 8)
            cores = [complex(tilt, gap / 2), complex(-tilt, -gap / 2)]
            deltas = [
                complex(-rng.uniform(90, 130), -rng.uniform(100, 150)),
                complex(rng.uniform(90, 130), -rng.uniform(100, 150)),
            ]
        phase = np.zeros_like(x)
        for d in deltas:
            phase += np.angle(z - d)
        for c in cores:
            phase -= np.angle(z - c)
        theta = 0.5 * phase
    # Each finger's own flow: a tilt and a smooth perturbation. Without them fingers of one class
    # share one orientation field, and NBIS scores any two of them alike.
    theta = theta + rng.normal(0, 0.12) + _smooth_field(rng, (h, w), grid=(5, 4), amplitude=0.4)
    return np.mod(theta, np.pi)


def _gabor_bank(period: float) -> np.ndarray:
    """(bins, H, W//2+1) frequency responses: one band-pass per ridge orientation."""
    fy = sfft.fftfreq(_CANVAS_H)[:, None]
    fx = sfft.rfftfreq(_CANVAS_W)[None, :]
    f0 = 1.0 / period
    sigma = 0.22 * f0
    bank = np.empty((_BINS, fy.shape[0], fx.shape[1]), dtype=np.float32)
    for k in range(_BINS):
        phi = np.pi * k / _BINS  # ridge direction; the ridges' wave runs along its normal
        nx, ny = -np.sin(phi), np.cos(phi)
        d1 = (fx - f0 * nx) ** 2 + (fy - f0 * ny) ** 2
        d2 = (fx + f0 * nx) ** 2 + (fy + f0 * ny) ** 2
        bank[k] = np.exp(-d1 / (2 * sigma**2)) + np.exp(-d2 / (2 * sigma**2))
    return bank


@functools.lru_cache(maxsize=64)
def _master(national_id: str, finger: str):
    """The finger's grown ridge pattern (float32 in -1..1, ridges negative) and its outline."""
    rng = _finger_rng(national_id, finger)
    kind = _draw_class(rng)
    theta = _orientation(kind, rng)
    period = rng.uniform(8.5, 10.5)
    bank = _gabor_bank(period)

    position = theta * (_BINS / np.pi)
    low = np.floor(position).astype(np.intp) % _BINS
    high = (low + 1) % _BINS
    frac = (position - np.floor(position)).astype(np.float32)
    flat = np.arange(low.size).reshape(low.shape)
    idx_low = (low * low.size + flat).ravel()
    idx_high = (high * low.size + flat).ravel()

    pattern = np.zeros((_CANVAS_H, _CANVAS_W), dtype=np.float32)
    seeds = rng.random(pattern.shape) < 1 / 300
    pattern[seeds] = rng.choice(np.array([-1.0, 1.0], dtype=np.float32), size=int(seeds.sum()))
    for _ in range(_ROUNDS):
        spectrum = sfft.rfft2(pattern, workers=_FFT_WORKERS)
        filtered = sfft.irfft2(bank * spectrum[None], s=pattern.shape, workers=_FFT_WORKERS).ravel()
        out = filtered[idx_low] * (1 - frac.ravel()) + filtered[idx_high] * frac.ravel()
        out = out.reshape(pattern.shape)
        scale = float(np.std(out)) or 1.0
        pattern = np.clip(out * (2.5 / scale), -1.0, 1.0).astype(np.float32)
    pattern.setflags(write=False)

    # The finger's outline on the canvas: an ellipse, rounder at the tip.
    y, x = np.mgrid[0:_CANVAS_H, 0:_CANVAS_W].astype(np.float32)
    ax, ay = rng.uniform(125, 145), rng.uniform(190, 215)
    ey = (y - _CANVAS_H / 2) / ay
    ex = (x - _CANVAS_W / 2) / (ax * np.where(ey > 0, 1.08, 1.0))
    outline = (ex**2 + ey**2).astype(np.float32)
    outline.setflags(write=False)
    return kind, pattern, outline


# --- captures ---------------------------------------------------------------------------------


def _render(pattern, outline, rng: np.random.Generator, careful: bool) -> np.ndarray:
    h, w = HEIGHT, WIDTH
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    # Placement on the sensor: rotation about the sensor's centre and a shift.
    if careful:
        angle = np.deg2rad(rng.uniform(-4, 4))
        shift = rng.uniform(-6, 6, size=2)
        distortion = 1.5
    else:
        angle = np.deg2rad(rng.normal(0, 8))
        shift = rng.normal(0, 14, size=2).clip(-35, 35)
        distortion = rng.uniform(2.0, 5.0)
    cos, sin = np.cos(angle), np.sin(angle)
    xc, yc = x - w / 2 - shift[0], y - h / 2 - shift[1]
    sx = cos * xc + sin * yc + _CANVAS_W / 2
    sy = -sin * xc + cos * yc + _CANVAS_H / 2
    # Elastic skin distortion: a smooth random displacement field, largest away from the centre
    # of contact (where the finger is pressed hardest it moves least).
    radial = np.minimum(1.0, 0.35 + ((xc / w) ** 2 + (yc / h) ** 2) * 2.5)
    sx = sx + _smooth_field(rng, (h, w), grid=(4, 3), amplitude=distortion) * radial
    sy = sy + _smooth_field(rng, (h, w), grid=(4, 3), amplitude=distortion) * radial
    coords = np.stack([sy, sx])
    ridges = ndimage.map_coordinates(pattern, coords, order=1, mode="constant", cval=1.0)
    inside = ndimage.map_coordinates(outline, coords, order=1, mode="constant", cval=9.0)

    # Contact: the finger's outline, cut by how it was pressed.
    if careful:
        contact = inside < 1.0
        pressure = rng.uniform(-0.1, 0.15)
        dryness = 0.0
        noise = rng.uniform(3, 6)
        blur = rng.uniform(0.5, 0.7)
        contrast = rng.uniform(150, 185)
    else:
        reach = rng.uniform(0.55, 1.0)
        contact = inside < reach
        if rng.random() < 0.35:  # a partial touch: the finger rolled or lifted on one side
            direction = rng.uniform(0, 2 * np.pi)
            edge = (np.cos(direction) * (x - w / 2) + np.sin(direction) * (y - h / 2)) / (w / 2)
            contact &= edge < rng.uniform(0.0, 0.8)
        pressure = rng.normal(0.0, 0.18)
        dryness = max(0.0, rng.normal(0.0, 0.15))
        noise = rng.uniform(4, 12)
        blur = rng.uniform(0.5, 1.1)
        contrast = rng.uniform(90, 185)
    # The contact fades out over ~10 px at its border: the skin lifts off gradually, so NBIS
    # takes the rim for background instead of finding ridge endings along the finger's outline
    # (every finger's outline is much the same, and those endings would match anyone's).
    contact = ndimage.gaussian_filter(contact.astype(np.float32), 6.0)
    contact = np.clip(contact * 1.6 - 0.6, 0.0, 1.0) ** 1.5

    # Ink: ridges are where the pattern is below the pressure threshold.
    ink = 1.0 / (1.0 + np.exp((ridges - pressure) * 4.0))
    if dryness > 0:
        # Dry skin: blotches where ridges do not touch, breaking them.
        blotches = _smooth_field(rng, (h, w), grid=(70, 52)) + rng.standard_normal((h, w)).astype(np.float32) * 0.1
        ink = ink * (blotches > (dryness * 1.5 - 1.9)).astype(np.float32)
    background = 225.0 + _smooth_field(rng, (h, w), grid=(3, 3), amplitude=6.0)
    image = background - contrast * ink * contact
    image = ndimage.gaussian_filter(image, blur)
    # Sensor noise, mostly where the skin touches: the bare glass stays nearly uniform (NBIS would
    # find "minutiae" in a noisy background, and they would match anyone's).
    image = image + rng.standard_normal((h, w)) * (noise * (0.15 + 0.85 * contact))
    return np.clip(image, 0, 255).astype(np.uint8)


def image_quality(array: np.ndarray) -> int:
    """A reader's own quality estimate, 0..100: the share of the sensor covered by clear ridge
    structure (16 px blocks with strong, coherent band-pass energy) times the ridges' contrast."""
    grey = np.asarray(array, dtype=np.float32)
    band = ndimage.gaussian_filter(grey, 1.0) - ndimage.gaussian_filter(grey, 4.0)
    gy = ndimage.sobel(band, 0)
    gx = ndimage.sobel(band, 1)
    b = 16
    h, w = (grey.shape[0] // b) * b, (grey.shape[1] // b) * b

    def blocks(values):
        return values[:h, :w].reshape(h // b, b, w // b, b).mean(axis=(1, 3))

    gxx, gyy, gxy = blocks(gx * gx), blocks(gy * gy), blocks(gx * gy)
    coherence = np.sqrt((gxx - gyy) ** 2 + 4 * gxy**2) / (gxx + gyy + 1e-6)
    energy = np.sqrt(blocks(band * band))
    clear = (coherence > 0.45) & (energy > 12.0)
    share = float(clear.mean())
    contrast = float(np.median(energy[clear])) if clear.any() else 0.0
    contrast_factor = min(1.0, contrast / 35.0)
    return int(round(100 * min(1.0, share / 0.75) * (0.5 + 0.5 * contrast_factor)))


def impression(national_id: str, finger: str, rng: np.random.Generator, *, careful: bool = False) -> FingerImage:
    """One capture of the finger: placed, pressed and rendered as a reader would give it."""
    _kind, pattern, outline = _master(national_id, finger)
    array = _render(pattern, outline, rng, careful)
    return FingerImage.from_array(array, dpi=DPI, quality=image_quality(array))


def enrolment_images(national_id: str, finger: str = REFERENCE_FINGER, count: int = 5) -> list[FingerImage]:
    """The registry's reference captures: `count` careful impressions, the same on every call."""
    digest = hashlib.sha256(f"absher-synthetic-enrolment|{national_id}|{finger}".encode()).digest()
    rng = np.random.Generator(np.random.PCG64(int.from_bytes(digest[:16], "big")))
    return [impression(national_id, finger, rng, careful=True) for _ in range(count)]


def poor_image(rng: np.random.Generator) -> FingerImage:
    """A failed touch: a smudge of skin without ridge structure, low quality."""
    h, w = HEIGHT, WIDTH
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = w / 2 + rng.uniform(-40, 40), h / 2 + rng.uniform(-60, 60)
    blob = np.exp(-(((x - cx) / rng.uniform(60, 110)) ** 2 + ((y - cy) / rng.uniform(80, 150)) ** 2))
    mottle = ndimage.gaussian_filter(rng.standard_normal((h, w)).astype(np.float32), rng.uniform(5, 9))
    mottle /= float(np.std(mottle)) or 1.0
    darkness = rng.uniform(60, 140) * blob * (0.8 + 0.2 * mottle)
    image = 225.0 - darkness + rng.standard_normal((h, w)) * rng.uniform(2, 6)
    image = ndimage.gaussian_filter(image, 1.5)
    array = np.clip(image, 0, 255).astype(np.uint8)
    return FingerImage.from_array(array, dpi=DPI, quality=image_quality(array))
