"""System checks of the drivers, the key and the matcher's engine; the demo command; CSRF on every kiosk POST."""

import re
import sys

import pytest
from cryptography.fernet import Fernet
from django.core import checks
from django.core.management import call_command
from django.test import Client
from django.urls import get_resolver

from biometrics.checks import check_fingerprint_drivers, check_fingerprint_key_in_deployment
from biometrics.models import Kiosk
from civil_affairs.models import Person
from civil_affairs.services_registry import person_fingerprint_reference

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


def test_a_matcher_whose_engine_cannot_start_is_warned_of_in_a_deployment(monkeypatch):
    from biometrics.checks import check_fingerprint_engine
    from biometrics.engine import client as engine_client

    assert check_fingerprint_engine(None) == []  # libfprint is installed here
    broken = engine_client.EngineClient(command=[sys.executable, "-c", "raise SystemExit(1)"])
    monkeypatch.setattr(engine_client, "_client", broken)
    warnings = check_fingerprint_engine(None)
    assert ids(warnings) == ["biometrics.W006"] and warnings[0].level == checks.WARNING
    broken.close()


@pytest.mark.django_db
def test_load_demo_kiosks_is_idempotent(capsys):
    from biometrics.management.commands.load_demo_kiosks import DEMO_KIOSKS, OPERATOR_USERNAME

    call_command("load_demo_data")
    call_command("load_demo_kiosks")
    first = capsys.readouterr().out
    assert f"created {len(DEMO_KIOSKS)}" in first and f"kiosk operator {OPERATOR_USERNAME}: created" in first
    registered = Person.objects.get(account__username="DemoRegistered1")
    assert person_fingerprint_reference(national_id=registered.national_id) is not None
    references = dict(Person.objects.values_list("national_id", "fingerprint_reference"))
    call_command("load_demo_kiosks")
    second = capsys.readouterr().out
    assert "created 0" in second and "enrolled through NBIS): 0" in second and "exists" in second
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
