"""The notification pipeline under load (QUALITY.md figure 31; issue 9's closing figures). Run on
demand, never part of the test suite; every process and server is on 127.0.0.1 and every wait is
bounded.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/absher_bench \\
        .venv/bin/python bench/notifications.py [--requests 30] [--rounds 2] [--messages 1000] [--control]

It migrates the named database (never point it at real data), uses the Redis database
BENCH_BROKER_URL (default redis://127.0.0.1:6379/7, flushed), starts two fake HTTP gateways (one
answers at once, one after --slow seconds, 10 by default), gunicorn (2 sync workers) and one
Celery worker process (`--concurrency=1`), and prints:

1. the registration code page's "send me a new code" (POST /accounts/register/resend/, what a
   citizen waiting for the code clicks) median latency over HTTP with the slow gateway and with
   the fast one, measured in alternating rounds in one run, and their ratio (target <= 1.2: the
   request only writes the outbox row; the worker meets the gateway). --control adds the same
   page with tasks run inside the request (the portal before the queue) and the slow gateway,
   to show what the ratio guards against.
2. the throughput of one worker process handing --messages queued messages to the fast gateway
   (messages/s, from the first hand-over to the last).
3. the delay from the commit of the transaction that wrote a message to its hand-over at the
   gateway, p50 and p99, over --latency-messages messages committed one by one.
"""

import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.notifications_settings"
os.environ.setdefault("BENCH_BROKER_URL", "redis://127.0.0.1:6379/7")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from bench.notifications_gateway import FakeGateway  # noqa: E402

START_TIMEOUT = 60


def wait_for(predicate, *, timeout: float, what: str, every: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(every)
    raise SystemExit(f"gave up after {timeout:.0f} s waiting for {what}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Process:
    """A child process in its own process group, with its output in a log file; ended by `stop`."""

    def __init__(self, name: str, cmd: list[str], env: dict, log_dir: Path):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        with self.log_path.open("w") as log:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, sig=signal.SIGTERM, timeout: float = 15):
        if self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, sig)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)


def child_env(**extra) -> dict:
    env = dict(os.environ)
    env.update({"DJANGO_SETTINGS_MODULE": "bench.notifications_settings", **extra})
    return env


def start_gunicorn(log_dir: Path, **extra) -> tuple[Process, str]:
    port = free_port()
    web = Process(f"gunicorn-{port}", [sys.executable, "-m", "gunicorn", "absher.wsgi:application",
                                       "--bind", f"127.0.0.1:{port}", "--workers", "2", "--timeout", "60"],
                  child_env(**extra), log_dir)

    def answers():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            return False

    wait_for(answers, timeout=START_TIMEOUT, what="gunicorn")
    return web, f"http://127.0.0.1:{port}"


def start_worker(log_dir: Path, gateway_url: str, name: str) -> Process:
    worker = Process(name, [sys.executable, "-m", "celery", "-A", "absher", "worker", "--pool=prefork",
                            "--concurrency=1", "--loglevel=INFO", "--without-gossip", "--without-mingle"],
                     child_env(BENCH_GATEWAY_URL=gateway_url), log_dir)
    wait_for(lambda: " ready." in worker.log() or worker.proc.poll() is not None, timeout=START_TIMEOUT,
             what=f"the worker {name}")
    if worker.proc.poll() is not None:
        raise SystemExit(f"the worker did not start:\n{worker.log()}")
    return worker


def flush_broker():
    import redis

    redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=2).flushdb()


# --- 1. the page's latency -------------------------------------------------------------------------


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Citizen:
    """A browser in the middle of a registration: its session waits for the SMS code."""

    def __init__(self, base: str, session_key: str):
        self.base = base
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)
        self.session_key = session_key
        self.token = ""

    def _request(self, path, data=None):
        request = urllib.request.Request(self.base + path, data=data, headers={
            "Cookie": f"{settings.SESSION_COOKIE_NAME}={self.session_key}" + "".join(
                f"; {c.name}={c.value}" for c in self.jar if c.name != settings.SESSION_COOKIE_NAME)})
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:  # the 302 that NoRedirect leaves alone
            return exc.code, ""

    def open_code_page(self):
        status, html = self._request("/accounts/register/confirm/")
        assert status == 200, status
        self.token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)

    def ask_for_a_new_code(self) -> float:
        data = f"csrfmiddlewaretoken={self.token}".encode()
        start = time.perf_counter()
        status, _ = self._request("/accounts/register/resend/", data)
        elapsed = time.perf_counter() - start
        assert status == 302, status
        return elapsed


def pending_registration() -> str:
    """A registration waiting for its code, and a session holding it (as the register page leaves it)."""
    from django.contrib.sessions.backends.db import SessionStore

    from accounts import services
    from accounts.views import REGISTRATION
    from civil_affairs.identity import luhn_check_digit
    from civil_affairs.models import Person

    serial = int(time.time()) % 10**8
    nine = f"1{serial:08d}"
    national_id = nine + luhn_check_digit(nine)
    Person.objects.update_or_create(national_id=national_id, defaults={
        "name_ar": "مقياس", "name_en": "Bench", "sex": "M", "birth_date": "1990-01-01", "nationality": "SA",
        "national_id_issued": True})
    data = services.RegistrationData(national_id=national_id, mobile=f"+9665{serial:08d}",
                                     username=f"Bench{serial}x", password="BenchPass2026", email="bench@example.com",
                                     language="en")
    user, challenge = services.registration_start(data=data, client_address="127.0.0.1")
    session = SessionStore()
    session[REGISTRATION] = {"user_id": user.pk, "challenge": str(challenge)}
    session.create()
    return session.session_key


def page_latency(args, log_dir, fast, slow):
    web, base = start_gunicorn(log_dir)
    citizen = Citizen(base, pending_registration())
    citizen.open_code_page()
    samples = {"fast": [], "slow": []}
    try:
        for round_ in range(args.rounds):
            for name, gateway in (("fast", fast), ("slow", slow)):
                flush_broker()
                worker = start_worker(log_dir, gateway.url, f"worker-{name}-{round_}")
                try:
                    for _ in range(5):  # warm: both gunicorn workers, the connection to Redis
                        citizen.ask_for_a_new_code()
                    samples[name] += [citizen.ask_for_a_new_code() for _ in range(args.requests)]
                    if name == "slow":
                        # The worker really is held by the slow gateway meanwhile.
                        wait_for(lambda g=gateway: g.count() > 0, timeout=args.slow + 30, what="the slow gateway's call")
                finally:
                    worker.stop(signal.SIGKILL)
    finally:
        web.stop()
    fast_ms, slow_ms = (statistics.median(samples[n]) * 1000 for n in ("fast", "slow"))
    print(f"1. the registration code page's 'new code' (POST), median over {len(samples['fast'])} requests each")
    print(f"   gateway answering at once   {fast_ms:8.1f} ms")
    print(f"   gateway answering in {args.slow:g} s   {slow_ms:8.1f} ms")
    print(f"   ratio slow / fast           {slow_ms / fast_ms:8.2f}   (target <= 1.2)")
    print(f"   messages the slow gateway had taken meanwhile: {slow.count()} "
          f"(one worker, one message per {args.slow:g} s: the rest wait in the queue, not in the request)")
    if args.control:
        flush_broker()
        web, base = start_gunicorn(log_dir, BENCH_EAGER="1", BENCH_GATEWAY_URL=slow.url)
        try:
            inline = Citizen(base, pending_registration())
            inline.open_code_page()
            control = [inline.ask_for_a_new_code() for _ in range(3)]
        finally:
            web.stop()
        print(f"   control, tasks run inside the request (no queue), slow gateway: {statistics.median(control) * 1000:8.1f} ms")


# --- 2. and 3. the worker ------------------------------------------------------------------------------


def enqueue_sms(n: int, *, text: str) -> None:
    from absher.notifications.services import message_enqueue

    message_enqueue(to=f"+9665{n:08d}", language="en", purpose="bench.sms", render=lambda: text)


def throughput(args, log_dir, fast):
    from absher.notifications.models import OutboxMessage

    flush_broker()
    before = fast.count()
    with transaction.atomic():
        for n in range(args.messages):
            enqueue_sms(n, text=f"bench throughput {n}")
    first_pk = OutboxMessage.objects.filter(purpose="bench.sms").order_by("-pk").values_list("pk", flat=True)[
        args.messages - 1]
    worker = start_worker(log_dir, fast.url, "worker-throughput")
    try:
        wait_for(lambda: fast.count() >= before + args.messages, timeout=args.messages / 5 + 60,
                 what=f"{args.messages} messages at the gateway")
    finally:
        worker.stop(signal.SIGKILL)
    times = sorted(t for ref, t in fast.arrived().items() if ref.isdigit() and int(ref) >= first_pk)
    rate = (len(times) - 1) / (times[-1] - times[0])
    print(f"2. one worker process, {len(times)} queued messages to a local gateway: {rate:8.1f} messages/s")


def commit_to_hand_over(args, log_dir, fast):
    from absher.notifications.services import message_enqueue

    flush_broker()
    worker = start_worker(log_dir, fast.url, "worker-latency")
    committed: dict[str, float] = {}
    try:
        for n in range(args.latency_messages):
            with transaction.atomic():
                key = {}
                # Registered first, so it runs first at the commit: the instant the row is committed.
                transaction.on_commit(lambda k=key: committed.__setitem__(k["pk"], time.time()))
                message = message_enqueue(to=f"+9665{n:08d}", language="en", purpose="bench.latency",
                                          render=lambda: "bench latency")
                key["pk"] = str(message.pk)
            time.sleep(args.pace)
        wait_for(lambda: all(pk in fast.arrived() for pk in committed), timeout=60,
                 what="every message at the gateway")
    finally:
        worker.stop(signal.SIGKILL)
    arrived = fast.arrived()
    delays = sorted((arrived[pk] - at) * 1000 for pk, at in committed.items())
    p50 = statistics.median(delays)
    p99 = delays[min(len(delays) - 1, int(round(0.99 * len(delays))) - 1)]
    print(f"3. commit to hand-over, {len(delays)} messages committed one by one every {args.pace * 1000:.0f} ms: "
          f"p50 {p50:.1f} ms, p99 {p99:.1f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=30, help="requests per gateway and round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--slow", type=float, default=10.0, help="seconds the slow gateway takes to answer")
    parser.add_argument("--messages", type=int, default=1000, help="queued messages for the throughput")
    parser.add_argument("--latency-messages", type=int, default=200)
    parser.add_argument("--pace", type=float, default=0.02, help="seconds between the latency's commits")
    parser.add_argument("--control", action="store_true", help="also time the page with tasks run in the request")
    parser.add_argument("--only", choices=["page", "throughput", "latency"])
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("DATABASE_URL must name a PostgreSQL database (gunicorn, the worker and the bench share it)")
    call_command("migrate", verbosity=0)
    log_dir = Path(os.environ.get("BENCH_LOG_DIR", "/tmp/absher-bench-notifications"))
    log_dir.mkdir(parents=True, exist_ok=True)
    fast, slow = FakeGateway(0.0), FakeGateway(args.slow)
    try:
        if args.only in (None, "page"):
            page_latency(args, log_dir, fast, slow)
        if args.only in (None, "throughput"):
            throughput(args, log_dir, fast)
        if args.only in (None, "latency"):
            commit_to_hand_over(args, log_dir, fast)
    finally:
        flush_broker()
        fast.close()
        slow.close()
    print(f"(process logs in {log_dir})")


if __name__ == "__main__":
    main()
