"""What the log says about a request stays true (QUALITY 28).

Two pieces, both installed by `LOGGING` in `absher/settings/base.py`:

- `SafeFormatter`, the formatter of every handler: a record is written on one line, with every
  control character escaped (CR, LF and the other C0 and C1 controls, the line and paragraph
  separators, the bidi embeddings, overrides and isolates U+202A-U+202E and U+2066-U+2069), in
  the message and in every other field of that line. A traceback that follows keeps its lines,
  each escaped the same way and indented, so that no line of it reads as a record of its own.
  Nothing a user sends (a path, a user agent, a form value, a username) can then add a line to
  the log or hide part of one, whichever logger a call site uses.

- `RequestOutcomeHandler`, the one handler of the `django` logger: every record Django writes
  about a response (`django.request`, `django.security.*`) is brought to the level its HTTP
  status deserves before the root logger's handlers write it. Only a server error (5xx) is an
  ERROR, with its traceback and the reference number its page showed
  (`absher.middleware.error_reference`). A client error is no error of the portal's: 404 and 405
  are INFO, any other 4xx (400, 403: a refused CSRF token, a permission denied, a suspicious
  request or a foreign Host header, which Django logs as ERROR) is a WARNING, and none carries a
  traceback. Django's levels are otherwise kept (5xx ERROR, 4xx WARNING).

- `JsonFormatter`, the formatter production uses (`DJANGO_LOG_FORMAT=json`): one JSON object a
  line, for a log aggregator to index without a parser: `time` (ISO 8601, UTC), `level`,
  `logger`, `message`, `request_id` (absher.request_id; null outside a request and its tasks),
  `exception` (the traceback's text) and `stack` when there is one, and for a record about a
  response its `status` and `error_reference`. JSON's own escaping keeps each record on its line
  (a newline in a message is `\\n` inside a string); the characters JSON leaves as they are but
  other tools read as a line break or as a reordering of the text (U+2028, U+2029, the C1
  controls, the bidi controls) are written as `\\uXXXX` escapes too. Arabic stays readable.
"""

import json
import logging
import re
from datetime import UTC, datetime

# C0 controls, DEL, C1 controls, the line and paragraph separators, the bidi embeddings and
# overrides (U+202A-U+202E) and isolates (U+2066-U+2069).
CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
CONTROLS_BUT_NEWLINE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
#: What starts every line of a record after its first (a traceback, a stack).
CONTINUATION = "    "


def _escaped(match: re.Match) -> str:
    char = match.group()
    if char in NAMED:
        return NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """`text` with every control character written as a Python escape (`\\n`, `\\x00`, `\\u202e`)."""
    return CONTROLS.sub(_escaped, text)


class SafeFormatter(logging.Formatter):
    """A record on one line whatever it carries; a traceback after it, indented and escaped."""

    def format(self, record: logging.LogRecord) -> str:
        record.message = record.getMessage()
        if self.usesTime():
            record.asctime = self.formatTime(record, self.datefmt)
        lines = [escape_controls(self.formatMessage(record))]
        # Formatted here rather than read from record.exc_text: another handler's formatter may
        # have cached it there unescaped.
        more = []
        if record.exc_info:
            more.append(self.formatException(record.exc_info))
        elif record.exc_text:
            more.append(record.exc_text)
        if record.stack_info:
            more.append(self.formatStack(record.stack_info))
        for text in more:
            lines.extend(CONTINUATION + CONTROLS_BUT_NEWLINE.sub(_escaped, line) for line in text.split("\n"))
        return "\n".join(lines)


# What json.dumps(ensure_ascii=False) leaves raw of CONTROLS (it escapes C0 itself): DEL, C1, the
# line and paragraph separators, the bidi controls.
RAW_IN_JSON = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


class JsonFormatter(SafeFormatter):
    """A record as one JSON object on one line (see the module's docstring for its fields)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        status = getattr(record, "status_code", None)
        if isinstance(status, int):
            entry["status"] = status
        if getattr(record, "error_reference", ""):
            entry["error_reference"] = record.error_reference
        # Formatted here rather than read from record.exc_text (see SafeFormatter).
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        line = json.dumps(entry, ensure_ascii=False, default=str)
        return RAW_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", line)


# Statuses that say nothing went wrong anywhere: a mistyped or probed address, a wrong method.
ROUTINE = {404, 405}


def settle_request_record(record: logging.LogRecord) -> logging.LogRecord:
    """Bring a record about a response (Django gives it a status_code) to its status's level.

    A 5xx keeps its level and traceback and gains the reference number its page showed. A 4xx is
    INFO (404, 405) or at most WARNING, and loses its traceback. Safe to apply twice.
    """
    status = getattr(record, "status_code", None)
    if not isinstance(status, int):
        return record
    if status >= 500:
        reference = getattr(getattr(record, "request", None), "error_reference", "")
        if reference and getattr(record, "error_reference", "") != reference:
            record.msg = f"{record.getMessage()} (error reference {reference})"
            record.args = None
            record.error_reference = reference
        return record
    if status >= 400:
        level = logging.INFO if status in ROUTINE else logging.WARNING
        if record.levelno > level:
            record.levelno, record.levelname = level, logging.getLevelName(level)
        record.exc_info = record.exc_text = None
    return record


class RequestOutcomeHandler(logging.Handler):
    """The `django` logger's own handler: it writes nothing, it settles each record
    (`settle_request_record`) before the record goes on to the root logger's handlers.

    A logger's filters never see its children's records (`django.request`,
    `django.security.DisallowedHost`...); its handlers do, and before its parents' handlers.
    """

    def handle(self, record: logging.LogRecord) -> bool:
        settle_request_record(record)
        return True

    def emit(self, record: logging.LogRecord) -> None:  # pragma: no cover - handle() writes nothing
        pass
