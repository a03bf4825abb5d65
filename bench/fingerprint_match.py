"""False match and false non-match rates of the fingerprint matcher on simulated fingers.

Run on demand (not a test):

    .venv/bin/python bench/fingerprint_match.py                 # 1,000 people x 10 fingers
    .venv/bin/python bench/fingerprint_match.py --people 200 --workers 1

For every person and finger it takes the registry reference (the careful enrolment
impression) and natural captures of the same finger (genuine comparisons), and compares every
reference with captures of other fingers: other people's, and the same person's other fingers
(impostor comparisons). It prints the score distributions, the rates at the configured
threshold, and the lowest threshold at which the false match rate is at most 1 in 1,000.
Everything is seeded: the same arguments give the same figures.
"""

import argparse
import math
import os
import random
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from biometrics.fingerprint import FINGERS  # noqa: E402
from biometrics.matching import MinutiaeMatcher  # noqa: E402
from biometrics.simulator import QUALITY_MIN, capture_template, enrolment_template  # noqa: E402

TARGET_FMR = 1 / 1000


def person_id(index: int) -> str:
    # Not Luhn-checked: the simulation needs distinct numbers, not valid ones.
    return f"1{index:09d}"


def _work(args):
    """Scores of one slice of people: (genuine scores, impostor scores, captures refused for quality)."""
    people, first, last, captures, impostors, seed = args
    matcher = MinutiaeMatcher()
    genuine, impostor, refused = [], [], 0
    for index in range(first, last):
        rng = random.Random(f"{seed}|{index}")
        national_id = person_id(index)
        for finger in FINGERS:
            reference = enrolment_template(national_id, finger)
            for _ in range(captures):
                probe = capture_template(national_id, finger, rng)
                if probe[4] < QUALITY_MIN:
                    refused += 1  # the reader asks for another touch; no comparison is made
                    continue
                genuine.append(matcher.score(reference, probe))
            for _ in range(impostors):
                other, other_finger = index, finger
                while (other, other_finger) == (index, finger):
                    other = rng.randrange(people) if rng.random() < 0.8 else index
                    other_finger = rng.choice(FINGERS)
                impostor.append(matcher.score(reference, capture_template(person_id(other), other_finger, rng)))
    return genuine, impostor, refused


def rates(genuine, impostor, threshold):
    fnm = sum(1 for s in genuine if s < threshold)
    fm = sum(1 for s in impostor if s >= threshold)
    return fm / len(impostor), fnm / len(genuine), fm, fnm


def upper_bound(errors: int, trials: int, z: float = 1.645) -> float:
    """One-sided 95% upper bound of a rate (Wilson score interval)."""
    p = errors / trials
    centre = p + z * z / (2 * trials)
    spread = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return (centre + spread) / (1 + z * z / trials)


def lowest_threshold(impostor, target):
    """The lowest threshold whose false match rate on these scores is at most `target`."""
    ranked = sorted(impostor, reverse=True)
    allowed = int(target * len(ranked))  # false matches we may have
    # Scores strictly above the (allowed+1)-th highest impostor score keep us within target.
    return ranked[allowed] + 1e-9 if allowed < len(ranked) else 0.0


def histogram(scores, edges):
    counts = [0] * (len(edges) - 1)
    for s in scores:
        for i in range(len(edges) - 1):
            if edges[i] <= s < edges[i + 1] or (i == len(edges) - 2 and s >= edges[-1]):
                counts[i] += 1
                break
    return counts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--captures", type=int, default=2, help="genuine captures per finger")
    parser.add_argument("--impostors", type=int, default=5, help="impostor captures per reference")
    parser.add_argument("--seed", default="absher-bench-2026")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--threshold", type=float, default=None, help="default: the matcher's own")
    args = parser.parse_args(argv)

    threshold = MinutiaeMatcher().threshold if args.threshold is None else args.threshold
    started = time.perf_counter()
    step = max(1, args.people // (args.workers * 4))
    slices = [
        (args.people, first, min(first + step, args.people), args.captures, args.impostors, args.seed)
        for first in range(0, args.people, step)
    ]
    genuine, impostor, refused = [], [], 0
    if args.workers > 1:
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            results = list(pool.map(_work, slices))
    else:
        results = [_work(s) for s in slices]
    for g, i, r in results:
        genuine += g
        impostor += i
        refused += r
    elapsed = time.perf_counter() - started

    fmr, fnmr, fm, fnm = rates(genuine, impostor, threshold)
    lowest = lowest_threshold(impostor, TARGET_FMR)
    low_fmr, low_fnmr, _fm, _fnm = rates(genuine, impostor, lowest)
    comparisons = len(genuine) + len(impostor)
    print("Fingerprint matcher benchmark (biometrics.matching.MinutiaeMatcher, simulated fingers)")
    print(f"people {args.people}, fingers per person {len(FINGERS)}, seed {args.seed!r}")
    print(f"genuine comparisons  {len(genuine):>8}  (captures refused for quality before matching: {refused})")
    print(f"impostor comparisons {len(impostor):>8}")
    print(f"time {elapsed:.1f} s, {1000 * elapsed * args.workers / comparisons:.2f} ms a comparison per worker")
    print()
    edges = [0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.12, 0.15, 0.2, 0.3, 0.4, 0.6, 1.0]
    print("score        genuine  impostor")
    for (low, high), g, i in zip(
        zip(edges, edges[1:], strict=False), histogram(genuine, edges), histogram(impostor, edges), strict=True
    ):
        print(f"{low:4.2f}-{high:4.2f}  {g:>8}  {i:>8}")
    print()
    print(f"highest impostor score {max(impostor):.4f}; lowest genuine score {min(genuine):.4f}")
    print(f"at the threshold {threshold:.4f}:")
    print(f"  FMR  {fmr:.6f}  ({fm} of {len(impostor)}); 95% upper bound {upper_bound(fm, len(impostor)):.6f}")
    print(f"  FNMR {fnmr:.6f}  ({fnm} of {len(genuine)}); 95% upper bound {upper_bound(fnm, len(genuine)):.6f}")
    print(f"lowest threshold with FMR <= 1/1000 on these scores: {lowest:.4f} (FMR {low_fmr:.6f}, FNMR {low_fnmr:.6f})")
    meets = upper_bound(fm, len(impostor)) <= TARGET_FMR
    print(f"the configured threshold {'meets' if meets else 'DOES NOT MEET'} FMR <= 1/1000 (at the 95% upper bound)")
    return 0 if meets else 1


if __name__ == "__main__":
    sys.exit(main())
