"""The citizen pages over HTTP, against a bare Django page served the same way (QUALITY.md, "Speed").

Run on demand; never part of the test suite:

    .venv/bin/python bench/pages_http.py [--db absher_bench_pages] [--redis redis://127.0.0.1:6379/5]
        [--duration 4] [--rounds 2] [--only "travel record,a receipt"] [--reuse] [--profile PAGE]

It (re)creates the scratch PostgreSQL database named (DROPPED first: never point it at real data),
migrates it, loads the demo data and a citizen's own fixture (requests with messages and attachments,
a long travel record, a bill, a receipt), and signs the citizen in by a session made directly (the
cookie the sign-in's last step would set). Then it serves

- the portal: gunicorn, 2 workers, `absher.settings.production` with secrets generated here and the
  Redis cache on the database named by --redis;
- the bare page: gunicorn, 2 workers, `bench.bare.settings` (no middleware, no database, one template);

and drives both with `wrk` (Debian's package), 32 connections, each page's run right after a run of
the bare page. Every request carries `X-Forwarded-Proto: https` (production settings redirect plain
HTTP and set `__Host-` secure cookies). Each page is first fetched once and checked: 200, signed in
or out as it should be. It prints each page's p50 and p99 over the bare page's (target <= 3, aim
<= 2), and the responses that were not 200 (must be 0).

Both servers read the repository's gunicorn.conf.py (gunicorn loads it from the working directory):
its JSON access log, and its GUNICORN_MAX_REQUESTS (1,000), which at these rates replaces a worker
every second or so, each replacement importing the app again (about 1 s of CPU for the portal,
0.2 s for the bare page). `--steady` sets GUNICORN_MAX_REQUESTS=0 for both: the pages' own cost,
without the recycling.

`--reuse` skips the database's re-creation and loading (a new session is made all the same).
`--profile "travel record"` runs one page 200 times in-process under pyinstrument instead (no
server), with its SQL count; BENCH_SQL=1 lists the queries with their times, BENCH_TEMPLATES=1 the
CPU time of each template, BENCH_CPROFILE=tottime (or cumulative) a cProfile table (BENCH_FILTER:
a regex of the rows to show), BENCH_REPEAT the number of requests.
Ratios are of one run: other load on the machine moves them (compare runs made back to back).
"""

import argparse
import io
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2
CONNECTIONS = 32

# Counts the answers that are not 200 (wrk itself counts only 4xx and 5xx: a redirect to the
# sign-in page would pass unseen), and prints the figures on one line for this script to read.
WRK_SCRIPT = """
non200 = 0
local threads = {}
function setup(thread) table.insert(threads, thread) end
function response(status, headers, body)
  if status ~= 200 then non200 = non200 + 1 end
end
function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do bad = bad + thread:get("non200") end
  local e = summary.errors
  io.write(string.format("BENCH p50=%d p99=%d requests=%d non200=%d errors=%d\\n", latency:percentile(50),
    latency:percentile(99), summary.requests, bad, e.connect + e.read + e.write + e.status + e.timeout))
end
"""


# --- inside the portal (a subprocess with the production settings) -------------------------------


def _png(name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    data = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 120, 60)).save(data, format="PNG")
    return SimpleUploadedFile(name, data.getvalue(), content_type="image/png")


def _fixture(citizen, staff):
    """The citizen's own: requests with messages and attachments, a long travel record, two bills
    (one paid and used: its receipt)."""
    import uuid
    from datetime import timedelta

    from django.utils import timezone

    from civil_affairs import services as civil
    from civil_affairs.models import RequestType
    from passports import billing
    from passports import services as passports
    from passports.models import Service, TravelRecord
    from passports.selectors import acting_people

    today = timezone.localdate()
    inquiry = RequestType.objects.get(code="general_inquiry")
    requests = []
    for number in range(8):
        files = [_png(f"scan-{number}.png")] if number % 2 == 0 else []
        requests.append(civil.request_submit(applicant=citizen, request_type=inquiry, data={}, files=files,
                                             description=f"Bench inquiry {number}: " + "text " * 40,
                                             submission_key=uuid.uuid4()))
    busy = civil.request_take(request=requests[0], actor=staff)
    for turn in range(4):
        civil.request_ask_citizen(request=busy, actor=staff, body=f"Please send document {turn}. " * 5)
        busy.refresh_from_db()
        civil.message_post(request=busy, author=citizen, body=f"Here it is ({turn}). " * 5,
                           files=[_png(f"reply-{turn}.png")])
        busy.refresh_from_db()

    people = [acting.person for acting in acting_people(citizen, today=today) if not acting.person.is_resident]
    out = today - timedelta(days=2000)
    for trip in range(60):
        holder = people[trip % len(people)]
        passports.crossing_record(holder=holder, direction=TravelRecord.Direction.EXIT, port="RUH", on=out, actor=staff)
        passports.crossing_record(holder=holder, direction=TravelRecord.Direction.ENTRY, port="JED",
                                  on=out + timedelta(days=5), actor=staff)
        out += timedelta(days=25)

    by_key = {person.name_en: person for person in people}
    bills = []
    for person in people:
        try:
            bills.append(passports.service_order(service=Service.PASSPORT, actor=citizen, holder=person,
                                                 params={"years": 5}, submission_key=uuid.uuid4()))
        except Exception:  # noqa: BLE001 - whoever the rules refuse is simply not billed
            continue
        if len(bills) == 2:
            break
    assert len(bills) == 2, f"expected two passport bills among {sorted(by_key)}"
    paid = billing.bill_pay(bill=bills[1], payment_reference="BENCH-PAID", actor=citizen)
    receipt = passports.bill_fulfil(bill=paid, actor=citizen)
    return {"request": busy.reference, "bill": bills[0].number, "receipt": receipt.reference}


def setup(fresh: bool) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import login
    from django.core.management import call_command
    from django.db import transaction
    from django.http import HttpRequest
    from django.urls import reverse
    from django.utils.module_loading import import_string

    from accounts.middleware import mark_session_start
    from accounts.models import User

    quiet = io.StringIO()
    citizen_name = "DemoParent1"
    if fresh:
        call_command("migrate", verbosity=0, stdout=quiet)
        call_command("collectstatic", interactive=False, verbosity=0, stdout=quiet)
        call_command("load_demo_data", stdout=quiet)
        call_command("load_demo_passports", stdout=quiet)
        citizen = User.objects.get(username=citizen_name)
        made = _fixture(citizen, User.objects.get(username="StaffAdmin1"))
        Path(settings.STATIC_ROOT, "bench-fixture.json").write_text(json.dumps(made))
    made = json.loads(Path(settings.STATIC_ROOT, "bench-fixture.json").read_text())
    citizen = User.objects.get(username=citizen_name)
    # The registration page's captcha pool, full as beat keeps it (no worker runs here); a pool
    # challenge stays showable for CAPTCHA_TIMEOUT - CAPTCHA_GET_FROM_POOL_TIMEOUT minutes.
    if getattr(settings, "CAPTCHA_GET_FROM_POOL", False):
        from captcha.models import CaptchaStore

        with transaction.atomic():
            CaptchaStore.objects.all().delete()
            CaptchaStore.create_pool(settings.CAPTCHA_POOL_SIZE)

    # What the sign-in's last step leaves in the session (accounts.views.LoginVerifyView.complete):
    # Django's login, then the session's start for the idle and absolute timeouts.
    request = HttpRequest()
    request.META.update({"REMOTE_ADDR": "127.0.0.1", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "443"})
    request.session = import_string(f"{settings.SESSION_ENGINE}.SessionStore")()
    login(request, citizen, backend=settings.AUTHENTICATION_BACKENDS[0])
    mark_session_start(request)
    request.session.save()

    person = citizen.person.national_id
    signed_out = {
        "home signed out": reverse("home"),
        "sign-in page": reverse("accounts:login"),
        "registration page": reverse("accounts:register"),
    }
    signed_in = {
        "home signed in": reverse("home"),
        "civil affairs": reverse("civil_affairs:home"),
        "my requests": reverse("civil_affairs:request-list"),
        "one request": reverse("civil_affairs:request-detail", args=[made["request"]]),
        "new request form": reverse("civil_affairs:request-new", args=["add_dependent"]),
        "my dependents": reverse("dependents:dependent-list"),
        "passports": reverse("passports:person-detail", args=[person]),
        "profile": reverse("accounts:profile"),
        "travel record": reverse("passports:travel-record"),
        "a bill": reverse("passports:bill-detail", args=[made["bill"]]),
        "a receipt": reverse("passports:receipt-detail", args=[made["receipt"]]),
    }
    # The mobile app's API (api/): the same citizen signed in on a device, with an access token
    # made directly and kept for the run (a real one lives API_ACCESS_TOKEN_LIFETIME).
    from datetime import timedelta

    from django.utils import timezone

    from devices import tokens
    from devices.models import AccessToken, Device

    now = timezone.now()
    device = Device.objects.create(user=citizen, kind=Device.Kind.APP, name="bench", signed_in_at=now, last_seen_at=now)
    tokens.issue_pair(device)
    access = tokens.ACCESS_PREFIX + secrets.token_urlsafe(32)
    AccessToken.objects.create(device=device, digest=tokens.digest(access), expires_at=now + timedelta(days=1))
    api = _api_routes(made, person)
    print("BENCH-SETUP " + json.dumps({
        "cookie": f"{settings.SESSION_COOKIE_NAME}={request.session.session_key}",
        "bearer": f"Bearer {access}",
        "logout": reverse("accounts:logout"),
        "pages": [(name, url, False) for name, url in signed_out.items()]
        + [(name, url, True) for name, url in signed_in.items()]
        + [(name, url, "api") for name, url in api.items()],
    }))


def _api_routes(made: dict, national_id: str) -> dict:
    """The API's routes of the run: those the app calls most (GET, the citizen's own objects)."""
    return {
        "api profile": "/api/v1/profile/",
        "api requests": "/api/v1/requests/",
        "api one request": f"/api/v1/requests/{made['request']}/",
    }


def profile(url: str, cookie: str, repeat: int) -> None:
    """One page under pyinstrument, in this process, through Django's WSGI handler (no server)."""
    import django

    django.setup()
    from django.test import Client
    from pyinstrument import Profiler

    client = Client(headers={"X-Forwarded-Proto": "https"}, SERVER_NAME="127.0.0.1")
    name, value = cookie.split("=", 1)
    client.cookies[name] = value
    for _ in range(10):
        assert client.get(url).status_code == 200
    from django.db import connection

    queries = []

    def timed_sql(execute, sql, *rest):
        began = time.perf_counter()
        try:
            return execute(sql, *rest)
        finally:
            queries.append((time.perf_counter() - began, sql))

    for _ in range(3):
        queries.clear()
        with connection.execute_wrapper(timed_sql):
            client.get(url)
    if os.environ.get("BENCH_SQL"):
        for seconds, sql in queries:
            print(f"  {seconds * 1000:6.2f} ms  {sql[:300]}")
    profiler = Profiler(interval=0.0002)
    started, cpu = time.perf_counter(), time.process_time()
    with profiler:
        for _ in range(repeat):
            client.get(url)
    print(f"{url}: {(time.perf_counter() - started) / repeat * 1000:.2f} ms a request in-process, "
          f"{(time.process_time() - cpu) / repeat * 1000:.2f} ms CPU, {len(queries)} queries")
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    if os.environ.get("BENCH_TEMPLATES"):
        from collections import Counter

        from django.template.base import Template

        spent, calls, original = Counter(), Counter(), Template._render

        def timed(self, context):
            began = time.process_time()
            try:
                return original(self, context)
            finally:
                spent[self.name] += time.process_time() - began
                calls[self.name] += 1

        Template._render = timed
        began = time.process_time()
        for _ in range(repeat):
            client.get(url)
        total = time.process_time() - began
        Template._render = original
        print(f"total {total / repeat * 1000:.2f} ms CPU a request; templates (inclusive):")
        for name, seconds in spent.most_common(25):
            print(f"  {seconds / repeat * 1000:7.2f} ms  x{calls[name] / repeat:5.1f}  {name}")
    if os.environ.get("BENCH_CPROFILE"):
        import cProfile
        import pstats

        timings = cProfile.Profile(time.process_time)
        timings.enable()
        for _ in range(repeat):
            client.get(url)
        timings.disable()
        pstats.Stats(timings).sort_stats(os.environ["BENCH_CPROFILE"]).print_stats(os.environ.get("BENCH_FILTER", ""), 45)


# --- outside: the database, the servers, the load -------------------------------------------------


def environment(args, scratch: Path) -> dict:
    from cryptography.fernet import Fernet

    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": "absher.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "OTP_HMAC_KEY": secrets.token_urlsafe(32),
        "FINGERPRINT_KEY": Fernet.generate_key().decode(),
        "NOTIFY_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "DOCUMENT_SIGNING_KEY": Fernet.generate_key().decode(),
        "WEBAUTHN_RP_ID": "localhost",
        "WEBAUTHN_ORIGINS": "http://localhost",
        "PAYMENT_NOTIFICATION_KEY": secrets.token_urlsafe(48),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": f"{args.postgres.rstrip('/')}/{args.db}",
        "REDIS_URL": args.redis,
        # Nothing is delivered: the bench has no worker, and the fixture's notices need no SMS.
        "CELERY_BROKER_URL": "memory://",
        "SMS_BACKEND": "absher.sms.backends.console.SmsBackend",
        "MALWARE_SCANNER": "civil_affairs.scanning.SignatureScanner",
        "FINGERPRINT_MATCHER": "biometrics.matching.NbisMatcher",
        "PAYMENT_SIMULATOR_ALLOWED": "true",
        "DJANGO_STATIC_ROOT": str(scratch / "static"),
        "DJANGO_MEDIA_ROOT": str(scratch / "media"),
        "PRIVATE_FILES_ROOT": str(scratch / "private"),
        "DJANGO_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    })
    return env


def database_recreate(args) -> None:
    import psycopg2

    connection = psycopg2.connect(f"{args.postgres.rstrip('/')}/postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{args.db}"')
    connection.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(app: str, env: dict, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--chdir", str(ROOT), "--workers", str(WORKERS), "--bind",
         f"127.0.0.1:{port}", "--log-level", "warning", app],
        env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return server, base
        except OSError:
            if server.poll() is not None:
                raise SystemExit(f"{app} did not start: see {log}") from None
            time.sleep(0.1)
    raise SystemExit(f"{app} did not start: see {log}")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url: str, headers: dict) -> tuple[int, str]:
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers=headers), timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def wrk(url: str, headers: dict, script: Path, seconds: float) -> dict:
    command = ["wrk", "--threads", "2", "--connections", str(CONNECTIONS), "--duration", f"{int(seconds)}s",
               "--timeout", "10s", "--script", str(script)]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    found = re.search(r"BENCH p50=(\d+) p99=(\d+) requests=(\d+) non200=(\d+) errors=(\d+)", output)
    if not found:
        raise SystemExit(f"wrk said:\n{output}")
    p50, p99, requests, non200, errors = map(int, found.groups())
    return {"p50": p50 / 1000, "p99": p99 / 1000, "requests": requests, "bad": non200 + errors}


def _headers(needs_session, proto: dict, signed_in: dict, app: dict) -> dict:
    """A page's request headers: signed out, signed in (the session cookie), or the app's bearer token."""
    if needs_session == "api":
        return app
    return signed_in if needs_session else proto


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="absher_bench_pages")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--duration", type=int, default=4, help="seconds of each wrk run")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each page (the median is kept)")
    parser.add_argument("--only", default="", help="comma-separated page names")
    parser.add_argument("--reuse", action="store_true", help="keep the database and its data from the last run")
    parser.add_argument("--steady", action="store_true", help="no worker recycling (GUNICORN_MAX_REQUESTS=0) in either server")
    parser.add_argument("--profile", default="", help="profile this page in-process (pyinstrument) instead")
    parser.add_argument("--setup", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--profile-url", default="", help=argparse.SUPPRESS)
    parser.add_argument("--cookie", default="", help=argparse.SUPPRESS)
    parser.add_argument("--fresh", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup:
        return setup(args.fresh)
    if args.profile_url:
        return profile(args.profile_url, args.cookie, repeat=int(os.environ.get("BENCH_REPEAT", "200")))
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk")

    scratch = Path(tempfile.gettempdir()) / f"absher-bench-{args.db}"
    scratch.mkdir(exist_ok=True)
    env = environment(args, scratch)
    if args.steady:
        env["GUNICORN_MAX_REQUESTS"] = "0"
    if not args.reuse:
        database_recreate(args)
    import redis

    redis.Redis.from_url(args.redis).flushdb()
    made = subprocess.run([sys.executable, __file__, "--setup"] + ([] if args.reuse else ["--fresh"]), env=env,
                          cwd=ROOT, capture_output=True, text=True)
    line = next((line for line in made.stdout.splitlines() if line.startswith("BENCH-SETUP ")), None)
    if made.returncode or line is None:
        raise SystemExit(f"setup failed:\n{made.stdout[-3000:]}\n{made.stderr[-5000:]}")
    plan = json.loads(line.removeprefix("BENCH-SETUP "))
    pages = plan["pages"]
    if args.only:
        wanted = {name.strip() for name in args.only.split(",")}
        pages = [page for page in pages if page[0] in wanted]

    if args.profile:
        name, url, needs_session = next(page for page in plan["pages"] if page[0] == args.profile)
        command = [sys.executable, __file__, "--profile-url", url, "--cookie", plan["cookie"] if needs_session else "x=y"]
        subprocess.run(command, env=env, cwd=ROOT, check=True)
        return None

    script = scratch / "count.lua"
    script.write_text(WRK_SCRIPT)
    portal, portal_url = serve("absher.wsgi:application", env, scratch / "portal.log")
    bare, bare_url = serve("bench.bare.wsgi:application", {**env, "DJANGO_SETTINGS_MODULE": "bench.bare.settings"},
                           scratch / "bare.log")
    proto = {"X-Forwarded-Proto": "https"}
    signed_in = {**proto, "Cookie": plan["cookie"]}
    app = {**proto, "Authorization": plan["bearer"], "Accept": "application/json"}
    try:
        status, body = fetch(bare_url + "/", proto)
        assert status == 200 and "Bare page" in body, ("bare page", status)
        for name, url, needs_session in pages:
            status, body = fetch(portal_url + url, _headers(needs_session, proto, signed_in, app))
            assert status == 200, f"{name} {url}: {status}"
            if needs_session == "api":
                assert body.startswith(("{", "[")), f"{name} {url}: not JSON"
                continue
            signed = plan["logout"] in body
            assert signed == needs_session, f"{name} {url}: signed in is {signed}"

        bare_runs, results = [], {name: [] for name, _url, _needs in pages}
        for _round in range(args.rounds):
            for name, url, needs_session in pages:
                headers = _headers(needs_session, proto, signed_in, app)
                wrk(portal_url + url, headers, script, 1)  # warm the workers' caches
                base = wrk(bare_url + "/", proto, script, args.duration)
                run = wrk(portal_url + url, headers, script, args.duration)
                bare_runs.append(base)
                results[name].append((run, base))

        bare_p50 = statistics.median(run["p50"] for run in bare_runs)
        bare_p99 = statistics.median(run["p99"] for run in bare_runs)
        bad_bare = sum(run["bad"] for run in bare_runs)
        print("load average (1, 5, 15 min): " + ", ".join(f"{value:.2f}" for value in os.getloadavg())
              + ("; no worker recycling (--steady)" if args.steady else ""))
        print(f"bare page: p50 {bare_p50:.2f} ms, p99 {bare_p99:.2f} ms, "
              f"{statistics.median(run['requests'] for run in bare_runs) / args.duration:.0f} req/s, not 200: {bad_bare}")
        print(f"{'page':20s} {'p50 ×':>6s} {'p99 ×':>6s} {'p50 ms':>7s} {'req/s':>6s} {'not 200':>7s}")
        for name, runs in results.items():
            p50 = statistics.median(run["p50"] / base["p50"] for run, base in runs)
            p99 = statistics.median(run["p99"] / base["p99"] for run, base in runs)
            rate = statistics.median(run["requests"] for run, _base in runs) / args.duration
            bad = sum(run["bad"] for run, _base in runs)
            print(f"{name:20s} {p50:6.1f} {p99:6.1f} {statistics.median(r['p50'] for r, _b in runs):7.1f} "
                  f"{rate:6.0f} {bad:7d}")
    finally:
        for server in (portal, bare):
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
