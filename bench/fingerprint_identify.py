"""Time of a 1:N fingerprint search (de-duplication) with the NBIS engine, on galleries of up to 10,000+ templates.

Run on demand (not a test; needs libfprint):

    .venv/bin/python bench/fingerprint_match.py --save /tmp/refs.json     # enrols the source fingers
    .venv/bin/python bench/fingerprint_identify.py --references /tmp/refs.json --templates 10000

A gallery entry is one registry reference (one person's reference finger), with the prints
NbisMatcher.enrol keeps (`--prints`, 5 by default: one per careful enrolment image). A few
hundred real enrolled references (biometrics.synthetic images through NbisMatcher.enrol) are
multiplied into distinct entries by perturbing each print: about 20 % of the minutiae dropped,
the rest jittered (±3 px, ±6°), the whole print rotated and shifted at random. Some enrolled
fingers are kept out of the sources: their references are inserted once each into the gallery
(mated searches: a fresh natural capture of such a finger must find its entry), and fresh
fingers never enrolled give the non-mated searches.

A search is what NbisMatcher.identify does (one compare() of the probe image against every
print with stop_at=None, best score per entry), sent in chunks of `--chunk` entries so that no
single frame grows past the protocol's limit; the cumulative time at each chunk gives the curve
over gallery sizes. Each process has its own engine worker; its peak memory (VmHWM) is read
from /proc. Figures beyond the largest gallery measured are extrapolated linearly (the engine
compares one print after another), and the output says so.
"""

import argparse
import hashlib
import json
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from biometrics.fingerprint import FINGERS, MAX_COORDINATE, decode  # noqa: E402
from biometrics.matching import NbisMatcher  # noqa: E402

LIBFPRINT_STOP = 40


def _rng(seed: str, *parts) -> np.random.Generator:
    digest = hashlib.sha256("|".join(map(str, (seed, *parts))).encode()).digest()
    return np.random.Generator(np.random.PCG64(int.from_bytes(digest[:16], "big")))


def perturb(xyt: list, rng: np.random.Generator) -> list:
    """A distinct print from a real one: ~20 % minutiae dropped, jitter, random rotation and shift."""
    points = np.asarray(xyt, dtype=np.float64)
    keep = rng.random(len(points)) >= 0.2
    if keep.sum() < 12:
        keep[: min(12, len(points))] = True
    points = points[keep]
    angle = rng.uniform(-30, 30)
    a = np.deg2rad(angle)
    centre = points[:, :2].mean(axis=0)
    xy = points[:, :2] - centre
    rotated = np.stack([xy[:, 0] * np.cos(a) - xy[:, 1] * np.sin(a), xy[:, 0] * np.sin(a) + xy[:, 1] * np.cos(a)], axis=1)
    xy = rotated + centre + rng.uniform(-40, 40, size=2) + rng.normal(0, 1.5, size=(len(points), 2)).clip(-3, 3)
    theta = (points[:, 2] + angle + rng.normal(0, 3, size=len(points)).clip(-6, 6)) % 360
    xy = xy.clip(0, MAX_COORDINATE)
    return [[int(round(x)), int(round(y)), int(round(t))] for (x, y), t in zip(xy, theta, strict=True)]


def build_gallery(sources: list, mated: list, templates: int, prints: int, seed: str) -> tuple[list, dict]:
    """`templates` entries (lists of prints): perturbed copies of the sources, each mated reference once."""
    rng = _rng(seed, "gallery")
    gallery = []
    for n in range(templates - len(mated)):
        source = sources[n % len(sources)]
        gallery.append([perturb(p, rng) for p in source[:prints]])
    inserted = []
    for m, reference in enumerate(mated):
        # Spread over the whole gallery, so a mated search still compares against everything.
        at = int((m + 0.5) * len(gallery) / max(1, len(mated)))
        entry = [list(map(list, p)) for p in reference[:prints]]
        gallery.insert(at, entry)
        inserted.append(entry)
    where = {id(entry): at for at, entry in enumerate(gallery)}
    positions = {m: where[id(entry)] for m, entry in enumerate(inserted)}
    return gallery, positions


def vm_hwm_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (the engine worker), from /proc: immune to other load on the machine."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _search(task):
    """One search of one probe image through the gallery, chunk by chunk: timings and hits."""
    from biometrics import images as image_codec
    from biometrics.engine.client import EngineUnavailable, engine

    probe_bytes, label, expected, gallery, chunk, threshold = task
    image = image_codec.decode(probe_bytes)
    client = engine(timeout=3600)
    client.call({"op": "hello"})
    curve, hits, restarts, prints_done, retries, peak_kb, silent = [], [], 0, 0, 0, 0, 0
    pid = client._process.pid
    cpu_done = 0.0  # worker CPU of chunks finished, across worker restarts
    started, client_started = time.perf_counter(), time.process_time()
    for first in range(0, len(gallery), chunk):
        entries = gallery[first:first + chunk]
        flat, owners = [], []
        for k, entry in enumerate(entries):
            for p in entry:
                flat.append(p)
                owners.append(first + k)
        # libfprint disables a device busy for ~3 minutes ("Device disabled to prevent overheating"):
        # the client restarts the worker (a new, cold device) at the next request. Retried and counted;
        # the failed attempt's wall time stays in the figures, its CPU time does not.
        for attempt in range(4):
            pid = client._process.pid if client._process else pid
            cpu_before = cpu_seconds(pid)
            try:
                _probe, scores = client.compare(image, flat, stop_at=None, timeout=10 + 0.05 * len(flat))
            except EngineUnavailable:
                retries += 1
                if attempt == 3:
                    raise
                client.call({"op": "hello"})
                continue
            break
        if client._process.pid != pid:
            # The worker was replaced during the call (it had died since the last one; the client
            # starts a new one without a word): count it, and count only the new worker's CPU.
            silent += 1
            pid, cpu_before = client._process.pid, 0.0
        cpu_done += cpu_seconds(pid) - cpu_before
        peak_kb = max(peak_kb, vm_hwm_kb(pid))
        restarts += sum(1 for s in scores[:-1] if s is not None and s >= LIBFPRINT_STOP)
        best: dict[int, int] = {}
        for owner, score in zip(owners, scores, strict=True):
            best[owner] = max(best.get(owner, 0), score or 0)
        hits += [(owner, score) for owner, score in best.items() if score >= min(threshold, LIBFPRINT_STOP)]
        prints_done += len(flat)
        curve.append((first + len(entries), prints_done, time.perf_counter() - started, restarts, cpu_done))
    return {"label": label, "expected": expected, "curve": curve, "hits": sorted(hits, key=lambda h: -h[1]),
            "vm_hwm_kb": peak_kb, "retries": retries, "silent": silent, "client_cpu": time.process_time() - client_started}


def _extract_ms(task):
    from biometrics import images as image_codec

    matcher = NbisMatcher()
    out = []
    for probe_bytes in task:
        started = time.perf_counter()
        matcher.extract(image_codec.decode(probe_bytes))
        out.append(1000 * (time.perf_counter() - started))
    return out


def _fresh_captures(task):
    """Natural captures (image bytes) of the given fingers, enrolling them first when asked."""
    from biometrics import images as image_codec
    from biometrics import synthetic

    fingers, seed = task
    out = []
    for national_id, finger in fingers:
        rng = _rng(seed, "probe", national_id, finger)
        for _ in range(10):  # a kiosk asks again after a poor capture
            image = synthetic.impression(national_id, finger, rng)
            try:
                NbisMatcher().extract(image)
            except Exception:  # noqa: BLE001, S112 - a poor capture: touch again
                continue
            break
        out.append(image_codec.encode(image))
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--references", required=True, help="JSON written by bench/fingerprint_match.py --save")
    parser.add_argument("--templates", type=int, default=10000, help="gallery entries (registry references)")
    parser.add_argument("--prints", type=int, default=5, help="prints per entry (NbisMatcher.enrol keeps 5)")
    parser.add_argument("--chunk", type=int, default=1000, help="entries per compare() call")
    parser.add_argument("--mated", type=int, default=2, help="mated searches (their finger's reference is in the gallery)")
    parser.add_argument("--non-mated", type=int, default=2, help="searches with fingers not in the gallery")
    parser.add_argument("--threshold", type=int, default=NbisMatcher.default_threshold)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", default="absher-bench-13")
    parser.add_argument("--extrapolate", default="20000,50000,100000,1000000,35000000")
    args = parser.parse_args(argv)

    references = json.loads(Path(args.references).read_text())
    rows = [(r["national_id"], r["finger"], decode(r["reference"].encode("latin-1")).as_lists()) for r in references]
    mated_rows, source_rows = rows[: args.mated], rows[args.mated:]
    sources = [prints for _i, _f, prints in source_rows]
    mated = [prints for _i, _f, prints in mated_rows]

    started = time.perf_counter()
    gallery, positions = build_gallery(sources, mated, args.templates, args.prints, args.seed)
    built = time.perf_counter() - started
    fresh = [(f"1{p + 8_000_000:09d}", FINGERS[1]) for p in range(args.non_mated)]
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        parts = list(pool.map(_fresh_captures, [([(i, f)], args.seed) for i, f, _p in mated_rows] + [([x], args.seed) for x in fresh]))
    captures = [c[0] for c in parts]
    tasks = [(captures[m], f"mated {mated_rows[m][0]} {mated_rows[m][1][:9]}", positions.get(m), gallery, args.chunk, args.threshold) for m in range(len(mated_rows))]
    tasks += [(captures[len(mated_rows) + n], f"non-mated {fresh[n][0]}", None, gallery, args.chunk, args.threshold)
              for n in range(len(fresh))]
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        extract_ms = sum(pool.map(_extract_ms, [captures[w::args.workers] for w in range(args.workers)]), [])
        results = list(pool.map(_search, tasks))

    prints_total = sum(len(entry) for entry in gallery)
    minutiae = [len(p) for entry in gallery for p in entry]
    print("1:N search benchmark: NBIS bozorth3 in libfprint through biometrics.engine (compare, stop_at=None)")
    print(f"gallery {len(gallery)} entries x {args.prints} prints = {prints_total} prints (built in {built:.1f} s from {len(sources)} enrolled"
          f" references, perturbed); minutiae per print median {statistics.median(minutiae):.0f}")
    print(f"{len(results)} searches on {args.workers} processes at once (one engine worker each); chunks of {args.chunk} entries;"
          f" threshold {args.threshold}; probe extraction median {statistics.median(extract_ms):.0f} ms")
    print()
    print(f"{'search':<30} {'entries':>8} {'prints':>8} {'wall s':>8} {'worker CPU s':>12} {'prints/CPU s':>12} {'restarts':>9}")
    per_print, per_print_wall = [], []
    for result in results:
        for entries, prints_done, seconds, restarts, cpu in result["curve"]:
            if entries in (1000, 2000, 5000, 10000, 20000, 50000, 100000) or entries == len(gallery):
                print(f"{result['label']:<30} {entries:>8} {prints_done:>8} {seconds:>8.1f} {cpu:>12.1f} {prints_done / max(cpu, 1e-9):>12.0f} {restarts:>9}")
        entries, prints_done, seconds, restarts, cpu = result["curve"][-1]
        per_print.append(cpu / prints_done)
        per_print_wall.append(seconds / prints_done)
        found = [h for h in result["hits"] if h[0] == result["expected"]]
        others = [h for h in result["hits"] if h[0] != result["expected"] and h[1] >= args.threshold]
        spread = ", ".join(f">={t}: {sum(1 for h in result['hits'] if h[0] != result['expected'] and h[1] >= t)}" for t in (40, 50, 60, 70, 80, 90, 100))
        verdict = "" if result["expected"] is None else (
            f"its entry found, score {found[0][1]}" if found and found[0][1] >= args.threshold else "its entry NOT found")
        print(f"  -> {verdict + '; ' if verdict else ''}{len(others)} other entries at or above {args.threshold}"
              f" (best {others[0][1] if others else '-'}); worker peak memory {result['vm_hwm_kb'] / 1024:.0f} MB;"
              f" restarts {restarts} ({100 * restarts / prints_done:.1f} % of prints); engine failures retried {result['retries']};"
              f" workers found dead and replaced {result['silent']};"
              f" client-side CPU (JSON frames, grouping) {result['client_cpu']:.1f} s")
        print(f"     other entries by best score: {spread}")
    seconds_per_print = statistics.median(per_print)
    print()
    print(f"median {1000 * seconds_per_print:.3f} ms of worker CPU a print ({1 / seconds_per_print:.0f} prints a CPU second, restarts included);"
          f" wall clock {1000 * statistics.median(per_print_wall):.3f} ms a print on this (shared) machine")
    for size in (int(s) for s in args.extrapolate.split(",") if s):
        seconds = size * args.prints * seconds_per_print
        kind = "measured" if size <= len(gallery) else "extrapolated"
        print(f"  {size:>9} entries x {args.prints} prints: {seconds:>10.0f} s = {seconds / 3600:8.2f} h a search on one core ({kind})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
