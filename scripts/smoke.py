"""The smoke test of a running production stack (scripts/serve.sh; scripts/smoke.sh runs both).

A citizen's first hour, over HTTP as a browser behind the reverse proxy would send it:

1. the health probes answer (liveness and readiness);
2. a demo person with no account registers (the captcha's answer read from its table: production
   has no captcha test mode, and this test runs on the database's machine) and confirms the mobile
   with the code the Celery worker delivered to the SMS file;
3. staff (StaffAdmin1 of the demo data) signs in with password and SMS code and activates the
   account in person through the admin's action, as a service centre does;
4. the citizen signs in (password, then the SMS code) and files a civil-affairs request with a
   PNG attachment; the request is listed and the attachment downloads;
5. gunicorn's access log, when given, is one JSON object a line and has this run's request ids.

Standard library only, plus psycopg2 (a requirement of the portal). Cookies and CSRF are handled
here: the stack's cookies are `__Host-` and Secure while the test speaks plain http to gunicorn
on the loopback, so it sends `X-Forwarded-Proto: https` and an https Referer and Origin, as the
proxy and a browser would. Exit status 0 when every step passed; the timings are printed as JSON.

    python scripts/smoke.py --base-url http://127.0.0.1:8080 --sms-file var/serve/sms.jsonl \
        [--database-url postgres://…] [--access-log var/log/web.log]
"""

import argparse
import html
import http.client
import json
import os
import re
import secrets
import struct
import sys
import time
import uuid
import zlib
from datetime import datetime
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

FREE_IDS = ("1000000016", "1000000024", "1000000032", "2000000014", "2000000022", "2000000030", "2000000048")
STAFF_USERNAME = "StaffAdmin1"
DEMO_PASSWORD = "DemoPass2026"
CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")
ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


class SmokeFailure(AssertionError):
    pass


def check(condition, message):
    if not condition:
        raise SmokeFailure(message)


class Client:
    """One browser: its own cookies, every request as if through the TLS-terminating proxy."""

    def __init__(self, base_url: str, name: str, timeout: float = 30):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.origin = f"https://{parts.netloc}"  # what the browser sees, behind the proxy
        self.name = name
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.request_ids: list[str] = []
        self.last_url = "/"

    def request(self, method, path, *, body=None, content_type=None, referer=None):
        request_id = uuid.uuid4().hex
        self.request_ids.append(request_id)
        headers = {
            "Host": f"{self.host}:{self.port}",
            "X-Forwarded-Proto": "https",
            "X-Request-ID": request_id,
            "User-Agent": f"absher-smoke/1 ({self.name})",
            "Accept-Language": "en",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if method != "GET":
            headers["Origin"] = self.origin
            headers["Referer"] = self.origin + (referer or self.last_url)
        if body is not None:
            headers["Content-Type"] = content_type or "application/x-www-form-urlencoded"
            headers["Content-Length"] = str(len(body))
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        for header in response.msg.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or (not morsel.value and morsel["expires"]):
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        if method == "GET":
            self.last_url = path
        return Response(response.status, response.msg, data, path)

    def get(self, path, *, expect=200):
        response = self.request("GET", path)
        check(response.status == expect, f"{self.name}: GET {path}: {response.status}, expected {expect}")
        return response

    def post(self, path, fields, *, files=None, expect=302):
        if files:
            body, content_type = multipart(fields, files)
        else:
            body, content_type = urlencode(fields, doseq=True).encode(), None
        response = self.request("POST", path, body=body, content_type=content_type, referer=path)
        if response.status != expect:
            errors = "; ".join(re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", e))).strip()
                               for e in re.findall(r'class="[^"]*(?:invalid-feedback|alert-danger|errorlist)[^"]*"[^>]*>(.*?)</', response.text, re.S))
            raise SmokeFailure(f"{self.name}: POST {path}: {response.status}, expected {expect}. {errors[:600]}")
        return response

    def form(self, path):
        """GET a page with a form: its CSRF token and hidden fields."""
        page = self.get(path)
        hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
        check("csrfmiddlewaretoken" in hidden, f"{self.name}: no CSRF token on {path}")
        return page, hidden


class Response:
    def __init__(self, status, headers, data, path):
        self.status, self.headers, self.data, self.path = status, headers, data, path

    @property
    def text(self):
        return self.data.decode("utf-8", "replace")

    @property
    def location(self):
        """The redirect's target as a path on this server (the portal may answer with https://host/…)."""
        target = urlsplit(self.headers.get("Location", ""))
        return target.path + (f"?{target.query}" if target.query else "")


def multipart(fields: dict, files: list[tuple[str, str, str, bytes]]):
    boundary = f"----smoke{secrets.token_hex(12)}"
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, content_type, content in files:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n".encode() + content + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def png(width=48, height=32) -> bytes:
    """A small valid PNG (a gradient), made here so that the test carries no binary file."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 5 % 256, y * 8 % 256, 128)) for x in range(width)) for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


class SmsFile:
    """The file the worker's SMS backend appends to: one JSON object a line."""

    def __init__(self, path: Path):
        self.path = path
        self.delivery_seconds: list[float] = []

    def mark(self) -> int:
        return self.path.stat().st_size if self.path.exists() else 0

    def code_for(self, mobile: str, *, after: int, since: tuple[float, float], timeout: float) -> str:
        """The code of the first SMS to `mobile` written after byte `after`; waits for the worker.

        `since`: the wall-clock times the request that sent it started and got its response. The
        delivery time kept is the SMS's `sent_at` (the worker's clock, the same machine) after the
        response: what a citizen waits once the page asks for the code (negative: it was sent
        before the response arrived). The time after the request started is kept too.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.path.exists():
                with self.path.open("rb") as fh:
                    fh.seek(after)
                    for line in fh.read().decode("utf-8").splitlines():
                        message = json.loads(line)
                        match = CODE.search(message["body"].translate(ARABIC_DIGITS))
                        if message["to"] == mobile and match:
                            sent_at = datetime.fromisoformat(message["sent_at"]).timestamp()
                            self.delivery_seconds.append({
                                "after_response_s": round(sent_at - since[1], 3),
                                "after_request_start_s": round(sent_at - since[0], 3),
                            })
                            return match.group(1)
            time.sleep(0.05)
        raise SmokeFailure(f"no SMS with a code to {mobile} in {self.path} after {timeout:.0f} s: is the worker up?")


class Database:
    """What a test on the database's machine may read: the captcha's answer, ids, states."""

    def __init__(self, url: str):
        import psycopg2

        parts = urlsplit(url)
        params = {"host": parts.hostname, "port": parts.port or 5432, "user": parts.username,
                  "password": parts.password, "dbname": parts.path.lstrip("/")}
        self.connection = psycopg2.connect(**{key: value for key, value in params.items() if value})
        self.connection.autocommit = True

    def one(self, query, params=()):
        with self.connection.cursor() as cursor:
            cursor.execute(query, params)
            row = cursor.fetchone()
        return row[0] if row else None

    def captcha_answer(self, hashkey):
        return self.one("SELECT response FROM captcha_captchastore WHERE hashkey = %s", [hashkey])

    def free_national_id(self):
        return self.one(
            "SELECT p.national_id FROM civil_affairs_person p WHERE p.national_id = ANY(%s) AND NOT EXISTS"
            " (SELECT 1 FROM accounts_user u WHERE u.person_id = p.id OR u.pending_person_id = p.id)"
            " ORDER BY p.national_id LIMIT 1",
            [list(FREE_IDS)],
        )


def sign_in(client, sms, *, identifier, password, mobile, timeout):
    _, hidden = client.form("/accounts/login/")
    mark, sent = sms.mark(), time.time()
    response = client.post("/accounts/login/", {**hidden, "identifier": identifier, "password": password})
    check(response.location.startswith("/accounts/login/code/"), f"sign-in went to {response.location}")
    code = sms.code_for(mobile, after=mark, since=(sent, time.time()), timeout=timeout)
    _, hidden = client.form("/accounts/login/code/")
    response = client.post("/accounts/login/code/", {**hidden, "code": code})
    check(not response.location.startswith("/accounts/login"), f"the sign-in code went to {response.location}")


def health(client, timings):
    for path in ("/health/live/", "/health/ready/"):
        response = client.request("GET", path)
        check(response.status == 200, f"GET {path}: {response.status} {response.text[:200]}")
    timings["health"] = True


def check_access_log(path: Path, request_ids: list[str]):
    fields = {"time", "remote_addr", "method", "path", "status", "bytes", "duration_ms", "request_id", "user_agent"}
    seen = set()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if '"remote_addr"' not in line:
            continue  # gunicorn's error log and the portal's own records share the file
        record = json.loads(line)
        check(fields <= record.keys(), f"access log line without {fields - record.keys()}: {line}")
        check("?" not in record["path"], f"access log line with a query string: {line}")
        seen.add(record["request_id"])
    missing = [request_id for request_id in request_ids if request_id not in seen]
    check(not missing, f"{len(missing)} of this run's {len(request_ids)} requests are not in the access log")


def run(args) -> dict:
    timings: dict = {}
    started = time.monotonic()
    db = Database(args.database_url)
    sms = SmsFile(Path(args.sms_file))
    citizen = Client(args.base_url, "citizen")
    staff = Client(args.base_url, "staff")

    step = time.monotonic()
    health(citizen, timings)
    check(citizen.get("/").status == 200, "the home page")

    # --- register and confirm the mobile ---------------------------------------------------------
    national_id = args.national_id or db.free_national_id()
    check(national_id, "no demo person is free to register: load the demo data (serve.sh --demo) on a fresh database")
    suffix = secrets.randbelow(10**7)
    mobile_typed = f"55{suffix:07d}"
    mobile = f"+966{mobile_typed}"
    username = f"Smoke{suffix:07d}x"
    password = f"Smoke{secrets.token_hex(4)}Run9"
    page, hidden = citizen.form("/accounts/register/")
    answer = db.captcha_answer(hidden["captcha_0"])
    check(answer, "the registration page's captcha is not in captcha_captchastore")
    mark, sent = sms.mark(), time.time()
    response = citizen.post("/accounts/register/", {
        **hidden, "national_id": national_id, "mobile": mobile_typed, "username": username,
        "password1": password, "password2": password, "email": f"{username.lower()}@example.com",
        "email2": f"{username.lower()}@example.com", "language": "en", "captcha_1": answer, "terms": "on",
    })
    responded = time.time()
    check(response.location.startswith("/accounts/register/confirm/"), f"registration went to {response.location}")
    code = sms.code_for(mobile, after=mark, since=(sent, responded), timeout=args.sms_timeout)
    _, hidden = citizen.form("/accounts/register/confirm/")
    response = citizen.post("/accounts/register/confirm/", {**hidden, "code": code})
    check(response.location.startswith("/accounts/login/"), f"the registration code went to {response.location}")
    user_id = db.one("SELECT id FROM accounts_user WHERE username = %s AND state = 'registered'", [username])
    check(user_id, f"{username} is not a registered account after the code")
    timings["register_s"] = round(time.monotonic() - step, 3)

    # --- staff activates the account in person (the admin's action) ------------------------------
    step = time.monotonic()
    staff_mobile = db.one("SELECT mobile FROM accounts_user WHERE username = %s", [STAFF_USERNAME])
    check(staff_mobile, f"no {STAFF_USERNAME}: load the demo data (serve.sh --demo)")
    sign_in(staff, sms, identifier=STAFF_USERNAME, password=DEMO_PASSWORD, mobile=staff_mobile, timeout=args.sms_timeout)
    _, hidden = staff.form("/staff/accounts/user/")
    staff.post("/staff/accounts/user/", {
        "csrfmiddlewaretoken": hidden["csrfmiddlewaretoken"], "action": "activate_in_person",
        "_selected_action": str(user_id), "apply": "1", "reason": "smoke test: identity checked in person",
    })
    state = db.one("SELECT state FROM accounts_user WHERE id = %s", [user_id])
    check(state == "active", f"after the admin's activation the account is {state!r}")
    timings["staff_activate_s"] = round(time.monotonic() - step, 3)

    # --- the citizen signs in and files a request with an attachment -----------------------------
    step = time.monotonic()
    sign_in(citizen, sms, identifier=username, password=password, mobile=mobile, timeout=args.sms_timeout)
    new_path = "/services/civil-affairs/requests/new/general_inquiry/"
    _, hidden = citizen.form(new_path)
    check("submission_key" in hidden, "the request form has no submission key")
    image = png()
    response = citizen.post(
        new_path,
        {**hidden, "description": "Smoke test: is my request received? (scripts/smoke.py)"},
        files=[("files", "smoke.png", "image/png", image)],
    )
    detail_path = response.location
    match = re.fullmatch(r"/services/civil-affairs/requests/([^/]+)/", detail_path)
    check(match, f"filing went to {detail_path}")
    reference = match.group(1)
    listing = citizen.get("/services/civil-affairs/requests/")
    check(reference in listing.text, f"{reference} is not in the list of requests")
    detail = citizen.get(detail_path)
    links = re.findall(r'href="(/services/civil-affairs/requests/[^"]+/attachments/[^"]+/)"', detail.text)
    check(len(links) == 1, f"the request shows {len(links)} attachment links, expected 1")
    download = citizen.get(html.unescape(links[0]))
    check(download.data.startswith(b"\x89PNG\r\n\x1a\n"), "the attachment downloaded is not a PNG")
    check(download.headers.get("Content-Type", "").startswith("image/png"), f"attachment as {download.headers.get('Content-Type')}")
    timings["sign_in_and_file_s"] = round(time.monotonic() - step, 3)

    if args.access_log:
        time.sleep(0.5)  # the last line's write
        check_access_log(Path(args.access_log), citizen.request_ids + staff.request_ids)
        timings["access_log"] = "json, every request id present"

    timings.update({
        "reference": reference, "username": username, "national_id": national_id,
        "sms_delivery_s": sms.delivery_seconds, "requests": len(citizen.request_ids) + len(staff.request_ids),
        "total_s": round(time.monotonic() - started, 3),
    })
    return timings


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default=f"http://127.0.0.1:{os.environ.get('PORT', '8080')}")
    parser.add_argument("--sms-file", default=os.environ.get("SMS_FILE_PATH", "var/serve/sms.jsonl"))
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/absher_serve"))
    parser.add_argument("--access-log", help="gunicorn's output (serve.sh with SERVE_LOG_DIR: web.log)")
    parser.add_argument("--national-id", help="the demo person to register (default: the first free one)")
    parser.add_argument("--sms-timeout", type=float, default=30)
    args = parser.parse_args(argv)
    try:
        timings = run(args)
    except SmokeFailure as exc:
        print(f"smoke: FAILED: {exc}", file=sys.stderr)
        return 1
    print("smoke: passed " + json.dumps(timings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
