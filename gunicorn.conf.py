"""Gunicorn's configuration, the one every way of running the portal in production uses:
`scripts/serve.sh` on this machine and the Dockerfile's CMD (tests/test_deploy_files.py keeps
them on this file). Each setting reads an environment variable first, so a deployment tunes
it without editing this file:

    GUNICORN_BIND              where to listen (default 127.0.0.1:$PORT, PORT 8080)
    GUNICORN_WORKERS           processes (default 2 × CPUs + 1, at most GUNICORN_MAX_WORKERS, 12)
    GUNICORN_TIMEOUT           seconds a request may take before its worker is killed (30)
    GUNICORN_GRACEFUL_TIMEOUT  seconds a stopping worker has to finish its requests (30)
    GUNICORN_KEEPALIVE         seconds an idle connection from the proxy stays open (5)
    GUNICORN_MAX_REQUESTS      requests before a worker is replaced (10000; 0 never), with jitter: a new
                               worker costs ~1 s of CPU to start, ~0.1 ms a request at 10,000 (1 ms at 1,000)

The access log is one JSON object a line on stdout (JsonAccessLogger below), the error log
gunicorn's own lines on stderr; the portal's own records go through Django's LOGGING.
"""

import contextlib
import json
import multiprocessing
import os
from datetime import UTC, datetime

from gunicorn.glogging import Logger


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


wsgi_app = "absher.wsgi:application"
bind = os.environ.get("GUNICORN_BIND") or f"127.0.0.1:{os.environ.get('PORT') or 8080}"

# Sync workers: Django's views block on the database, and a slow request holds one worker, not
# a thread of a shared pool. 2 × CPUs + 1 is gunicorn's own advice; the cap keeps a large host
# from opening more database connections (one a worker, CONN_MAX_AGE) than PostgreSQL allows.
workers = _int("GUNICORN_WORKERS", min(2 * multiprocessing.cpu_count() + 1, _int("GUNICORN_MAX_WORKERS", 12)))
worker_class = "sync"
# A request that takes longer than this is a bug or a stuck backend: the worker is killed and
# replaced (the proxy answers 502). Uploads of 50 MB arrive through nginx, which buffers them.
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Replacing each worker after about this many requests bounds a slow leak; the jitter keeps the
# workers from all restarting at the same moment.
max_requests = _int("GUNICORN_MAX_REQUESTS", 10000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", max(max_requests // 10, 0))
# The workers' heartbeat files in memory, not on a container's overlay disk (gunicorn's advice).
# (gunicorn makes its files there with mkstemp: private, unpredictable names.)
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108

# Gunicorn's control socket (gunicornc) is not used here; left on, every gunicorn on a host would
# share $HOME/.gunicorn/gunicorn.ctl (the smoke test runs its own stack next to serve.sh's).
control_socket_disable = True

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Django already says who the client was (TRUSTED_PROXY_COUNT) and whether the request came in
# over https (SECURE_PROXY_SSL_HEADER); gunicorn need not rewrite the scheme itself.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")


class JsonAccessLogger(Logger):
    """One JSON object a line for each request: what an aggregator indexes without a parser.

    The path is logged without its query string, which may carry personal data (a search, a
    national ID); the request id is the X-Request-ID the proxy or the portal set, so that a line
    here and the portal's own records of the same request can be joined.
    """

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        try:
            self.access_log.info("%s", access_line(resp, req, environ, request_time))
        except Exception:  # a log line must never fail a request
            self.exception("access log line failed")


def _header(headers, name: str) -> str:
    for key, value in headers or ():
        if key.lower() == name:
            return value
    return ""


def access_line(resp, req, environ, request_time) -> str:
    status = resp.status
    if isinstance(status, str):
        status = status.split(None, 1)[0]
    # WSGI hands the path over as latin-1 text of the raw bytes: back to UTF-8 for the reader.
    path = environ.get("PATH_INFO", "")
    with contextlib.suppress(UnicodeError):
        path = path.encode("latin-1").decode("utf-8")
    request_id = _header(getattr(resp, "headers", ()), "x-request-id") or environ.get("HTTP_X_REQUEST_ID", "")
    record = {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "remote_addr": environ.get("REMOTE_ADDR", ""),
        "method": environ.get("REQUEST_METHOD", ""),
        "path": path,
        "status": int(status) if str(status).isdigit() else status,
        "bytes": getattr(resp, "sent", None) or 0,
        "duration_ms": round(request_time.total_seconds() * 1000, 1),
        "request_id": request_id[:200],
        "user_agent": environ.get("HTTP_USER_AGENT", "")[:500],
    }
    # ensure_ascii: nothing a client sends (a path, a user agent) can split or forge a line.
    return json.dumps(record, ensure_ascii=True, separators=(",", ":"))


logger_class = JsonAccessLogger


def child_exit(server, worker):
    # With prometheus_client in multiprocess mode, a dead worker's samples are dropped here.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        try:
            from prometheus_client import multiprocess
        except ImportError:
            return
        multiprocess.mark_process_dead(worker.pid)
