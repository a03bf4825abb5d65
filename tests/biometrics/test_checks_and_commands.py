"""System checks of the drivers and the key; the demo command; CSRF on every kiosk POST."""

import re
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.test import Client
from django.urls import get_resolver

from biometrics.checks import check_fingerprint_drivers, check_fingerprint_key_in_deployment
from biometrics.management.commands.load_demo_kiosks import DEMO_KIOSKS, OPERATOR_USERNAME
from biometrics.models import Kiosk
from civil_affairs.models import Person
from civil_affairs.services_registry import person_fingerprint_reference
from tests.test_security import ROOT, production_env

from .conftest import SIMULATED


def ids(errors):
    return [error.id for error in errors]


def test_the_simulator_is_refused_without_debug_unless_a_demo_says_so(settings):
    settings.DEBUG = False
    settings.FINGERPRINT_SIMULATOR_ALLOWED = False
    assert ids(check_fingerprint_drivers(None)) == ["biometrics.E002"]
    settings.FINGERPRINT_SIMULATOR_ALLOWED = True
    assert check_fingerprint_drivers(None) == []
    settings.FINGERPRINT_SIMULATOR_ALLOWED = False
    settings.DEBUG = True
    assert check_fingerprint_drivers(None) == []


def test_the_default_reader_is_the_simulator_only_in_development(settings):
    from biometrics.readers import AGENT_READER, reader_path

    del settings.FINGERPRINT_READER
    settings.DEBUG = True
    assert reader_path() == SIMULATED
    settings.DEBUG = False
    assert reader_path() == AGENT_READER
    assert check_fingerprint_drivers(None) == []


def test_a_driver_path_must_import(settings):
    settings.FINGERPRINT_READER = "biometrics.readers.nowhere.Reader"
    settings.FINGERPRINT_MATCHER = "biometrics.matching.Nothing"
    assert ids(check_fingerprint_drivers(None)) == ["biometrics.E001", "biometrics.E001"]


def test_the_key_must_be_a_fernet_key_and_set_in_a_deployment(settings):
    settings.FINGERPRINT_KEY = "not-a-key"
    assert ids(check_fingerprint_drivers(None)) == ["biometrics.E004"]
    settings.FINGERPRINT_KEY = ""
    assert ids(check_fingerprint_key_in_deployment(None)) == ["biometrics.E003"]
    settings.FINGERPRINT_KEY = Fernet.generate_key().decode()
    assert check_fingerprint_drivers(None) == [] and check_fingerprint_key_in_deployment(None) == []


def test_a_deployment_names_its_matcher(settings):
    """Unset (production reads it with no default), the hand-written matcher is refused by the
    deploy check; named explicitly, that one or another, it passes."""
    from biometrics.checks import check_fingerprint_matcher_chosen
    from biometrics.matching import DEFAULT_MATCHER, MinutiaeMatcher, get_matcher

    for unset in (None, ""):
        settings.FINGERPRINT_MATCHER = unset
        assert ids(check_fingerprint_matcher_chosen(None)) == ["biometrics.E005"]
        assert check_fingerprint_drivers(None) == []  # the fallback still imports, and is what runs
        assert type(get_matcher()) is MinutiaeMatcher
    del settings.FINGERPRINT_MATCHER
    assert ids(check_fingerprint_matcher_chosen(None)) == ["biometrics.E005"]
    for chosen in (DEFAULT_MATCHER, "tests.biometrics.test_fingerprint.HalfMatcher"):
        settings.FINGERPRINT_MATCHER = chosen
        assert check_fingerprint_matcher_chosen(None) == []


def check_deploy_with_production_settings(*, matcher):
    env = {k: v for k, v in production_env().items() if k != "FINGERPRINT_MATCHER"}
    if matcher:
        env["FINGERPRINT_MATCHER"] = matcher
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


@pytest.mark.parametrize(
    ("matcher", "refused"),
    [(None, True), ("biometrics.matching.MinutiaeMatcher", False)],
    ids=["unset", "named"],
)
def test_production_refuses_the_matcher_unless_named(matcher, refused):
    result = check_deploy_with_production_settings(matcher=matcher)
    output = result.stdout + result.stderr
    assert ("biometrics.E005" in output) is refused, output
    assert (result.returncode != 0) is refused, output


@pytest.mark.django_db
def test_load_demo_kiosks_is_idempotent(capsys):
    call_command("load_demo_data")
    call_command("load_demo_kiosks")
    first = capsys.readouterr().out
    assert f"created {len(DEMO_KIOSKS)}" in first and f"kiosk operator {OPERATOR_USERNAME}: created" in first
    registered = Person.objects.get(account__username="DemoRegistered1")
    assert person_fingerprint_reference(national_id=registered.national_id) is not None
    references = dict(Person.objects.values_list("national_id", "fingerprint_reference"))
    call_command("load_demo_kiosks")
    second = capsys.readouterr().out
    assert "created 0" in second and "given (simulated right index fingers): 0" in second and "exists" in second
    assert dict(Person.objects.values_list("national_id", "fingerprint_reference")) == references
    assert Kiosk.objects.count() == len(DEMO_KIOSKS)
    assert {k.region for k in Kiosk.objects.all()} >= {"riyadh", "makkah", "eastern", "madinah", "qassim", "asir"}


@pytest.mark.django_db
def test_the_agent_key_command(kiosk, capsys):
    from biometrics.credentials import agent_key

    call_command("kiosk_agent_key", kiosk.serial)
    assert capsys.readouterr().out.strip() == agent_key(kiosk)


@pytest.mark.django_db
def test_every_kiosk_post_without_a_csrf_token_is_refused(kiosk, operator):
    from biometrics.credentials import cookie_name, credential_issue

    client = Client(enforce_csrf_checks=True)
    client.force_login(operator)
    client.cookies[cookie_name()] = credential_issue(kiosk)  # a real kiosk: only the missing token refuses
    routes = []
    for pattern in get_resolver("biometrics.urls").url_patterns:
        route = re.sub(r"<\w+:pk>", str(kiosk.pk), str(pattern.pattern))  # whichever converter takes the pk
        routes.append(route)
    for route in routes:
        response = client.post("/" + route, {})
        assert response.status_code in (403, 405), route
