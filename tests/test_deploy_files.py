"""The ways of running the portal in production say the same thing (no container engine here, so
what can be checked is checked from the files): the Dockerfile's and compose.yaml's commands are
scripts/serve.sh's, the env example names every variable the production settings read, nginx takes
a request as large as the upload rules allow, and gunicorn's access log is one JSON object a line.
"""

import importlib.util
import json
import re
import shlex
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


def serve_commands() -> dict[str, list[str]]:
    """`start NAME COMMAND…` lines of serve.sh, without the venv's prefix and the comment."""
    commands = {}
    for line in (ROOT / "scripts" / "serve.sh").read_text().splitlines():
        match = re.match(r"start (\w+) (.+)$", line.strip())
        if match:
            words = shlex.split(match.group(2), comments=True)
            commands[match.group(1)] = [words[0].removeprefix(".venv/bin/"), *words[1:]]
    return commands


def compose():
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def dockerfile_cmd() -> list[str]:
    lines = [line for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("CMD ")]
    assert len(lines) == 1
    return json.loads(lines[0].removeprefix("CMD "))


def test_serve_starts_web_worker_and_beat():
    assert serve_commands() == {
        "web": ["gunicorn", "-c", "gunicorn.conf.py"],
        "worker": ["celery", "-A", "absher", "worker", "-l", "INFO"],
        "beat": ["celery", "-A", "absher", "beat", "-l", "INFO"],
    }


def test_the_image_and_compose_run_what_serve_runs():
    commands = serve_commands()
    services = compose()["services"]
    assert dockerfile_cmd() == commands["web"]
    for name in ("web", "worker", "beat"):
        assert services[name]["command"] == commands[name], name


def test_compose_runs_production_settings_behind_nginx():
    services = compose()["services"]
    for name in ("web", "worker", "beat", "migrate"):
        assert services[name]["environment"]["DJANGO_SETTINGS_MODULE"] == "absher.settings.production"
        assert services[name]["environment"]["TRUSTED_PROXY_COUNT"] == "1"  # nginx appends one address
    assert services["db"]["image"].startswith("postgres:15")
    assert all(services[name]["image"].startswith("redis:7") for name in ("cache", "broker"))
    assert "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in services["nginx"]["volumes"]
    # Only the proxy is published; gunicorn speaks to nginx alone.
    assert [name for name, service in services.items() if "ports" in service] == ["nginx"]


def test_nginx_takes_the_largest_request_the_upload_rules_allow():
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    size = re.search(r"client_max_body_size (\d+)m;", conf)
    assert size, "client_max_body_size in megabytes"
    assert int(size.group(1)) * 1024 * 1024 > settings.UPLOAD_MAX_BYTES * settings.UPLOAD_MAX_FILES
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in conf
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in conf


def production_variables() -> set[str]:
    names = set()
    for module in ("base.py", "production.py"):
        source = (ROOT / "absher" / "settings" / module).read_text()
        names |= set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]*)"', source))
    return names


def test_env_example_names_every_variable_the_production_settings_read():
    example = (ROOT / ".env.production.example").read_text()
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", example, re.MULTILINE))
    missing = production_variables() - listed
    assert not missing, f"add to .env.production.example: {sorted(missing)}"
    # No secret is committed: the example's secrets are empty.
    for name in ("DJANGO_SECRET_KEY", "OTP_HMAC_KEY", "FINGERPRINT_KEY", "NOTIFY_ENCRYPTION_KEY", "PAYMENT_NOTIFICATION_KEY"):
        assert re.search(rf"^{name}=$", example, re.MULTILINE), name


def test_the_generated_env_file_is_never_committed():
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert "/.env.production" in ignored
    assert ".env.*" in (ROOT / ".dockerignore").read_text().splitlines()


@pytest.fixture(scope="module")
def gunicorn_conf():
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gunicorn_conf(gunicorn_conf):
    assert gunicorn_conf.wsgi_app == "absher.wsgi:application"
    assert gunicorn_conf.workers >= 1 and gunicorn_conf.timeout > 0 and gunicorn_conf.graceful_timeout > 0
    assert gunicorn_conf.max_requests > 0 and 0 < gunicorn_conf.max_requests_jitter < gunicorn_conf.max_requests
    assert gunicorn_conf.accesslog == "-"


def test_access_log_line_is_json_without_the_query_string(gunicorn_conf):
    resp = SimpleNamespace(status="302 Found", sent=0, headers=[("X-Request-ID", "abc123"), ("Location", "/")])
    environ = {
        "REMOTE_ADDR": "127.0.0.1", "REQUEST_METHOD": "GET", "QUERY_STRING": "national_id=1000000016",
        # WSGI's latin-1 text of the UTF-8 bytes; and a user agent that tries to start a new line.
        "PATH_INFO": "/بحث/".encode().decode("latin-1"),
        "HTTP_USER_AGENT": 'evil\n{"forged": 1}',
    }
    line = gunicorn_conf.access_line(resp, None, environ, timedelta(milliseconds=12.34))
    assert "\n" not in line and "1000000016" not in line
    record = json.loads(line)
    assert record | {"time": None} == {
        "time": None, "remote_addr": "127.0.0.1", "method": "GET", "path": "/بحث/", "status": 302, "bytes": 0,
        "duration_ms": 12.3, "request_id": "abc123", "user_agent": 'evil\n{"forged": 1}',
    }


def test_access_log_takes_the_request_id_of_the_request_when_the_response_has_none(gunicorn_conf):
    resp = SimpleNamespace(status="200 OK", sent=5, headers=[])
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "HTTP_X_REQUEST_ID": "from-nginx"}
    assert json.loads(gunicorn_conf.access_line(resp, None, environ, timedelta(0)))["request_id"] == "from-nginx"
