"""QUALITY figures 18 and 28: only server errors are logged at ERROR, each once with the
reference number its page shows; nothing a user sends can forge or split a log line."""

import io
import logging
import re

import pytest
from django.conf import settings
from django.core.exceptions import BadRequest, SuspiciousOperation
from django.test import Client

import absher.middleware
import absher.views
from absher.logging import CONTINUATION, RequestOutcomeHandler, SafeFormatter, escape_controls, settle_request_record
from accounts.models import AccountState

PAGE_REFERENCE = re.compile(r'<strong dir="ltr">([0-9A-F]{8})</strong>')
RECORD_START = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) \S+ ")
FORGED = "2020-01-01 00:00:00,000 ERROR django.request forged"


def errors(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.levelno >= logging.ERROR]


def request_records(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name.startswith(("django.request", "django.security"))]


@pytest.fixture
def citizen(user_factory):
    return user_factory(state=AccountState.ACTIVE)


@pytest.fixture
def log_output():
    """What the handlers that LOGGING gives the root logger write during the test (from INFO)."""
    root = logging.getLogger()
    handlers = [handler for handler in root.handlers if handler.name in settings.LOGGING["handlers"]]
    assert handlers and all(isinstance(handler, logging.StreamHandler) for handler in handlers)
    stream = io.StringIO()
    saved = [(handler, handler.setStream(stream), handler.level) for handler in handlers]
    root_level = root.level
    root.setLevel(logging.INFO)
    for handler in handlers:
        handler.setLevel(logging.INFO)
    yield stream
    root.setLevel(root_level)
    for handler, old_stream, level in saved:
        handler.setStream(old_stream)
        handler.setLevel(level)


def record_lines(output: str) -> list[str]:
    """The first lines of the records written; any other line must be indented (a traceback)."""
    lines = output.splitlines()  # also splits at \x0b, \x0c, \x1c-\x1e, \x85, U+2028, U+2029
    strays = [line for line in lines if not RECORD_START.match(line) and not line.startswith(CONTINUATION)]
    assert not strays, f"lines that belong to no record: {strays}"
    return [line for line in lines if RECORD_START.match(line)]


def fail_home(monkeypatch, exception):
    def broken():
        raise exception

    monkeypatch.setattr(absher.views, "service_catalogue", broken)


# --- 404, 403 and 400 are answers, not errors -------------------------------------------------


@pytest.mark.django_db
def test_not_found_is_no_error(client, citizen, caplog):
    caplog.set_level(logging.INFO)
    assert client.get("/no-such-page/").status_code == 404
    client.force_login(citizen)
    # Valid shape, but nobody the citizen acts for: the view raises Http404.
    assert client.get("/services/passports/people/1000000001/").status_code == 404
    assert not errors(caplog)
    found = [record for record in request_records(caplog) if record.status_code == 404]
    assert len(found) == 2
    assert all(record.levelno == logging.INFO and not record.exc_info for record in found)
    assert "reference" not in caplog.text


@pytest.mark.django_db
def test_forbidden_is_no_error(client, citizen, caplog):
    caplog.set_level(logging.INFO)
    client.force_login(citizen)
    assert client.get("/kiosk/operator/").status_code == 403  # PermissionDenied: not an operator
    assert Client(enforce_csrf_checks=True).post("/language/", {"language": "en"}).status_code == 403
    assert not errors(caplog)
    refused = request_records(caplog)
    assert {record.name for record in refused} == {"django.request", "django.security.csrf"}
    assert all(record.levelno == logging.WARNING and not record.exc_info for record in refused)
    assert "reference" not in caplog.text


@pytest.mark.django_db
def test_bad_request_is_no_error(client, caplog, monkeypatch):
    caplog.set_level(logging.INFO)
    assert client.get("/contact/", HTTP_HOST="evil.example").status_code == 400  # DisallowedHost
    fail_home(monkeypatch, SuspiciousOperation("a forged signature"))
    assert client.get("/").status_code == 400
    fail_home(monkeypatch, BadRequest("no such thing"))
    assert client.get("/").status_code == 400
    assert not errors(caplog)
    bad = request_records(caplog)
    assert {record.name for record in bad} == {"django.security.DisallowedHost", "django.security.SuspiciousOperation",
                                               "django.request"}
    assert all(record.levelno == logging.WARNING and not record.exc_info for record in bad)
    assert "reference" not in caplog.text


# --- a server error: one ERROR record, with the reference its page shows ---------------------


@pytest.mark.django_db
def test_a_server_error_is_one_error_with_the_reference_of_its_page(client, caplog, monkeypatch, log_output):
    fail_home(monkeypatch, RuntimeError("secret internals"))
    client.raise_request_exception = False
    response = client.get("/")
    assert response.status_code == 500
    reference = PAGE_REFERENCE.search(response.content.decode()).group(1)
    [error] = errors(caplog)
    assert error.name == "django.request" and reference in error.getMessage()
    assert error.exc_info  # the traceback, for the operators
    [line] = [line for line in record_lines(log_output.getvalue()) if " ERROR " in line]
    assert line.endswith(f"Internal Server Error: / (error reference {reference})")
    assert "RuntimeError: secret internals" in log_output.getvalue()


@pytest.mark.django_db
def test_an_error_outside_the_views_has_its_reference_too(client, caplog, monkeypatch):
    class BrokenTranslation:
        def activate(self, language):
            raise RuntimeError("a middleware broke")

    monkeypatch.setattr(absher.middleware, "translation", BrokenTranslation())
    client.raise_request_exception = False
    response = client.get("/contact/")
    assert response.status_code == 500
    reference = PAGE_REFERENCE.search(response.content.decode()).group(1)
    [error] = errors(caplog)
    assert reference in error.getMessage() and error.exc_info


@pytest.mark.django_db
def test_each_server_error_has_its_own_reference(client, caplog, monkeypatch):
    fail_home(monkeypatch, RuntimeError("again"))
    client.raise_request_exception = False
    pages = {PAGE_REFERENCE.search(client.get("/").content.decode()).group(1) for _ in range(3)}
    assert len(pages) == 3
    assert {record.error_reference for record in errors(caplog)} == pages


# --- nothing a user sends adds or hides a line ------------------------------------------------


@pytest.mark.django_db
def test_a_path_cannot_add_a_line_to_the_log(client, citizen, log_output):
    client.get("/x%0AERROR fake line")
    client.get("/x%0D%0A" + FORGED.replace(" ", "%20"))
    client.force_login(citizen)
    client.get("/services/passports/people/1000000001%0AERROR fake line/")
    client.get("/services/passports/people/1000000001/%0AERROR fake line")
    lines = record_lines(log_output.getvalue())
    assert len(lines) == 4
    assert all("fake line" in line or "forged" in line for line in lines)
    assert "/x\\nERROR fake line" in lines[0] and "\\r\\n" in lines[1]


@pytest.mark.django_db
def test_a_server_error_cannot_forge_a_record(client, monkeypatch, log_output):
    fail_home(monkeypatch, RuntimeError("boom\n" + FORGED + "\r\u202eevil"))
    client.raise_request_exception = False
    assert client.get("/").status_code == 500
    output = log_output.getvalue()
    [line] = record_lines(output)
    assert " ERROR django.request Internal Server Error: / (error reference " in line
    assert CONTINUATION + FORGED + "\\r\\u202eevil" in output.splitlines()


LOGGERS_OF_REQUEST_DATA = [
    "django.request", "django.security.csrf", "django.security.DisallowedHost", "django.server",
    "civil_affairs.uploads", "civil_affairs.services_registry", "absher.sms", "absher.sms.backends.twilio",
    "absher.errors", "a.module.written.tomorrow",
]


@pytest.mark.parametrize("name", LOGGERS_OF_REQUEST_DATA)
def test_no_logger_writes_a_control_character(name, log_output):
    junk = "Citizen1\r\nERROR fake line\x00\x1b[31m\x85\u2028\u202eevil\u2066"
    logger = logging.getLogger(name)
    logger.warning("user agent %s", junk)
    logger.warning(f"username {junk}")  # a call site that formats the message itself
    logger.warning("form value %(value)s", {"value": junk})
    lines = record_lines(log_output.getvalue())
    assert len(lines) == 3
    for line in lines:
        assert line.endswith("Citizen1\\r\\nERROR fake line\\x00\\x1b[31m\\x85\\u2028\\u202eevil\\u2066")


# --- the configuration ------------------------------------------------------------------------


def test_every_handler_of_logging_writes_through_the_safe_formatter():
    formatters = settings.LOGGING["formatters"]
    for name, handler in settings.LOGGING["handlers"].items():
        if handler["class"] == "absher.logging.RequestOutcomeHandler":
            continue  # it writes nothing
        assert formatters[handler["formatter"]]["class"] == "absher.logging.SafeFormatter", name
    live = [handler for handler in logging.getLogger().handlers if handler.name in settings.LOGGING["handlers"]]
    assert live and all(isinstance(handler.formatter, SafeFormatter) for handler in live)
    # Django's default handlers (its own console, the development server's) are gone.
    assert [type(handler) for handler in logging.getLogger("django").handlers] == [RequestOutcomeHandler]
    assert not logging.getLogger("django.server").handlers and logging.getLogger("django.server").propagate
    assert logging.getLogger("django.request").propagate and logging.getLogger("django.security").propagate


# --- the pieces -------------------------------------------------------------------------------


@pytest.mark.parametrize("char, written", [
    ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"), ("\x00", "\\x00"), ("\x1b", "\\x1b"), ("\x1f", "\\x1f"),
    ("\x7f", "\\x7f"), ("\x80", "\\x80"), ("\x85", "\\x85"), ("\x9f", "\\x9f"), ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"), ("\u202a", "\\u202a"), ("\u202d", "\\u202d"), ("\u202e", "\\u202e"),
    ("\u2066", "\\u2066"), ("\u2069", "\\u2069"),
])
def test_control_characters_are_escaped(char, written):
    assert escape_controls(f"a{char}b") == f"a{written}b"


@pytest.mark.parametrize("text", ["محمد أحمد", "Café 2026", "a b", "\\n written by hand", "\u00a0", "\u2065", "\u206a",
                                  "\u2027", "\u202f", "\u00a0\u00ff"])
def test_other_characters_are_kept(text):
    assert escape_controls(text) == text


def test_escaping_twice_changes_nothing_more():
    once = escape_controls("a\r\n\x00\u202eb")
    assert escape_controls(once) == once


def _record(level, status=None, exc=False, request=None):
    record = logging.LogRecord("django.request", level, __file__, 1, "%s: %s", ("Status", "/path"),
                               (RuntimeError, RuntimeError("x"), None) if exc else None)
    if status is not None:
        record.status_code = status
    if request is not None:
        record.request = request
    return record


@pytest.mark.parametrize("status, level, expected", [
    (400, logging.ERROR, logging.WARNING), (403, logging.WARNING, logging.WARNING), (404, logging.WARNING, logging.INFO),
    (405, logging.WARNING, logging.INFO), (410, logging.WARNING, logging.WARNING), (413, logging.ERROR, logging.WARNING),
    (499, logging.ERROR, logging.WARNING), (404, logging.DEBUG, logging.DEBUG),
])
def test_a_client_error_is_at_most_a_warning_without_traceback(status, level, expected):
    record = settle_request_record(_record(level, status, exc=True))
    assert (record.levelno, record.levelname, record.exc_info) == (expected, logging.getLevelName(expected), None)


class _Request:
    error_reference = "0A1B2C3D"


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_server_error_keeps_its_level_and_traceback(status):
    record = settle_request_record(_record(logging.ERROR, status, exc=True, request=_Request()))
    assert record.levelno == logging.ERROR and record.exc_info
    assert record.getMessage() == "Status: /path (error reference 0A1B2C3D)"
    assert settle_request_record(record).getMessage() == "Status: /path (error reference 0A1B2C3D)"


@pytest.mark.parametrize("record", [_record(logging.ERROR, exc=True), _record(logging.ERROR, 503, exc=True),
                                    _record(logging.INFO, 302)])
def test_other_records_are_left_alone(record):
    before = (record.levelno, record.exc_info, record.getMessage())
    assert settle_request_record(record) is record
    assert (record.levelno, record.exc_info, record.getMessage()) == before
