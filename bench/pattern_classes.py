"""How well biometrics.patterns classifies synthetic prints, and what the binning searches.

    .venv/bin/python bench/pattern_classes.py [--per-class 40]

For each true class (biometrics.synthetic.pattern_class), `per-class` fingers; for each, one
careful capture (an enrolment at an office) and one ordinary capture (a kiosk touch). Prints the
confusion table, the share of captures whose true class is among the bins the reference ABIS
searches for the class it found (biometrics.patterns.searched_with), the same for the gallery
side (the class voted over five enrolment images), and the penetration rate: the share of a
gallery with the synthetic population's class frequencies that one probe searches.
"""

import argparse
import collections
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from biometrics import patterns, synthetic  # noqa: E402


def fingers_of(kind: str, count: int) -> list[str]:
    found, i = [], 0
    while len(found) < count:
        national_id = f"1{i:09d}"
        if synthetic.pattern_class(national_id, "right_index") == kind:
            found.append(national_id)
        i += 1
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-class", type=int, default=40)
    args = parser.parse_args()
    table: dict[str, collections.Counter] = {}
    gallery: dict[str, collections.Counter] = {}
    for kind in synthetic.PATTERN_CLASSES:
        table[kind], gallery[kind] = collections.Counter(), collections.Counter()
        for n, national_id in enumerate(fingers_of(kind, args.per_class)):
            rng = np.random.default_rng(n)
            for careful in (True, False):
                table[kind][patterns.classify(synthetic.impression(national_id, "right_index", rng, careful=careful))] += 1
            gallery[kind][patterns.classify_many(synthetic.enrolment_images(national_id))] += 1
    found_classes = (*patterns.CLASSES, patterns.UNKNOWN)
    print("true \\ found".ljust(14) + "".join(c[:11].rjust(12) for c in found_classes) + "   in bins")
    weights = synthetic._CLASS_WEIGHTS  # noqa: SLF001 - the population the generator draws from
    for kind in synthetic.PATTERN_CLASSES:
        row = table[kind]
        total = sum(row.values())
        searched = sum(v for found, v in row.items() if kind in patterns.searched_with(found))
        print(kind.ljust(14) + "".join(str(row[c]).rjust(12) for c in found_classes) + f"   {searched / total:7.1%}")
    print()
    print("gallery (class voted over 5 enrolment images):")
    for kind in synthetic.PATTERN_CLASSES:
        row = gallery[kind]
        print(kind.ljust(14) + "".join(str(row[c]).rjust(12) for c in found_classes))
    # Penetration: the gallery's share in each bin (class frequencies x the gallery's confusion),
    # and the probe's found class (class frequencies x the probe's confusion).
    bin_share = collections.Counter()
    probe_share = collections.Counter()
    for kind in synthetic.PATTERN_CLASSES:
        for found, v in gallery[kind].items():
            bin_share[found] += weights[kind] * v / sum(gallery[kind].values())
        for found, v in table[kind].items():
            probe_share[found] += weights[kind] * v / sum(table[kind].values())
    penetration = sum(share * sum(bin_share[b] for b in patterns.searched_with(found)) for found, share in probe_share.items())
    hit = 0.0
    for kind in synthetic.PATTERN_CLASSES:
        g = {found: v / sum(gallery[kind].values()) for found, v in gallery[kind].items()}
        p = {found: v / sum(table[kind].values()) for found, v in table[kind].items()}
        hit += weights[kind] * sum(pv * gv for pf, pv in p.items() for gf, gv in g.items() if gf in patterns.searched_with(pf))
    print()
    print("gallery share per bin: " + ", ".join(f"{b} {bin_share[b]:.1%}" for b in found_classes))
    print(f"penetration rate (share of the gallery one probe searches): {penetration:.1%}")
    print(f"binning error (a mate's bin not searched), population-weighted: {1 - hit:.2%}")


if __name__ == "__main__":
    main()
