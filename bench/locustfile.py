"""The load test's simulated citizen (QUALITY.md, "Scale"): run by bench/load.sh, with locust in its
own venv (.venv-load; locust brings gevent and Flask, which the portal's venv does not want).

Each simulated user is one citizen at a time, from the accounts bench/load_setup.py prepared
(LOAD_CITIZENS, a JSON file): it signs in (password, then the SMS code read from the file SMS
backend's LOAD_SMS_FILE), browses its pages, files a civil affairs request with a small PNG, pays
a bill on the simulated gateway, and after a while signs out and hands the account back; the
next citizen takes another account. Requests are named by step ("sign in: password",
"pay: gateway") so that the statistics give p50/p95 per step.

What the portal sees is what it sees behind nginx in production:
- `X-Forwarded-Proto: https` (the production settings force HTTPS) and one `X-Forwarded-For`
  address (10.x.y.z) per citizen, counted by the per-address caps (TRUSTED_PROXY_COUNT=1);
- its `__Host-` cookies are Secure, which the client's cookie jar (requests) would never send
  over the plain http of 127.0.0.1: each request carries the jar's cookies in a Cookie header
  of its own (`headers` below), as the browser sends them over https to the proxy;
- POSTs carry the form's CSRF token and the Origin and Referer a browser sends (Django checks
  them on a secure request).

The time from the sign-in POST to its code appearing in the SMS file is the worker's lag (the
code leaves through the outbox and a Celery worker): it is reported as the custom event
"worker / sms lag" (a failure when no code came within LOAD_SMS_TIMEOUT seconds).

Any 5xx is a failure; so is any status a step does not expect (a 4xx among them). Every status
is also counted per step and written to LOAD_STATUS_FILE at the end (4xx and 5xx included).
"""

import json
import os
import random
import re
import struct
import time
import uuid
import zlib
from collections import Counter, defaultdict, deque
from pathlib import Path
from urllib.parse import urlsplit

import gevent
from locust import HttpUser, between, events, task
from locust.exception import StopUser
from locust.stats import StatsEntry

CITIZENS_FILE = Path(os.environ.get("LOAD_CITIZENS", "var/load/citizens.json"))
SMS_FILE = Path(os.environ.get("LOAD_SMS_FILE", "var/load/sms.jsonl"))
SMS_TIMEOUT = float(os.environ.get("LOAD_SMS_TIMEOUT", "30"))
STATUS_FILE = os.environ.get("LOAD_STATUS_FILE", "")
# Tasks one citizen does before signing out and handing the account to the next (a session).
SESSION_TASKS = (12, 30)
# The per-mobile caps of SMS codes (absher/settings/base.py): an account signs in at most this
# often in 15 minutes here, so that the test never meets the cap a real citizen would not.
SIGN_INS_PER_15_MIN = 3

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SUBMISSION_KEY = re.compile(r'name="submission_key" value="([^"]+)"')
REQUEST_LINK = re.compile(r'href="(/services/civil-affairs/requests/([A-Z]{2}-[0-9]{4}-[0-9]+)/)"')
BILL_PATH = re.compile(r"/services/passports/bills/([0-9]+)/")
CODE = re.compile(r"(?<![0-9])([0-9]{6})(?![0-9])")  # next to Arabic letters \\b would not do


def tiny_png() -> bytes:
    """A valid 8x8 grey PNG: the upload checks decode and re-encode it (civil_affairs/uploads.py)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes([128]) * 8 for _ in range(8))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


PNG = tiny_png()


class SmsInbox:
    """The file SMS backend's messages (one JSON object a line), read as they are appended.

    One reader for the whole locust process: each poll reads only what was added since the last.
    """

    def __init__(self, path: Path):
        self.path = path
        self.offset = path.stat().st_size if path.exists() else 0
        self.partial = b""
        self.by_mobile: dict[str, list[str]] = defaultdict(list)

    def poll(self) -> None:
        if not self.path.exists():
            return
        with self.path.open("rb") as fh:
            fh.seek(self.offset)
            data = fh.read()
        self.offset += len(data)
        lines = (self.partial + data).split(b"\n")
        self.partial = lines.pop()
        for line in lines:
            if line.strip():
                message = json.loads(line)
                self.by_mobile[message["to"]].append(message["body"])

    def count(self, mobile: str) -> int:
        self.poll()
        return len(self.by_mobile[mobile])

    def code_after(self, mobile: str, seen: int, timeout: float) -> str | None:
        """The code of the first message to `mobile` after the `seen` first ones, waiting up to `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            self.poll()
            for body in self.by_mobile[mobile][seen:]:
                match = CODE.search(body)
                if match:
                    return match.group(1)
            if time.monotonic() >= deadline:
                return None
            gevent.sleep(0.05)


class AccountPool:
    """The prepared citizens, each used by one simulated user at a time, least recently used first."""

    def __init__(self, citizens: list[dict]):
        self.free = deque(citizens)
        self.sign_ins: dict[str, deque] = defaultdict(deque)

    def take(self) -> dict | None:
        now = time.monotonic()
        for _ in range(len(self.free)):
            citizen = self.free.popleft()
            recent = self.sign_ins[citizen["username"]]
            while recent and now - recent[0] > 15 * 60:
                recent.popleft()
            if len(recent) < SIGN_INS_PER_15_MIN:
                recent.append(now)
                return citizen
            self.free.append(citizen)
        return None

    def give_back(self, citizen: dict) -> None:
        self.free.append(citizen)


STATE: dict = {}
STATUSES: dict[str, Counter] = defaultdict(Counter)


@events.test_start.add_listener
def _load(environment, **kwargs):
    STATE["pool"] = AccountPool(json.loads(CITIZENS_FILE.read_text(encoding="utf-8"))["citizens"])
    STATE["sms"] = SmsInbox(SMS_FILE)


@events.request.add_listener
def _count_status(request_type, name, response, **kwargs):
    if response is not None and request_type != "worker":
        STATUSES[name][str(getattr(response, "status_code", 0) or "error")] += 1


@events.test_stop.add_listener
def _write_statuses(environment, **kwargs):
    """Statuses per step, and the percentiles of the HTTP requests alone (locust's own total
    counts the worker's lag events with them)."""
    if not STATUS_FILE:
        return
    stats = environment.runner.stats
    http = StatsEntry(stats, "all requests", "")
    for entry in stats.entries.values():
        if entry.method != "worker":
            http.extend(entry)
    summary = {"requests": http.num_requests, "failures": http.num_failures, "rps": http.total_rps,
               **{f"p{int(q * 100)}": http.get_response_time_percentile(q) for q in (0.5, 0.95, 0.99)}}
    Path(STATUS_FILE).write_text(json.dumps(
        {"steps": {name: dict(counts) for name, counts in sorted(STATUSES.items())}, "all_requests": summary}, indent=1))


class Citizen(HttpUser):
    wait_time = between(2, 6)

    def on_start(self):
        self.origin = "https://" + urlsplit(self.host).netloc
        self.citizen = None
        self.begin_session()

    def on_stop(self):
        self.end_session(sign_out=False)

    # --- plumbing -----------------------------------------------------------------------------

    def headers(self, referer: str | None = None) -> dict:
        headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": self.address, "Accept-Language": "ar"}
        # requests keeps Secure cookies for https; the jar still stores them (and drops expired
        # ones), and one host sets them all on "/": the header is the whole jar.
        cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.client.cookies)
        if cookies:
            headers["Cookie"] = cookies
        if referer is not None:
            headers.update({"Origin": self.origin, "Referer": self.origin + referer})
        return headers

    def get(self, path: str, name: str, expect=(200,), to: str = ""):
        with self.client.get(path, name=name, headers=self.headers(), allow_redirects=False,
                             catch_response=True) as response:
            self._judge(response, expect, to)
            self._remember_token(response)
            return response

    def post(self, path: str, name: str, data: dict, *, referer: str, files=None, expect=(302,), to: str = ""):
        data = {**data, "csrfmiddlewaretoken": self.token}
        with self.client.post(path, name=name, data=data, files=files, headers=self.headers(referer),
                              allow_redirects=False, catch_response=True) as response:
            self._judge(response, expect, to)
            self._remember_token(response)
            return response

    @staticmethod
    def _judge(response, expect, to):
        """The step's expected status, and for a redirect where to (`to`, a part of the path)."""
        where = response.headers.get("Location", "")
        if response.status_code in expect and (not to or to in where):
            response.success()
        elif response.status_code >= 500:
            response.failure(f"server error {response.status_code}")
        else:
            # The path without the changing numbers, so that one kind of failure is one line.
            response.failure(f"status {response.status_code}" + (f" -> {re.sub('[0-9]+', 'N', where)}" if where else ""))

    def _remember_token(self, response):
        if "text/html" in response.headers.get("Content-Type", ""):
            match = CSRF_FIELD.search(response.text)
            if match:
                self.token = match.group(1)

    # --- a session: one citizen signed in -----------------------------------------------------

    def begin_session(self):
        self.citizen = STATE["pool"].take()
        if self.citizen is None:
            raise StopUser()  # more users than the accounts can serve within the SMS caps
        self.client.cookies.clear()
        self.token = ""
        self.address = f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"
        self.tasks_left = random.randint(*SESSION_TASKS)
        self.payables = list(self.citizen["payables"])
        self.signed_in = self.sign_in()

    def end_session(self, *, sign_out: bool = True):
        if self.citizen is None:
            return
        if sign_out and self.signed_in:
            self.post("/accounts/logout/", "sign out", {}, referer="/")
        # What is left to pay stays with the account for its next citizen.
        self.citizen["payables"] = self.payables
        STATE["pool"].give_back(self.citizen)
        self.citizen = None

    def sign_in(self) -> bool:
        mobile = self.citizen["mobile"]
        self.get("/accounts/login/", "sign in: form")
        inbox: SmsInbox = STATE["sms"]
        seen = inbox.count(mobile)
        posted = time.monotonic()
        response = self.post("/accounts/login/", "sign in: password",
                             {"identifier": self.citizen["username"], "password": self.citizen["password"]},
                             referer="/accounts/login/", to="/accounts/login/code/")
        if not response.headers.get("Location", "").endswith("/accounts/login/code/"):
            return False
        answered = time.monotonic()
        code = inbox.code_after(mobile, seen, SMS_TIMEOUT)
        arrived = time.monotonic()
        failed = None if code else TimeoutError(f"no SMS code within {SMS_TIMEOUT:.0f} s")
        # From the POST (what the citizen waits), and from its answer: by then the code's outbox
        # row is committed and its task enqueued, so what is left is the broker and the worker.
        for name, since in (("sms lag", posted), ("sms lag after the answer", answered)):
            self.environment.events.request.fire(
                request_type="worker", name=name, response_time=(arrived - since) * 1000, response_length=0,
                response=None, context={}, exception=failed,
            )
        if code is None:
            return False
        self.get("/accounts/login/code/", "sign in: code form")
        response = self.post("/accounts/login/code/", "sign in: code", {"code": code}, referer="/accounts/login/code/")
        return response.status_code == 302 and "/login/" not in response.headers.get("Location", "")

    def next_task(self) -> bool:
        """Count a task of the session; at its end, sign out and let the next citizen in."""
        if not self.signed_in:
            self.end_session(sign_out=False)
            self.begin_session()
            return False
        self.tasks_left -= 1
        if self.tasks_left < 0:
            self.end_session()
            self.begin_session()
            return False
        return True

    # --- what a citizen does ------------------------------------------------------------------

    @task(3)
    def home(self):
        if self.next_task():
            self.get("/", "browse: home")

    @task(3)
    def civil_affairs(self):
        if self.next_task():
            self.get("/services/civil-affairs/", "browse: civil affairs")

    @task(4)
    def my_requests(self):
        if not self.next_task():
            return
        response = self.get("/services/civil-affairs/requests/", "browse: my requests")
        links = REQUEST_LINK.findall(response.text) if response.status_code == 200 else []
        if links:
            self.get(random.choice(links)[0], "browse: a request")

    @task(3)
    def passports(self):
        if not self.next_task():
            return
        self.get("/services/passports/", "browse: passports")
        person = random.choice([self.citizen["national_id"]] + ([self.citizen["dependent"]] if self.citizen["dependent"] else []))
        self.get(f"/services/passports/people/{person}/", "browse: passports person")

    @task(2)
    def travel_record(self):
        if self.next_task():
            self.get("/services/passports/travel-record/", "browse: travel record")

    @task(2)
    def profile(self):
        if self.next_task():
            self.get("/accounts/profile/", "browse: profile")

    @task(1)
    def dependents(self):
        if self.next_task():
            self.get("/services/dependents/", "browse: dependents")

    @task(2)
    def file_request(self):
        if not self.next_task():
            return
        form = "/services/civil-affairs/requests/new/general_inquiry/"
        response = self.get(form, "request: form")
        key = SUBMISSION_KEY.search(response.text) if response.status_code == 200 else None
        if key is None:
            return
        response = self.post(form, "request: submit",
                             {"description": "أرغب في الاستفسار عن حالة سجل الأسرة.", "submission_key": key.group(1)},
                             files={"files": (f"scan-{uuid.uuid4().hex[:8]}.png", PNG, "image/png")}, referer=form,
                             to="/services/civil-affairs/requests/")
        if response.status_code == 302:
            self.get(response.headers["Location"], "request: detail")

    @task(2)
    def pay(self):
        if not self.next_task() or not self.payables:
            return
        item = self.payables.pop(0)
        if "fine" in item:
            person = f"/services/passports/people/{self.citizen['national_id']}/"
            self.get(person, "browse: passports person")
            response = self.post(f"/services/passports/fines/{item['fine']}/pay/", "pay: fine to bill", {}, referer=person,
                                 to="/bills/")
            found = BILL_PATH.search(response.headers.get("Location", "")) if response.status_code == 302 else None
            if found is None:
                return
            number = found.group(1)
        else:
            number = item["bill"]
        bill = f"/services/passports/bills/{number}/"
        self.get(bill, "pay: bill")
        response = self.post(f"{bill}pay/", "pay: start", {}, referer=bill, to="/simulated-gateway/")
        if response.status_code != 302:
            return
        gateway = f"{bill}simulated-gateway/"
        self.get(gateway, "pay: gateway page")
        response = self.post(gateway, "pay: gateway pay", {"outcome": "pay"}, referer=gateway, to="/return/")
        if response.status_code != 302:
            return
        response = self.get(f"{bill}return/", "pay: return", expect=(302,), to="/receipts/")
        target = response.headers.get("Location", "")
        if "/receipts/" in target:
            self.get(target, "pay: receipt")
