"""The server CPU each page costs, against the bare page's: figures that do not move with the load.

Run on demand, after `bench/pages_http.py` made its database (it reuses it and its setup):

    .venv/bin/python bench/server_cpu.py [--db absher_bench_pages] [--redis redis://127.0.0.1:6379/5]
        [--pages "health in,home signed in,profile"] [--rounds 2] [--duration 3] [--compare /path/to/tree]

The p50 ratios of pages_http.py move with whatever else runs on the machine. This serves the bare
page and the portal the same way (gunicorn, 2 workers, production settings, no worker recycling)
and, around each wrk run, reads the CPU time of the gunicorn workers and of the PostgreSQL
backends of the benchmark's database (`/proc/PID/schedstat`, nanoseconds on a CPU), and wrk's own
(getrusage of this process's children): CPU milliseconds a request, and the ratio of page to bare
(wrk's share on both sides). With 32 clients in a closed loop on a machine the benchmark alone
saturates, p50 ≈ clients ÷ throughput, so the CPU ratio is the p50 ratio such a run tends to (on
this 2-core machine quiet runs come out lower: the benchmark does not quite saturate it). Redis's
CPU is not counted (a shared server). Besides the pages of pages_http.py: "health out" and
"health in", /health/live/ without and with the signed-in session (an empty body: the floor).

`--compare PATH` serves a second checkout (e.g. `git archive HEAD | tar -x -C /tmp/before`, with
the .venv linked in) beside this one, from the same database and session, alternating with it.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import pages_http

ROOT = Path(__file__).resolve().parent.parent


def schedstat_seconds(pid: int) -> float:
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9
    except (FileNotFoundError, ProcessLookupError):
        return 0.0


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def backends(postgres: str, db: str) -> list[int]:
    import psycopg2

    connection = psycopg2.connect(f"{postgres.rstrip('/')}/postgres")
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [db])
            return [row[0] for row in cursor.fetchall()]
    finally:
        connection.close()


def measured(args, server, url: str, headers: dict, script: Path) -> dict:
    """One wrk run, with the CPU milliseconds a request of the server (workers and backends) and of wrk."""
    before = {pid: schedstat_seconds(pid) for pid in children(server.pid) + backends(args.postgres, args.db)}
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    run = pages_http.wrk(url, headers, script, args.duration)
    usage_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    after = {pid: schedstat_seconds(pid) for pid in children(server.pid) + backends(args.postgres, args.db)}
    server_seconds = sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())
    wrk_seconds = (usage_after.ru_utime + usage_after.ru_stime) - (usage.ru_utime + usage.ru_stime)
    run["server_ms"] = server_seconds / run["requests"] * 1000
    run["wrk_ms"] = wrk_seconds / run["requests"] * 1000
    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="absher_bench_pages")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--pages", default="health out,health in,home signed in,profile,registration page")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--duration", type=int, default=3)
    parser.add_argument("--compare", default="", help="another checkout of the portal, served beside this one")
    args = parser.parse_args()

    scratch = Path(tempfile.gettempdir()) / f"absher-bench-{args.db}"
    scratch.mkdir(exist_ok=True)
    env = pages_http.environment(args, scratch)
    env["GUNICORN_MAX_REQUESTS"] = "0"  # the pages' own cost, without worker recycling
    made = subprocess.run([sys.executable, str(ROOT / "bench" / "pages_http.py"), "--setup"], env=env, cwd=ROOT,
                          capture_output=True, text=True)
    line = next((line for line in made.stdout.splitlines() if line.startswith("BENCH-SETUP ")), None)
    if made.returncode or line is None:
        raise SystemExit(f"setup failed (run bench/pages_http.py once first):\n{made.stderr[-3000:]}")
    plan = json.loads(line.removeprefix("BENCH-SETUP "))
    pages = {name: (url, needs) for name, url, needs in plan["pages"]}
    pages["health out"], pages["health in"] = ("/health/live/", False), ("/health/live/", True)
    wanted = [name.strip() for name in args.pages.split(",")]
    script = scratch / "count.lua"
    script.write_text(pages_http.WRK_SCRIPT)
    proto = {"X-Forwarded-Proto": "https"}
    signed = {**proto, "Cookie": plan["cookie"]}

    servers = []
    try:
        bare = pages_http.serve("bench.bare.wsgi:application", {**env, "DJANGO_SETTINGS_MODULE": "bench.bare.settings"},
                                scratch / "bare.log")
        servers.append(bare[0])
        trees = {"this": ROOT} | ({"compare": Path(args.compare).resolve()} if args.compare else {})
        portals = {}
        for name, tree in trees.items():
            pages_http.ROOT = tree  # serve() runs gunicorn in ROOT
            portals[name] = pages_http.serve("absher.wsgi:application", {**env, "PYTHONPATH": str(tree)},
                                             scratch / f"portal-{name}.log")
            servers.append(portals[name][0])
        pages_http.ROOT = ROOT
        for name, (_server, base) in portals.items():
            for page in wanted:
                url, needs = pages[page]
                status, _body = pages_http.fetch(base + url, signed if needs else proto)
                assert status == 200, (name, page, status)
        results = {}
        for _round in range(args.rounds):
            for page in wanted:
                url, needs = pages[page]
                for name, (server, base) in portals.items():
                    anchor = measured(args, bare[0], bare[1] + "/", proto, script)
                    run = measured(args, server, base + url, signed if needs else proto, script)
                    results.setdefault((page, name), []).append((run, anchor))
        print("load average (1, 5, 15 min): " + ", ".join(f"{value:.2f}" for value in os.getloadavg()))
        print(f"{'page':20s} {'tree':8s} {'server ms':>9s} {'wrk ms':>7s} {'bare ms':>8s} {'CPU ×':>6s} {'p50 ×':>6s} {'not 200':>7s}")
        for (page, name), runs in results.items():
            server_ms = statistics.median(run["server_ms"] for run, _ in runs)
            wrk_ms = statistics.median(run["wrk_ms"] for run, _ in runs)
            bare_ms = statistics.median(anchor["server_ms"] for _, anchor in runs)
            ratio = statistics.median((run["server_ms"] + run["wrk_ms"]) / (anchor["server_ms"] + anchor["wrk_ms"])
                                      for run, anchor in runs)
            p50 = statistics.median(run["p50"] / anchor["p50"] for run, anchor in runs)
            bad = sum(run["bad"] + anchor["bad"] for run, anchor in runs)
            print(f"{page:20s} {name:8s} {server_ms:9.3f} {wrk_ms:7.3f} {bare_ms:8.3f} {ratio:6.2f} {p50:6.2f} {bad:7d}")
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait()


if __name__ == "__main__":
    main()
