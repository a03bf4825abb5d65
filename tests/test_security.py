"""Security figures of QUALITY.md that the foundation shows: 13, 14, 17, 18."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import get_resolver, reverse

from accounts.models import AccountState
from tests.conftest import code_in

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


# --- 13: the admin is for staff only ---


def test_anonymous_admin_visitor_goes_to_the_portal_sign_in(client):
    response = client.get("/staff/", follow=True)
    assert response.redirect_chain[-1][0] == reverse("accounts:login") + "?next=%2Fstaff%2F"
    assert b"Django administration" not in response.content


def test_a_citizen_never_reaches_the_admin(client, user_factory):
    client.force_login(user_factory(state=AccountState.ACTIVE))
    for path in ("/staff/", "/staff/accounts/user/", "/staff/login/", "/staff/absher/auditevent/"):
        assert client.get(path).status_code in (302, 404), path
        assert b"Django administration" not in client.get(path).content


def test_staff_reach_the_admin_only_through_password_and_code(client, user_factory, sms_outbox, committed):
    staff = user_factory(is_staff=True, is_superuser=True, state=AccountState.ACTIVE, username="Officer2026x")
    with committed():
        response = client.post(reverse("accounts:login") + "?next=/staff/", {"identifier": "Officer2026x", "password": "GoodPass2026", "next": "/staff/"})
    assert client.get("/staff/").status_code == 302  # password alone opens nothing
    with committed():
        response = client.post(reverse("accounts:login-verify"), {"code": code_in(sms_outbox[-1])})
    assert response.url == "/staff/"
    assert client.get("/staff/").status_code == 200
    assert client.get("/staff/accounts/user/").status_code == 200
    assert staff.is_staff


def test_audit_trail_is_read_only_in_the_admin(client, user_factory):
    from absher.audit import audit_record

    admin = user_factory(is_staff=True, is_superuser=True, state=AccountState.ACTIVE)
    event = audit_record(action="login_failed", subject_label="someone", client_address="192.0.2.1")
    client.force_login(admin)
    assert client.get("/staff/absher/auditevent/").status_code == 200
    assert client.get("/staff/absher/auditevent/add/").status_code == 403
    assert client.post(f"/staff/absher/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403


def test_staff_activate_from_the_admin_with_a_reason(client, user_factory):
    admin = user_factory(is_staff=True, is_superuser=True, state=AccountState.ACTIVE)
    citizen = user_factory(state=AccountState.REGISTERED)
    client.force_login(admin)
    url = "/staff/accounts/user/"
    ask = client.post(url, {"action": "activate_in_person", "_selected_action": [citizen.pk]})
    assert ask.status_code == 200 and b"reason" in ask.content.lower()
    client.post(url, {"action": "activate_in_person", "_selected_action": [citizen.pk], "apply": "1", "reason": "ID card checked"})
    citizen.refresh_from_db()
    assert citizen.state == AccountState.ACTIVE
    assert citizen.state_changes.first().actor == admin


# --- 14: CSRF on every state-changing request ---


def _portal_routes():
    patterns = []

    def walk(resolver, prefix=""):
        for entry in resolver.url_patterns:
            if hasattr(entry, "url_patterns"):
                walk(entry, prefix + str(entry.pattern))
            else:
                patterns.append(prefix + str(entry.pattern))

    walk(get_resolver())
    # The API (api/) takes no cookie, only a bearer token, so a cross-site form cannot use it:
    # tests/api/test_auth.py shows a signed-in browser's session is refused there.
    return [p for p in patterns if not p.startswith(("staff/", "captcha/", "api/")) and "<" not in p]


def test_every_post_without_a_csrf_token_is_refused(user_factory):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user_factory())
    routes = _portal_routes()
    assert len(routes) > 15
    for route in routes:
        response = client.post("/" + route, {})
        assert response.status_code in (403, 405), route


# --- 17: headers ---


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_the_policy_header_built_once_is_django_csps_own(client, rf, settings):
    """absher.csp.CSPMiddleware keeps the built header: the same text django-csp builds on every
    response, the same for every response, and built again when the settings change."""
    from csp.constants import NONCE
    from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
    from django.http import HttpResponse

    from absher.csp import CSPMiddleware

    def django_csp(request, response=None):
        return DjangoCSPMiddleware(lambda r: response).process_response(request, response or HttpResponse())

    expected = django_csp(rf.get("/"))["Content-Security-Policy"]
    first = client.get("/").headers["Content-Security-Policy"]
    assert set(first.split("; ")) == set(expected.split("; "))
    assert client.get("/").headers["Content-Security-Policy"] == first
    assert "Content-Security-Policy-Report-Only" not in client.get("/").headers

    # A view's own policy (django-csp's decorators) and a nonce still build their header.
    middleware = CSPMiddleware(lambda request: HttpResponse())
    request = rf.get("/")
    middleware.process_request(request)
    nonce = str(request.csp_nonce)
    changed = HttpResponse()
    changed._csp_update = {"img-src": ["https://maps.example"]}
    header = middleware.process_response(request, changed)["Content-Security-Policy"]
    assert "img-src 'self' data: https://maps.example" in header and f"'nonce-{nonce}'" not in header
    exempt = HttpResponse()
    exempt._csp_exempt = True
    assert "Content-Security-Policy" not in middleware.process_response(rf.get("/"), exempt)

    def directives(header):  # django-csp joins them in a set's order
        return set(header.split("; "))

    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'self'"], "script-src": ["'self'", NONCE]},
                                        "EXCLUDE_URL_PREFIXES": ["/static/"]}
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    request = rf.get("/")
    middleware.process_request(request)
    nonce = str(request.csp_nonce)
    response = middleware.process_response(request, HttpResponse())
    assert directives(response["Content-Security-Policy"]) == {"default-src 'self'", f"script-src 'self' 'nonce-{nonce}'"}
    assert response["Content-Security-Policy-Report-Only"] == "default-src 'none'"
    plain = middleware.process_response(rf.get("/"), HttpResponse())
    assert directives(plain["Content-Security-Policy"]) == {"default-src 'self'", "script-src 'self'"}
    assert "Content-Security-Policy" not in middleware.process_response(rf.get("/static/x.css"), HttpResponse())


def test_templates_have_no_inline_script_or_handler():
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template
        assert not re.search(r"\son[a-z]+\s*=", text), template
        assert "cdn" not in text.lower() and "https://" not in text, template


def production_env() -> dict:
    """The environment production settings need (tests/biometrics runs check --deploy with it too)."""
    return {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "absher.settings.production",
        "DJANGO_SECRET_KEY": "k" * 20 + "Zq8-!mV3@xP9#wL2$rT7^yB5&nC1*hJ6(",
        "OTP_HMAC_KEY": "another-secret",
        "FINGERPRINT_KEY": "q7mY1c7Qz5q0y3wUq1l2y0m3bH9sQk2uR8vX4nT6pLw=",
        "FINGERPRINT_MATCHER": "biometrics.matching.NbisMatcher",
        "PAYMENT_NOTIFICATION_KEY": "payment-notification-key-" + "x7" * 10,
        "NOTIFY_ENCRYPTION_KEY": "Jm0xq0l5cQ1h7S2yLrV8wP3kZt6uB9dE4fGaHcNjKs0=",
        "DOCUMENT_SIGNING_KEY": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        "WEBAUTHN_RP_ID": "absher.example",
        "WEBAUTHN_ORIGINS": "https://absher.example",
        "NOTIFY_CALLBACK_BASE_URL": "https://absher.example",
        # No real gateway is plugged in yet: this deployment says it runs the simulated one (passports.E004).
        "PAYMENT_SIMULATOR_ALLOWED": "true",
        "DJANGO_ALLOWED_HOSTS": "absher.example",
        "DATABASE_URL": "sqlite:////tmp/absher-check-deploy.sqlite3",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/1",
        # Attachments in a bucket every machine shares (else the deploy check civil_affairs.W001 warns).
        "ATTACHMENTS_S3_BUCKET": "absher-attachments",
    }


def test_production_settings_pass_check_deploy():
    env = production_env()
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_the_simulated_payment_gateway_unless_allowed():
    env = {k: v for k, v in production_env().items() if k != "PAYMENT_SIMULATOR_ALLOWED"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode != 0 and "passports.E004" in result.stdout + result.stderr


def test_production_refuses_to_start_without_its_secrets():
    env = {k: v for k, v in os.environ.items()
           if k not in {"DJANGO_SECRET_KEY", "OTP_HMAC_KEY", "FINGERPRINT_KEY", "PAYMENT_NOTIFICATION_KEY"}}
    env.update({"DJANGO_SETTINGS_MODULE": "absher.settings.production", "DJANGO_ALLOWED_HOSTS": "x", "DATABASE_URL": "sqlite:///x"})
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "DJANGO_SECRET_KEY" in result.stderr


# --- 18: a server error shows a reference, no trace ---


def test_server_error_page_has_a_reference_and_no_trace(client, monkeypatch, caplog):
    import absher.views

    def broken():
        raise RuntimeError("secret internals")

    monkeypatch.setattr(absher.views, "service_catalogue", broken)
    client.raise_request_exception = False
    response = client.get("/")
    body = response.content.decode()
    assert response.status_code == 500
    reference = re.search(r'<strong dir="ltr">([0-9A-F]{8})</strong>', body).group(1)
    assert "secret internals" not in body and "Traceback" not in body and "Django" not in body
    assert reference in caplog.text  # the log keeps the same reference for the operators


def test_not_found_is_the_portals_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and b"portal.css" in response.content
