"""Issue 10: what an operator reads. A request id on every response, log record and task the
request enqueues; JSON log lines in production; /metrics for the operators only, with the
outbox's depth and lag; Sentry only with a DSN, and without what the citizen sent."""

import json
import logging
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

import absher.metrics
import absher.views
from absher import celery_app, request_id
from absher.logging import JsonFormatter, SafeFormatter
from absher.notifications.models import MessageStatus, OutboxMessage
from absher.request_id import HEADER, RequestIdFilter, current_request_id
from absher.sentry import before_send, sentry_options

ROOT = Path(__file__).resolve().parents[1]
PAGE_REFERENCE = re.compile(r'<strong dir="ltr">([0-9A-F]{8})</strong>')
HEX32 = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def json_log():
    """A JSON handler on the root logger, as production's LOGGING has, writing to a string."""
    import io

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)

    def records() -> list[dict]:
        lines = stream.getvalue().splitlines()  # also splits at U+2028, \x85...: none may be raw
        return [json.loads(line) for line in lines]

    yield records
    root.removeHandler(handler)
    root.setLevel(level)


# --- the request id ---------------------------------------------------------------------------


def test_each_request_gets_an_id_of_its_own(client):
    first, second = client.get("/health/live/")["X-Request-ID"], client.get("/health/live/")["X-Request-ID"]
    assert HEX32.fullmatch(first) and HEX32.fullmatch(second) and first != second
    assert current_request_id() is None  # nothing left behind once the request is over


@pytest.mark.parametrize("given", ["0123456789abcdef0123456789abcdef", "f47ac10b-58cc-4372-a567-0e02b2c3d479",
                                   "req.2026:abc_DEF-42"])
def test_the_proxys_id_is_kept_when_sane(client, given):
    assert client.get("/health/live/", HTTP_X_REQUEST_ID=given)["X-Request-ID"] == given


@pytest.mark.parametrize("given", ["short", "x" * 65, "has space in it", "line\nbreak0000", "<script>alert(1)",
                                   "-starts-with-a-dash", "محمد-أحمد-0000", ""])
def test_an_insane_id_from_outside_is_replaced(client, given):
    answered = client.get("/health/live/", HTTP_X_REQUEST_ID=given)["X-Request-ID"]
    assert HEX32.fullmatch(answered) and answered != given


@pytest.mark.django_db
def test_the_error_reference_is_the_start_of_the_request_id(client, monkeypatch, json_log):
    def broken():
        raise RuntimeError("secret internals\nERROR forged line\u2028more")

    monkeypatch.setattr(absher.views, "service_catalogue", broken)
    client.raise_request_exception = False
    response = client.get("/", HTTP_X_REQUEST_ID="c0ffee00deadbeef0123456789abcdef")
    assert response.status_code == 500
    assert PAGE_REFERENCE.search(response.content.decode()).group(1) == "C0FFEE00"
    [error] = [record for record in json_log() if record["level"] == "ERROR"]
    assert error["request_id"] == "c0ffee00deadbeef0123456789abcdef" == response["X-Request-ID"]
    assert error["error_reference"] == "C0FFEE00" and error["status"] == 500
    assert error["message"] == "Internal Server Error: / (error reference C0FFEE00)"
    assert "RuntimeError: secret internals\nERROR forged line\u2028more" in error["exception"]


@pytest.mark.django_db
def test_a_proxy_id_that_is_not_hex_gets_a_reference_of_its_own(client, monkeypatch):
    monkeypatch.setattr(absher.views, "service_catalogue", lambda: 1 / 0)
    client.raise_request_exception = False
    response = client.get("/", HTTP_X_REQUEST_ID="req.2026:abc_DEF-42")
    assert re.fullmatch(r"[0-9A-F]{8}", PAGE_REFERENCE.search(response.content.decode()).group(1))


# --- JSON lines -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_record_of_a_request_carries_its_id(client, json_log):
    response = client.get("/no-such-page/")
    [record] = [record for record in json_log() if record["logger"] == "django.request"]
    assert record["request_id"] == response["X-Request-ID"]
    assert record["level"] == "INFO" and record["status"] == 404  # RequestOutcomeHandler still settles it
    assert "exception" not in record


def test_a_json_line_has_its_fields_and_nothing_splits_it(json_log):
    junk = "Citizen1\r\nERROR fake line\x00\x1b[31m\x85\u2028\u2029\u202eevil\u2066 محمد"
    token = request_id.activate("0123456789abcdef")
    try:
        logging.getLogger("a.module").warning("user agent %s", junk)
    finally:
        request_id.deactivate(token)
    logging.getLogger("a.module").info("outside any request")
    first, second = json_log()
    assert set(first) == {"time", "level", "logger", "message", "request_id"}
    assert first["message"] == f"user agent {junk}"  # what was logged, exactly, once decoded
    assert (first["level"], first["logger"], first["request_id"]) == ("WARNING", "a.module", "0123456789abcdef")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", first["time"])
    assert second["request_id"] is None


def test_the_raw_line_escapes_what_other_tools_read_as_a_break_and_keeps_arabic():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "a\u2028b\x85c\u202ed محمد\n", None, None)
    line = JsonFormatter().format(record)
    assert "\n" not in line and not re.search("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]", line)
    assert "\\u2028" in line and "\\u0085" in line and "\\u202e" in line and "محمد" in line
    assert json.loads(line)["message"] == "a\u2028b\x85c\u202ed محمد\n"


def test_an_exception_goes_in_its_own_field():
    try:
        raise ValueError("bad\nvalue")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "failed" and entry["exception"].startswith("Traceback")
    assert entry["exception"].endswith("ValueError: bad\nvalue")
    assert isinstance(JsonFormatter(), SafeFormatter)  # the configuration's rule: every formatter is safe


# Each environment below is run through absher.settings.production in one process of their own
# (Sentry's initialisation is global: never in the test process).
PRODUCTION_SCRIPT = """
import json, os, runpy, sys
import sentry_sdk
out = []
for env in json.loads(sys.argv[1]):
    for name in [n for n in os.environ if n.startswith(("SENTRY_", "DJANGO_LOG"))]:
        del os.environ[name]
    os.environ.update(env)
    sentry_sdk.init()  # what an earlier environment started, stopped
    found = runpy.run_module("absher.settings.production")
    client = sentry_sdk.get_client()
    out.append({"formatter": found["LOGGING"]["handlers"]["console"]["formatter"],
                "filters": found["LOGGING"]["handlers"]["console"]["filters"],
                "redirect_exempt": found["SECURE_REDIRECT_EXEMPT"],
                "sentry": client.is_active() and client.dsn is not None,
                "options": {k: client.options.get(k) for k in ("environment", "release", "traces_sample_rate",
                                                             "send_default_pii", "include_local_variables")}})
print(json.dumps(out))
"""
PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": "x" * 60, "OTP_HMAC_KEY": "k", "DJANGO_ALLOWED_HOSTS": "absher.example",
    "DATABASE_URL": "postgres://u@127.0.0.1:1/x", "FINGERPRINT_KEY": "k", "PAYMENT_NOTIFICATION_KEY": "k",
    "NOTIFY_ENCRYPTION_KEY": "k", "DOCUMENT_SIGNING_KEY": "k", "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
    "WEBAUTHN_RP_ID": "absher.example", "WEBAUTHN_ORIGINS": "https://absher.example",
}
DSN = "https://public@sentry.invalid/1"


def test_production_logs_json_and_reports_to_sentry_only_with_a_dsn():
    environments = [
        {},
        {"DJANGO_LOG_FORMAT": "plain"},
        {"SENTRY_DSN": DSN},
        {"SENTRY_DSN": DSN, "SENTRY_ENVIRONMENT": "staging", "SENTRY_RELEASE": "abc123", "SENTRY_TRACES_SAMPLE_RATE": "0.25"},
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SENTRY_", "DJANGO_LOG", "DJANGO_SETTINGS"))}
    env.update(PRODUCTION_ENV)
    done = subprocess.run([sys.executable, "-c", PRODUCTION_SCRIPT, json.dumps(environments)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    plain_json, plain, with_dsn, tuned = json.loads(done.stdout.strip().splitlines()[-1])
    assert plain_json["formatter"] == "json" and plain_json["filters"] == ["request_id"]
    assert plain["formatter"] == "plain"
    # The probes and the scrape come over plain http from inside: no redirect to https for them alone.
    exempt = [re.compile(pattern) for pattern in plain_json["redirect_exempt"]]
    for path in ("health/live/", "health/ready/", "metrics"):
        assert any(pattern.search(path) for pattern in exempt), path
    for path in ("", "accounts/login/", "health/live/x", "staff/metrics", "metrics/x"):
        assert not any(pattern.search(path) for pattern in exempt), path
    assert plain_json["sentry"] is False and plain["sentry"] is False  # no DSN: not initialised
    assert with_dsn["sentry"] is True
    with_dsn["options"].pop("release")  # none given: Sentry reads the git commit, if any
    assert with_dsn["options"] == {"environment": "production", "traces_sample_rate": 0.0,
                                   "send_default_pii": False, "include_local_variables": False}
    assert tuned["options"] == {"environment": "staging", "release": "abc123", "traces_sample_rate": 0.25,
                                "send_default_pii": False, "include_local_variables": False}


def test_dev_and_tests_log_plain(settings):
    assert settings.LOGGING["handlers"]["console"]["formatter"] == "plain"


# --- Sentry's events --------------------------------------------------------------------------


def test_an_event_keeps_no_body_no_cookie_no_query_and_no_credentials():
    event = {"request": {
        "method": "POST", "url": "https://absher.example/accounts/login/?next=/x&national_id=1000000001",
        "data": {"password": "GoodPass2026"}, "cookies": {"absher_session": "s"}, "query_string": "national_id=1",
        "env": {"REMOTE_ADDR": "203.0.113.5"},
        "headers": {"Cookie": "absher_session=s", "Authorization": "Bearer t", "X-Csrftoken": "c",
                    "User-Agent": "Firefox", "X-Request-ID": "abc"},
    }}
    token = request_id.activate("0123456789abcdef")
    try:
        sent = before_send(event, {})
    finally:
        request_id.deactivate(token)
    assert sent["request"] == {"method": "POST", "url": "https://absher.example/accounts/login/",
                               "headers": {"User-Agent": "Firefox", "X-Request-ID": "abc"}}
    assert sent["tags"] == {"request_id": "0123456789abcdef"}


def test_sentry_options():
    options = sentry_options(dsn="https://public@sentry.invalid/1")
    assert options["send_default_pii"] is False and options["traces_sample_rate"] == 0.0
    assert options["max_request_body_size"] == "never" and options["before_send"] is before_send
    assert {type(integration).__name__ for integration in options["integrations"]} == {"DjangoIntegration",
                                                                                      "CeleryIntegration"}


# --- the id follows into the tasks a request enqueues -----------------------------------------


@shared_task(name="tests.observability.seen_request_id")
def seen_request_id():
    seen_request_id.seen.append(current_request_id())


seen_request_id.seen = []


def test_a_published_task_carries_the_request_id_in_its_headers():
    """A real publish (eager off) to the in-memory broker, read back from its queue."""
    conf = celery_app.conf
    saved = conf.task_always_eager, conf.broker_url
    conf.task_always_eager, conf.broker_url = False, "memory://"
    token = request_id.activate("feedface0123456789")
    try:
        seen_request_id.apply_async(queue="tests-observability")
    finally:
        request_id.deactivate(token)
        conf.task_always_eager, conf.broker_url = saved
    with celery_app.connection_for_read("memory://") as connection:
        queue = connection.SimpleQueue("tests-observability")
        message = queue.get(timeout=5)
        message.ack()
        queue.close()
    assert message.headers[HEADER] == "feedface0123456789"
    assert message.headers["task"] == "tests.observability.seen_request_id"


def test_a_task_outside_any_request_carries_no_id():
    conf = celery_app.conf
    saved = conf.task_always_eager, conf.broker_url
    conf.task_always_eager, conf.broker_url = False, "memory://"
    try:
        seen_request_id.apply_async(queue="tests-observability-2")
    finally:
        conf.task_always_eager, conf.broker_url = saved
    with celery_app.connection_for_read("memory://") as connection:
        queue = connection.SimpleQueue("tests-observability-2")
        message = queue.get(timeout=5)
        message.ack()
        queue.close()
    assert HEADER not in message.headers


def test_the_worker_runs_the_task_under_the_id_of_its_message_then_puts_back_its_own():
    seen_request_id.seen.clear()
    assert current_request_id() is None
    seen_request_id.apply(headers={HEADER: "0a1b2c3d4e5f6a7b"})  # what a worker does with the message
    assert seen_request_id.seen == ["0a1b2c3d4e5f6a7b"] and current_request_id() is None
    seen_request_id.apply(headers={HEADER: "bad id with spaces"})
    assert seen_request_id.seen[-1] is None
    token = request_id.activate("outer0123456789")
    try:
        # Eager, inside a request (development, tests): the request's id runs on, and stays after.
        seen_request_id.delay()
        seen_request_id.apply(headers={HEADER: "inner0123456789"})
        assert current_request_id() == "outer0123456789"
    finally:
        request_id.deactivate(token)
    assert seen_request_id.seen[-2:] == ["outer0123456789", "inner0123456789"]


@pytest.mark.django_db
def test_a_task_enqueued_by_a_request_runs_under_its_id(client, settings, monkeypatch):
    seen_request_id.seen.clear()
    monkeypatch.setattr(absher.views, "service_catalogue", lambda: seen_request_id.delay() and [])
    response = client.get("/")
    assert seen_request_id.seen == [response["X-Request-ID"]]


# --- /metrics ---------------------------------------------------------------------------------


def samples(response) -> dict:
    found = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


@pytest.mark.django_db
def test_metrics_from_loopback(client):
    client.get("/health/live/")
    response = client.get("/metrics")  # the test client comes from 127.0.0.1
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    assert not response.cookies and response.has_header("Content-Security-Policy")
    found = samples(response)
    assert found[("django_http_requests_total_by_view_transport_method_total",
                  (("method", "GET"), ("transport", "http"), ("view", "health-live")))] >= 1
    assert any(name == "django_db_execute_total" for name, _labels in found)  # the database's engine counts
    assert found[("absher_outbox_scrape_ok", ())] == 1


@pytest.mark.django_db
@pytest.mark.parametrize("address, headers", [
    ("203.0.113.5", {}),
    ("10.0.0.9", {}),
    ("203.0.113.5", {"HTTP_AUTHORIZATION": "Bearer wrong-token"}),
    ("203.0.113.5", {"HTTP_AUTHORIZATION": "Basic right-token"}),
    # Behind a proxy on the same host every request comes from loopback: the forwarded client counts.
    ("127.0.0.1", {"HTTP_X_FORWARDED_FOR": "203.0.113.5"}),
])
def test_metrics_are_a_404_to_anyone_else(client, settings, address, headers):
    settings.METRICS_TOKEN = "right-token"
    settings.TRUSTED_PROXY_COUNT = 1 if "HTTP_X_FORWARDED_FOR" in headers else 0
    response = client.get("/metrics", REMOTE_ADDR=address, **headers)
    assert response.status_code == 404
    assert b"absher_outbox" not in response.content and b"python_gc" not in response.content


@pytest.mark.django_db
def test_metrics_with_the_token_or_from_an_allowed_network(client, settings):
    settings.METRICS_TOKEN = "right-token"
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.5", HTTP_AUTHORIZATION="Bearer right-token").status_code == 200
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.5", HTTP_AUTHORIZATION="Bearer ").status_code == 404
    settings.METRICS_ALLOWED_IPS = ["10.0.3.0/24", "192.0.2.1"]
    assert client.get("/metrics", REMOTE_ADDR="10.0.3.7").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404


def outbox(status, age_seconds):
    return OutboxMessage.objects.create(recipient="+966512345600", purpose="tests.metrics", language="en", body="hi",
                                        status=status, created_at=timezone.now() - timedelta(seconds=age_seconds))


@pytest.mark.django_db
def test_the_outbox_gauges(client):
    outbox(MessageStatus.CREATED, 30)
    outbox(MessageStatus.TEMPORARY_FAILURE, 600)
    outbox(MessageStatus.SENDING, 5)
    outbox(MessageStatus.DELIVERED, 7200)  # finished: older, but waits for nothing
    outbox(MessageStatus.DEAD_LETTER, 3600)
    found = samples(client.get("/metrics"))
    by_status = {dict(labels)["status"]: value for (name, labels), value in found.items()
                 if name == "absher_outbox_messages"}
    assert by_status == dict.fromkeys(MessageStatus.values, 0) | {
        "created": 1, "temporary-failure": 1, "sending": 1, "delivered": 1, "dead-letter": 1}
    assert found[("absher_outbox_pending_messages", ())] == 3
    assert 600 <= found[("absher_outbox_oldest_pending_age_seconds", ())] < 660


@pytest.mark.django_db
def test_an_empty_outbox_has_no_lag(client):
    found = samples(client.get("/metrics"))
    assert found[("absher_outbox_pending_messages", ())] == 0
    assert found[("absher_outbox_oldest_pending_age_seconds", ())] == 0


@pytest.mark.django_db
def test_an_unreadable_outbox_is_said_not_hidden(client, monkeypatch, caplog):
    def broken(**kwargs):
        raise DatabaseError("the database went away")

    monkeypatch.setattr("absher.notifications.selectors.outbox_stats", broken)
    response = client.get("/metrics")
    assert response.status_code == 200
    found = samples(response)
    assert found[("absher_outbox_scrape_ok", ())] == 0
    assert not any(name.startswith("absher_outbox_messages") for name, _labels in found)
    assert "the outbox could not be read" in caplog.text


MULTIPROCESS_SCRIPT = """
import os, sys, django
django.setup()
from django.test.utils import setup_test_environment
setup_test_environment()
from django.test import Client
child = os.fork()
Client().get("/health/live/")  # the child and the parent: two workers, one request each
if child == 0:
    os._exit(0)
os.waitpid(child, 0)
sys.stdout.write(Client().get("/metrics").content.decode())
"""


def test_multiprocess_mode_adds_up_the_workers(tmp_path):
    """With PROMETHEUS_MULTIPROC_DIR a scrape of one process counts the requests of all of them."""
    folder = tmp_path / "prometheus"
    folder.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update({"DJANGO_SETTINGS_MODULE": "absher.settings.test", "PROMETHEUS_MULTIPROC_DIR": str(folder)})
    done = subprocess.run([sys.executable, "-c", MULTIPROCESS_SCRIPT], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert absher.metrics.multiprocess_mode() is False  # this process is not in it
    scraped = {}
    for family in text_string_to_metric_families(done.stdout):
        for sample in family.samples:
            scraped[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    assert scraped[("django_http_requests_total_by_view_transport_method_total",
                    (("method", "GET"), ("transport", "http"), ("view", "health-live")))] == 2
    assert ("absher_outbox_scrape_ok", ()) in scraped  # the outbox is read in this mode too
