"""Pattern classes of fingerprints from the image (no ORM, no clock; numpy and scipy only).

The Henry classes (arch, tented arch, left loop, right loop, whorl) follow from the finger's
singular points: where the ridge flow turns round a point (a core, Poincaré index +1/2) or
splits three ways (a delta, index -1/2). Karu and Jain, "Fingerprint classification", Pattern
Recognition 29(3), 1996; Maltoni et al., Handbook of Fingerprint Recognition, 2nd ed., 5.2:

1. the ridge orientation field from the image's gradients (averaged squared gradients, in
   blocks), smoothed as a doubled-angle vector field;
2. the foreground: blocks with ridge contrast, shrunk so the finger's edge makes no points;
3. the Poincaré index round every block (a closed path of radius RING blocks), grouped into
   cores and deltas;
4. the rules: no point, arch; two cores (or a +1 point), whorl; one core and a delta below it
   on the core's own axis, tented arch; a delta off that axis, a loop opening away from it
   (left loop: delta right of the core on the image); a core without a visible delta, a loop
   by the direction the core opens to, but only when that points well to one side (within
   DOWN_UNSURE of straight down it is "unknown"). Anything else (deltas without cores, more
   than two cores, a delta above its core) is "unknown".

`classify` answers "unknown" rather than guess: the de-duplication engine searches "unknown"
together with every class, so a wrong class costs a miss while "unknown" only costs time.
Measured on synthetic prints in docs/biometrics.md (bench/pattern_classes.py).
"""

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

ARCH = "arch"
TENTED_ARCH = "tented_arch"
LEFT_LOOP = "left_loop"
RIGHT_LOOP = "right_loop"
WHORL = "whorl"
UNKNOWN = "unknown"
CLASSES = (ARCH, TENTED_ARCH, LEFT_LOOP, RIGHT_LOOP, WHORL)

BLOCK = 8  # pixels per orientation block (about one ridge period at 500 dpi)
RING = 2  # the Poincaré path's radius, in blocks
WIDE_RING = 4  # the wider path that sees a whorl's two cores as one +1 point
SMOOTH = 1.6  # Gaussian smoothing of the doubled-angle field, in blocks
EDGE = 3  # foreground blocks to shrink by before looking for singular points


@dataclass(frozen=True)
class Singularity:
    kind: str  # "core" or "delta"
    x: float  # pixels
    y: float
    direction: float = 0.0  # a core's axis: the angle (radians, image coordinates) it opens to


@dataclass(frozen=True)
class Analysis:
    pattern: str
    cores: tuple[Singularity, ...]
    deltas: tuple[Singularity, ...]


def orientation_field(grey: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The doubled-angle field (cos 2θ, sin 2θ, smoothed) per block and its coherence (0..1).

    θ is the ridge direction in image coordinates (x right, y down), modulo π.
    """
    grey = np.asarray(grey, dtype=np.float32)
    band = ndimage.gaussian_filter(grey, 1.0) - ndimage.gaussian_filter(grey, 6.0)
    gy = ndimage.sobel(band, 0)
    gx = ndimage.sobel(band, 1)
    h, w = (grey.shape[0] // BLOCK) * BLOCK, (grey.shape[1] // BLOCK) * BLOCK

    def blocks(values):
        return values[:h, :w].reshape(h // BLOCK, BLOCK, w // BLOCK, BLOCK).sum(axis=(1, 3))

    gxx, gyy, gxy = blocks(gx * gx), blocks(gy * gy), blocks(gx * gy)
    # The gradient's doubled angle, turned by π: the ridges run across the gradient.
    vx, vy = -(gxx - gyy), -2 * gxy
    energy = gxx + gyy
    coherence = np.hypot(vx, vy) / (energy + 1e-6)
    vx = ndimage.gaussian_filter(vx, SMOOTH)
    vy = ndimage.gaussian_filter(vy, SMOOTH)
    norm = np.hypot(vx, vy) + 1e-9
    return vx / norm, vy / norm, coherence


def foreground(grey: np.ndarray) -> np.ndarray:
    """Blocks on the finger with ridge contrast, shrunk by EDGE blocks from its outline."""
    grey = np.asarray(grey, dtype=np.float32)
    band = ndimage.gaussian_filter(grey, 1.0) - ndimage.gaussian_filter(grey, 4.0)
    h, w = (grey.shape[0] // BLOCK) * BLOCK, (grey.shape[1] // BLOCK) * BLOCK
    energy = np.sqrt((band[:h, :w] ** 2).reshape(h // BLOCK, BLOCK, w // BLOCK, BLOCK).mean(axis=(1, 3)))
    mask = energy > max(6.0, 0.35 * float(np.percentile(energy, 90)))
    mask = ndimage.binary_closing(mask, iterations=2)
    mask = ndimage.binary_fill_holes(mask)
    labels, count = ndimage.label(mask)
    if count > 1:  # the finger is the largest region
        sizes = ndimage.sum(mask, labels, range(1, count + 1))
        mask = labels == (1 + int(np.argmax(sizes)))
    return ndimage.binary_erosion(mask, iterations=EDGE, border_value=0)


def _ring_offsets(radius: int) -> list[tuple[int, int]]:
    """The blocks of a square path round (0, 0), anticlockwise on the image (y down)."""
    r = radius
    path = [(dy, r) for dy in range(r, -r, -1)]  # right side, upwards
    path += [(-r, dx) for dx in range(r, -r, -1)]  # top, leftwards
    path += [(dy, -r) for dy in range(-r, r)]  # left side, downwards
    path += [(r, dx) for dx in range(-r, r)]  # bottom, rightwards
    return path


def poincare(vx: np.ndarray, vy: np.ndarray, radius: int = RING) -> np.ndarray:
    """The Poincaré index of every block (in turns: +0.5 core, -0.5 delta), 0 at the border."""
    angle = np.arctan2(vy, vx)  # 2θ
    h, w = angle.shape
    index = np.zeros((h, w))
    path = _ring_offsets(radius)
    r = radius
    inner = angle[r : h - r, r : w - r]
    total = np.zeros_like(inner)
    previous = None
    for dy, dx in [*path, path[0]]:
        current = angle[r + dy : h - r + dy, r + dx : w - r + dx]
        if previous is not None:
            step = current - previous
            total += (step + np.pi) % (2 * np.pi) - np.pi
        previous = current
    # Minus: the path runs anticlockwise on the image, which is clockwise with y upwards.
    index[r : h - r, r : w - r] = -total / (4 * np.pi)  # 2θ turns twice as fast as θ
    return index


def _points(index: np.ndarray, mask: np.ndarray, sign: float) -> list[tuple[float, float, float]]:
    """Groups of blocks with an index near sign*0.5 (or sign*1 for a whorl's pair): (row, col, weight)."""
    hits = (np.abs(index - sign * 0.5) < 0.2) | (np.abs(index - sign * 1.0) < 0.2)
    hits &= mask
    labels, count = ndimage.label(hits, structure=np.ones((3, 3)))
    found = []
    for label in range(1, count + 1):
        rows, cols = np.nonzero(labels == label)
        weight = float(np.round(np.abs(index[rows, cols]).max() * 2))  # 1 for a core or delta, 2 for a +1 point
        found.append((float(rows.mean()), float(cols.mean()), weight))
    return found


def _merge(points: list[tuple[float, float, float]], distance: float) -> list[tuple[float, float, float]]:
    """Points closer than `distance` blocks are one (the path finds a point from several blocks)."""
    merged: list[list[float]] = []
    for row, col, weight in sorted(points, key=lambda p: -p[2]):
        for other in merged:
            if np.hypot(row - other[0], col - other[1]) < distance:
                break
        else:
            merged.append([row, col, weight])
    return [tuple(p) for p in merged]


def _core_direction(vx: np.ndarray, vy: np.ndarray, row: float, col: float) -> float:
    """The angle (image coordinates) from a core towards its open side, where its ridges leave.

    Round a core the doubled angle turns once with the polar angle φ: 2θ ≈ φ + α. The ridges
    run radially (2θ = 2φ) only on the axis φ = α, which is the side the loop opens to.
    """
    h, w = vx.shape
    rows, cols = np.mgrid[0:h, 0:w]
    dy, dx = rows - row, cols - col
    distance = np.hypot(dx, dy)
    ring = (distance >= 1.5) & (distance <= 4.5)
    phi = np.arctan2(dy[ring], dx[ring])
    field = vx[ring] + 1j * vy[ring]
    return float(np.angle(np.sum(field * np.exp(-1j * phi))))


def analyse(image) -> Analysis:
    """The singular points of a FingerImage (or a grey array) and the class they make."""
    grey = image.to_array() if hasattr(image, "to_array") else np.asarray(image)
    vx, vy, _coherence = orientation_field(grey)
    mask = foreground(grey)
    index = poincare(vx, vy)
    cores_found = _merge(_points(index, mask, +1.0), distance=3.0)
    deltas_found = _merge(_points(index, mask, -1.0), distance=3.0)
    # Two cores a few ridges apart (a whorl's) look like one to the small path; the index round a
    # wider path counts both.
    wide = poincare(vx, vy, radius=WIDE_RING)
    cores = []
    for row, col, weight in cores_found:
        if weight < 2 and abs(wide[int(round(row)), int(round(col))] - 1.0) < 0.2:
            weight = 2
        cores.extend(Singularity("core", (col + 0.5) * BLOCK, (row + 0.5) * BLOCK, _core_direction(vx, vy, row, col))
                     for _ in range(int(weight)))
    cores = tuple(cores)
    deltas = tuple(Singularity("delta", (col + 0.5) * BLOCK, (row + 0.5) * BLOCK) for row, col, _w in deltas_found)
    return Analysis(pattern=decide(cores, deltas), cores=cores, deltas=deltas)


# A delta within this angle of the core's axis (below it) makes a tented arch, not a loop.
TENTED_AXIS = np.deg2rad(20)
# A core pointing within this angle of straight down, with no delta seen, is not called: the
# direction is the weakest cue (a finger's own flow turns it by tens of degrees).
DOWN_UNSURE = np.deg2rad(60)


def decide(cores: tuple[Singularity, ...], deltas: tuple[Singularity, ...]) -> str:
    """The Henry class the singular points make (the rules in the module's docstring)."""
    if not cores and not deltas:
        return ARCH
    if len(cores) >= 2:
        return WHORL if len(cores) == 2 and len(deltas) <= 2 else UNKNOWN
    if len(cores) == 1 and len(deltas) == 2:
        return WHORL  # the second core was not found; two deltas only come with a whorl
    if len(cores) != 1 or len(deltas) > 1:
        return UNKNOWN
    core = cores[0]
    if deltas:
        delta = deltas[0]
        towards = np.arctan2(delta.y - core.y, delta.x - core.x)
        if delta.y <= core.y:
            return UNKNOWN
        if abs(np.angle(np.exp(1j * (towards - np.pi / 2)))) < TENTED_AXIS:
            return TENTED_ARCH
        return LEFT_LOOP if delta.x > core.x else RIGHT_LOOP
    # No delta on the image: the core's axis says which way the loop opens.
    off_down = np.angle(np.exp(1j * (core.direction - np.pi / 2)))
    if abs(off_down) < DOWN_UNSURE:
        return UNKNOWN
    return LEFT_LOOP if off_down > 0 else RIGHT_LOOP


def classify(image) -> str:
    """One of CLASSES, or UNKNOWN when the image does not say."""
    return analyse(image).pattern


def classify_many(images) -> str:
    """The class most of the images agree on (over half of those that said one), else UNKNOWN."""
    votes: dict[str, int] = {}
    for image in images:
        pattern = classify(image)
        if pattern != UNKNOWN:
            votes[pattern] = votes.get(pattern, 0) + 1
    if not votes:
        return UNKNOWN
    best = max(votes, key=votes.get)
    return best if votes[best] * 2 > len(images) else UNKNOWN


# The bins the de-duplication engine searches for a probe of each class: its own and those it
# is commonly confused with (Karu and Jain's confusion table on NIST SD-4: arch and tented arch;
# tented arch and loops; loops and whorls, a whorl whose second core is missed reading as a
# loop), never a left loop with a right loop (the delta's side tells them apart reliably). And
# UNKNOWN, which is in every search: a gallery entry of unknown class may be anything.
# Measured on synthetic prints: bench/pattern_classes.py (penetration and binning error).
SEARCHED_WITH = {
    ARCH: (ARCH, TENTED_ARCH, UNKNOWN),
    TENTED_ARCH: (TENTED_ARCH, ARCH, LEFT_LOOP, RIGHT_LOOP, UNKNOWN),
    LEFT_LOOP: (LEFT_LOOP, TENTED_ARCH, WHORL, UNKNOWN),
    RIGHT_LOOP: (RIGHT_LOOP, TENTED_ARCH, WHORL, UNKNOWN),
    WHORL: (WHORL, LEFT_LOOP, RIGHT_LOOP, UNKNOWN),
    UNKNOWN: (*CLASSES, UNKNOWN),
}


def searched_with(pattern: str) -> tuple[str, ...]:
    """The gallery's bins a probe of this class is compared with (every bin for UNKNOWN)."""
    return SEARCHED_WITH.get(pattern, SEARCHED_WITH[UNKNOWN])
