"""Prints a load test's figures from the files bench/load.sh left in its run folder: p50/p95 per
step (locust_stats.csv), the responses by status class per step (status_codes.json, written by
the locustfile), the failures (locust_failures.csv) and the worker's SMS lag.

    python bench/load_report.py var/load

Locust rounds response times above 100 ms to 10 ms and above 1 s to 100 ms in its percentiles.
"""

import csv
import json
import sys
from pathlib import Path


def main(run_dir: Path) -> None:
    with (run_dir / "locust_stats.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    written = {}
    if (run_dir / "status_codes.json").exists():
        written = json.loads((run_dir / "status_codes.json").read_text())
    statuses = written.get("steps", {})
    steps = sorted((r for r in rows if r["Type"] != "worker" and r["Name"] != "Aggregated"), key=lambda r: r["Name"])
    lags = [r for r in rows if r["Type"] == "worker"]
    # Locust's own total counts the worker's lag events too: the locustfile's counts HTTP alone.
    every = written.get("all_requests")
    total = None
    if every:
        total = {"Name": "all requests", "Request Count": every["requests"], "Failure Count": every["failures"],
                 "50%": every["p50"], "95%": every["p95"], "99%": every["p99"], "Requests/s": every["rps"],
                 "Max Response Time": max((float(r["Max Response Time"]) for r in steps), default=0)}

    def ms(value) -> str:
        return str(round(float(value))) if value not in ("", "N/A", None) else "-"

    print()
    header = f"{'step':<28} {'requests':>8} {'fail':>5} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7} {'2xx/3xx':>8} {'4xx':>5} {'5xx':>5}"
    print(header)
    print("-" * len(header))
    for row in steps + ([total] if total else []):
        codes = statuses.get(row["Name"], {}) if row is not total else {
            k: sum(c.get(k, 0) for c in statuses.values()) for k in {k for c in statuses.values() for k in c}}
        ok = sum(n for code, n in codes.items() if code[:1] in "23")
        c4 = sum(n for code, n in codes.items() if code.startswith("4"))
        c5 = sum(n for code, n in codes.items() if code.startswith("5"))
        name = row["Name"]
        print(f"{name:<28} {row['Request Count']:>8} {row['Failure Count']:>5} {ms(row['50%']):>7} {ms(row['95%']):>7} "
              f"{ms(row['99%']):>7} {ms(row['Max Response Time']):>7} {ok:>8} {c4:>5} {c5:>5}")
    if total:
        print(f"\nthroughput: {float(total['Requests/s']):.1f} requests/s")
    if lags:
        print("\nworker (sign-in code: from the POST sent / from its answer, to the code in the SMS file):")
    for lag in lags:
        print(f"  {lag['Name']:<26} {lag['Request Count']:>5} sign-ins, {lag['Failure Count']} without a code in time: "
              f"p50 {ms(lag['50%'])} ms, p95 {ms(lag['95%'])} ms, p99 {ms(lag['99%'])} ms, max {ms(lag['Max Response Time'])} ms")
    failures = run_dir / "locust_failures.csv"
    if failures.exists():
        with failures.open(newline="") as fh:
            found = list(csv.DictReader(fh))
        print(f"\nfailures: {sum(int(f['Occurrences']) for f in found)}")
        for f in sorted(found, key=lambda f: -int(f["Occurrences"])):
            print(f"  {f['Occurrences']:>6}  {f['Name']}: {f['Error']}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "var/load"))
