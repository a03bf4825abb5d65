"""False match and false non-match rates of NbisMatcher (NIST NBIS in libfprint) on synthetic fingers.

Run on demand (not a test; needs libfprint, see docs/biometrics.md):

    .venv/bin/python bench/fingerprint_match.py
    .venv/bin/python bench/fingerprint_match.py --fingers 200 --impressions 4 --impostors 50000 --workers 2 --seed S

Fingers are (ID number, finger) pairs of `biometrics.synthetic`, several fingers per person.
Each finger's registry reference is enrolled from its 5 careful enrolment images through
NbisMatcher.enrol (the production path); each finger also gets `--impressions` natural captures
(seeded). Captures the engine refuses as poor (PoorImage: under min_minutiae or none at all)
are counted apart and never compared, as the kiosk asks for another touch without counting it.

(a) raw pairs: one natural capture's image against another capture's print (single print vs
    single image): every genuine pair of a finger, and impostor pairs between different fingers;
(b) production path: a natural capture against a finger's reference, the score being the best
    over the reference's prints (what NbisMatcher.verify decides), genuine and impostor.

Each probe image goes to the engine once (compare with stop_at=None against a gallery of all
the prints it is compared with) and the scores are grouped per reference afterwards. Thresholds
from 20 to 120 get FMR and FNMR with one-sided 95 % Wilson upper bounds; the chosen threshold
is the lowest whose production-path FMR upper bound is at most 0.1 % (NIST SP 800-63B). The
three-touch FNMR (the kiosk counts one failure only after FINGERPRINT_CAPTURES_PER_TRY = 3
non-matching captures) is the share of all 3-subsets of a finger's compared captures that all
fail, over the fingers with at least 3 compared captures. Seeded: the same arguments give the
same scores (timings vary).
"""

import argparse
import itertools
import json
import math
import pickle  # noqa: S403 - the bench's own cache file
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from biometrics import images as image_codec  # noqa: E402
from biometrics.fingerprint import FINGERS, decode  # noqa: E402
from biometrics.matching import NbisMatcher, PoorImage  # noqa: E402

TARGET_FMR = 1 / 1000
THRESHOLDS = list(range(20, 125, 5))
LIBFPRINT_STOP = 40  # libfprint ends a run at the first print scoring this; the worker sends the image again
RETRIES = [0]  # engine failures retried in this process (libfprint's heat model: see `timed`)


def timed(call):
    """(result, ms of the attempt that succeeded). libfprint disables a device that has been busy for
    about 3 minutes ("Device disabled to prevent overheating"); the client then restarts the worker
    (a new, cold device) at the next request, so a failed attempt is retried, counted, not timed."""
    from biometrics.engine.client import EngineUnavailable
    from biometrics.matching import MatcherUnavailable

    for attempt in range(4):
        started = time.perf_counter()
        try:
            result = call()
        except (EngineUnavailable, MatcherUnavailable):
            RETRIES[0] += 1
            if attempt == 3:
                raise
            continue
        return result, 1000 * (time.perf_counter() - started)
    raise AssertionError("unreachable")


def finger_of(index: int, per_person: int) -> tuple[str, str]:
    """The index-th finger: `per_person` fingers of each person, distinct ID numbers."""
    person, k = divmod(index, per_person)
    # Not Luhn-checked: the simulation needs distinct numbers, not valid ones.
    return f"1{person + 7_000_000:09d}", FINGERS[(1 + 3 * k) % len(FINGERS)]


def _rng(seed: str, *parts) -> np.random.Generator:
    import hashlib

    digest = hashlib.sha256("|".join(map(str, (seed, *parts))).encode()).digest()
    return np.random.Generator(np.random.PCG64(int.from_bytes(digest[:16], "big")))


def percentile(values, q):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


# --- phase 1: references and captures -----------------------------------------------------------


def _enrol(task):
    """Per finger: the reference (NbisMatcher.enrol), its natural captures (image bytes, print or None)."""
    from biometrics import synthetic

    indexes, per_person, impressions, seed = task
    RETRIES[0] = 0
    matcher = NbisMatcher()
    out, extract_ms, enrol_ms, generate_ms = [], [], [], []
    for index in indexes:
        national_id, finger = finger_of(index, per_person)
        started = time.perf_counter()
        careful = synthetic.enrolment_images(national_id, finger)
        rng = _rng(seed, national_id, finger)
        natural = [synthetic.impression(national_id, finger, rng) for _ in range(impressions)]
        generate_ms.append(1000 * (time.perf_counter() - started))
        try:
            reference, ms = timed(lambda careful=careful: matcher.enrol(careful))
            enrol_ms.append(ms)
        except PoorImage:
            reference = None
        captures = []
        for image in natural:
            try:
                xyt, ms = timed(lambda image=image: matcher.extract(image))
                extract_ms.append(ms)
                poor = None
            except PoorImage as poor_image:
                xyt, poor = None, poor_image.minutiae
            captures.append({"image": image_codec.encode(image), "xyt": xyt, "poor": poor, "quality": image.quality})
        out.append({"index": index, "national_id": national_id, "finger": finger, "reference": reference, "captures": captures})
    return out, extract_ms, enrol_ms, generate_ms, RETRIES[0]


# --- phase 2: comparisons -------------------------------------------------------------------------


def _compare(task):
    """Per probe: one compare() against its gallery; scores grouped per pair. Plus verify timings."""
    from biometrics.engine.client import NoMinutiae, engine

    probes, fingers, verify_threshold = task
    RETRIES[0] = 0
    client = engine(timeout=600)
    matcher = NbisMatcher(threshold=verify_threshold, timeout=60)
    raw_gen, raw_imp, prod_gen, prod_imp = [], [], [], []
    outcomes = []  # (finger index, capture index, production genuine score)
    compare_ms, prints_compared, restarts, verify_gen_ms, verify_imp_ms = [], 0, 0, [], []
    for probe in probes:
        f, c = probe["finger"], probe["capture"]
        image = image_codec.decode(probe["image"])
        gallery, owners = [], []  # owner: (kind, genuine?)
        for other_f, other_c in probe["raw"]:
            gallery.append(fingers[other_f]["captures"][other_c]["xyt"])
            owners.append(("raw", other_f == f, (other_f, other_c)))
        for other_f in probe["refs"]:
            for p in fingers[other_f]["prints"]:
                gallery.append(p)
                owners.append(("prod", other_f == f, other_f))
        try:
            (_probe, scores), ms = timed(lambda image=image, gallery=gallery: client.compare(image, gallery, stop_at=None))
        except NoMinutiae:
            continue  # extracted before, so not expected
        compare_ms.append(ms)
        prints_compared += len(gallery)
        restarts += sum(1 for s in scores[:-1] if s is not None and s >= LIBFPRINT_STOP)
        best: dict = {}
        for (kind, genuine, key), score in zip(owners, scores, strict=True):
            score = score or 0
            if kind == "raw":
                (raw_gen if genuine else raw_imp).append(score)
            else:
                best[(genuine, key)] = max(best.get((genuine, key), 0), score)
        for (genuine, _key), score in best.items():
            if genuine:
                prod_gen.append(score)
                outcomes.append((f, c, score))
            else:
                prod_imp.append(score)
        # What the kiosk does: NbisMatcher.verify (stops at the first print reaching the threshold).
        if probe["time_verify"]:
            for reference, bucket in ((fingers[f]["reference"], verify_gen_ms), (fingers[probe["refs"][0]]["reference"], verify_imp_ms)):
                _verdict, ms = timed(lambda reference=reference, image=image: matcher.verify(reference, image))
                bucket.append(ms)
    return {
        "raw_gen": raw_gen, "raw_imp": raw_imp, "prod_gen": prod_gen, "prod_imp": prod_imp, "outcomes": outcomes,
        "compare_ms": compare_ms, "prints": prints_compared, "restarts": restarts,
        "verify_gen_ms": verify_gen_ms, "verify_imp_ms": verify_imp_ms, "retries": RETRIES[0],
    }


# --- rates ----------------------------------------------------------------------------------------


def upper_bound(errors: int, trials: int, z: float = 1.645) -> float:
    """One-sided 95% upper bound of a rate (Wilson score interval)."""
    if trials == 0:
        return 1.0
    p = errors / trials
    centre = p + z * z / (2 * trials)
    spread = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return (centre + spread) / (1 + z * z / trials)


def three_touch(outcomes_by_finger: dict, threshold: int) -> tuple[int, int, int]:
    """(failing 3-subsets, 3-subsets, fingers used): a finger fails when 3 successive captures all fail."""
    failing = total = used = 0
    for scores in outcomes_by_finger.values():
        if len(scores) < 3:
            continue
        used += 1
        for triple in itertools.combinations(scores, 3):
            total += 1
            failing += all(s < threshold for s in triple)
    return failing, total, used


def plan(fingers, impostors: int, seed: str, verify_every: int):
    """The probes and what each is compared with (seeded)."""
    rng = _rng(seed, "plan")
    usable = [(f, c) for f, finger in enumerate(fingers) if finger["reference"]
              for c, capture in enumerate(finger["captures"]) if capture["xyt"] is not None]
    enrolled = [f for f, finger in enumerate(fingers) if finger["reference"]]
    per_probe = math.ceil(impostors / max(1, len(usable)))
    probes = []
    for n, (f, c) in enumerate(usable):
        genuine_raw = [(f, other) for other, capture in enumerate(fingers[f]["captures"]) if other != c and capture["xyt"] is not None]
        others = [(g, d) for (g, d) in usable if g != f]
        picked = rng.choice(len(others), size=min(per_probe, len(others)), replace=False)
        impostor_raw = [others[int(i)] for i in picked]
        other_refs = [g for g in enrolled if g != f]
        picked = rng.choice(len(other_refs), size=min(per_probe, len(other_refs)), replace=False)
        refs = [other_refs[int(i)] for i in picked]
        probes.append({"finger": f, "capture": c, "image": fingers[f]["captures"][c]["image"],
                       "raw": impostor_raw + genuine_raw, "refs": refs + [f], "time_verify": n % verify_every == 0})
    return probes


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fingers", type=int, default=200)
    parser.add_argument("--per-person", type=int, default=2, help="fingers per person")
    parser.add_argument("--impressions", type=int, default=4, help="natural captures per finger")
    parser.add_argument("--impostors", type=int, default=50000, help="impostor pairs, each of (a) and (b) (at least)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", default="absher-bench-13")
    parser.add_argument("--verify-threshold", type=int, default=NbisMatcher.default_threshold,
                        help="threshold for timing NbisMatcher.verify (default: the matcher's)")
    parser.add_argument("--verify-every", type=int, default=4, help="time verify on every n-th probe")
    parser.add_argument("--save", help="write the enrolled references here (JSON) for bench/fingerprint_identify.py")
    parser.add_argument("--cache", help="keep the enrolment phase here (pickle) and reuse it when the arguments are the same")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    chunks = [list(range(w, args.fingers, args.workers * 4)) for w in range(args.workers * 4)]
    tasks = [(chunk, args.per_person, args.impressions, args.seed) for chunk in chunks if chunk]
    key = (args.fingers, args.per_person, args.impressions, args.seed)
    cached = None
    if args.cache and Path(args.cache).exists():
        cached = pickle.loads(Path(args.cache).read_bytes())  # noqa: S301 - our own file
    if cached and cached[0] == key:
        results = cached[1]
    else:
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            results = list(pool.map(_enrol, tasks))
        if args.cache:
            Path(args.cache).write_bytes(pickle.dumps((key, results)))
    fingers, extract_ms, enrol_ms, generate_ms, retries = [], [], [], [], 0
    for out, e, n, g, r in results:
        fingers += out
        extract_ms += e
        enrol_ms += n
        generate_ms += g
        retries += r
    fingers.sort(key=lambda finger: finger["index"])
    for finger in fingers:
        finger["prints"] = decode(finger["reference"]).as_lists() if finger["reference"] else []
    enrolled_at = time.perf_counter() - started
    if args.save:
        Path(args.save).write_text(json.dumps([
            {"national_id": f["national_id"], "finger": f["finger"], "reference": f["reference"].decode("latin-1")}
            for f in fingers if f["reference"]
        ]))

    probes = plan(fingers, args.impostors, args.seed, args.verify_every)
    # Probe images are the heavy part of a task: send each worker only its probes' images.
    light = [{k: v for k, v in f.items() if k != "captures"} | {"captures": [{"xyt": c["xyt"]} for c in f["captures"]]} for f in fingers]
    slices = [probes[w::args.workers * 8] for w in range(args.workers * 8)]
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        parts = list(pool.map(_compare, [(s, light, args.verify_threshold) for s in slices if s]))
    elapsed = time.perf_counter() - started
    total = {k: [] for k in ("raw_gen", "raw_imp", "prod_gen", "prod_imp", "outcomes", "compare_ms", "verify_gen_ms", "verify_imp_ms")}
    prints_compared = restarts = 0
    for part in parts:
        for k in total:
            total[k] += part[k]
        prints_compared += part["prints"]
        restarts += part["restarts"]
        retries += part["retries"]

    captures = [c for f in fingers for c in f["captures"]]
    poor = [c for c in captures if c["xyt"] is None]
    minutiae = [len(c["xyt"]) for c in captures if c["xyt"] is not None]
    reference_minutiae = [len(p) for f in fingers for p in f["prints"]]
    by_finger: dict = {}
    for f, _c, score in total["outcomes"]:
        by_finger.setdefault(f, []).append(score)

    print("Fingerprint matcher benchmark: NbisMatcher (NIST NBIS mindtct + bozorth3 in libfprint), biometrics.synthetic images")
    print(f"engine {NbisMatcher().engine_version or '?'}; seed {args.seed!r}; workers {args.workers}; wall time {elapsed:.0f} s (enrolment phase {enrolled_at:.0f} s)")
    people = len({f['national_id'] for f in fingers})
    print(f"fingers {len(fingers)} ({people} people, {args.per_person} fingers each); references enrolled {sum(1 for f in fingers if f['reference'])}"
          f" from 5 careful images each (prints kept: {sum(len(f['prints']) for f in fingers)})")
    print(f"natural captures {len(captures)}: refused as poor {len(poor)} ({100 * len(poor) / len(captures):.1f} %;"
          f" none found {sum(1 for c in poor if c['poor'] == 0)}, under {NbisMatcher.min_minutiae} minutiae {sum(1 for c in poor if c['poor'])})")
    print(f"minutiae per natural capture: median {statistics.median(minutiae):.0f}, min {min(minutiae)}, max {max(minutiae)};"
          f" per enrolment print: median {statistics.median(reference_minutiae):.0f}, min {min(reference_minutiae)}, max {max(reference_minutiae)}")
    print(f"quality figure of natural captures: median {statistics.median(c['quality'] for c in captures):.0f};"
          f" of the poor ones: {sorted(c['quality'] for c in poor)[:20]}")
    print()
    print(f"(a) raw pairs (print vs image): genuine {len(total['raw_gen'])}, impostor {len(total['raw_imp'])}")
    print(f"(b) production path (reference of 5 prints vs image, best score): genuine {len(total['prod_gen'])}, impostor {len(total['prod_imp'])}")
    print()
    header = f"{'thr':>4} | {'(a) FMR':>9} {'up95':>9} {'FNMR':>7} {'up95':>7} | {'(b) FMR':>9} {'up95':>9} {'FNMR':>7} {'up95':>7} {'3-touch':>8} {'up95':>7}"
    print(header)
    print("-" * len(header))
    chosen = None
    rows = []
    for t in THRESHOLDS:
        row = {"t": t}
        for name, gen, imp in (("a", total["raw_gen"], total["raw_imp"]), ("b", total["prod_gen"], total["prod_imp"])):
            fm = sum(1 for s in imp if s >= t)
            fnm = sum(1 for s in gen if s < t)
            row[name] = (fm / len(imp), upper_bound(fm, len(imp)), fnm / len(gen), upper_bound(fnm, len(gen)), fm, fnm)
        failing, triples, _used = three_touch(by_finger, t)
        row["3"] = (failing / triples, upper_bound(failing, triples), failing, triples)
        rows.append(row)
        a, b, three = row["a"], row["b"], row["3"]
        print(f"{t:>4} | {a[0]:9.6f} {a[1]:9.6f} {a[2]:7.4f} {a[3]:7.4f} | {b[0]:9.6f} {b[1]:9.6f} {b[2]:7.4f} {b[3]:7.4f} {three[0]:8.5f} {three[1]:7.5f}")
        if chosen is None and b[1] <= TARGET_FMR:
            chosen = row
    print()
    _failing, triples, used = three_touch(by_finger, 0)
    print(f"3-touch FNMR: over all 3-subsets of each finger's compared captures ({triples} subsets of {used} fingers with >= 3 compared captures);"
          " poor captures are not touches (the kiosk does not count them)")
    if chosen:
        b, three = chosen["b"], chosen["3"]
        print(f"CHOSEN THRESHOLD {chosen['t']}: production FMR {b[0]:.6f} ({b[4]} of {len(total['prod_imp'])}), upper bound {b[1]:.6f};"
              f" FNMR one touch {b[2]:.4f} ({b[5]} of {len(total['prod_gen'])}), up to 3 touches {three[0]:.5f} ({three[2]} of {three[3]})")
    else:
        print("no threshold in 20..120 keeps the production FMR upper bound under 0.1 %")
    for name, scores in (("raw genuine", total["raw_gen"]), ("raw impostor", total["raw_imp"]),
                         ("production genuine", total["prod_gen"]), ("production impostor", total["prod_imp"])):
        print(f"{name:>20}: median {statistics.median(scores):.0f}, p1 {percentile(scores, 0.01)}, p99 {percentile(scores, 0.99)}, max {max(scores)}")
    print()
    print("timings (ms; one engine worker per process, 2 processes on this machine's cores):")
    for name, values in (("generate 5 careful + natural images", generate_ms), ("NbisMatcher.enrol (5 images)", enrol_ms),
                         ("extract (one natural capture)", extract_ms),
                         (f"verify genuine (threshold {args.verify_threshold})", total["verify_gen_ms"]),
                         (f"verify impostor (threshold {args.verify_threshold})", total["verify_imp_ms"])):
        print(f"  {name:<40} median {statistics.median(values):7.1f}  p95 {percentile(values, 0.95):7.1f}  (n {len(values)})")
    compare_s = sum(total["compare_ms"]) / 1000
    print(f"  compare() calls {len(total['compare_ms'])}, prints compared {prints_compared}, {1000 * compare_s / prints_compared:.3f} ms a print"
          f" including restarts; restarts (a print >= {LIBFPRINT_STOP} not last) {restarts}")
    print(f"  engine failures retried (worker restarted; libfprint's heat model, 'Device disabled to prevent overheating'): {retries}"
          f"{' (enrolment phase from the cache)' if cached and cached[0] == key else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
