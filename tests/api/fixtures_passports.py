"""Fixtures of the passports routes of the API: the passports family (tests/passports/conftest.py)
and API clients signed in with a real device token, in the language asked for."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.passports import conftest as passports_fixtures

# The passports tests' family and helpers (tests/passports/conftest.py), as fixtures here too.
fingerprint = passports_fixtures.fingerprint
passport_of = passports_fixtures.passport_of
pay = passports_fixtures.pay
staff = passports_fixtures.staff
world = passports_fixtures.world

__all__ = ["api_as", "fingerprint", "passport_bill", "passport_of", "passport_receipt", "pay", "staff", "world"]


def token_for(user) -> str:
    from devices import tokens
    from devices.models import Device

    now = timezone.now()
    device = Device.objects.create(user=user, kind="app", name="Test", signed_in_at=now, last_seen_at=now)
    return tokens.issue_pair(device).access_token


@pytest.fixture
def api_as(db):
    """`api_as(user, language="en")`: an APIClient with the user's bearer token (none for None);
    without a language the client sends no Accept-Language (the API answers in Arabic)."""

    def make(user=None, language=None) -> APIClient:
        client = APIClient()
        headers = {}
        if user is not None:
            headers["HTTP_AUTHORIZATION"] = "Bearer " + token_for(user)
        if language:
            headers["HTTP_ACCEPT_LANGUAGE"] = language
        client.credentials(**headers)
        return client

    return make


@pytest.fixture
def passport_bill(world, passport_of, today):
    """An unpaid bill of the father: his son's passport renewal (5 years, collected in Riyadh)."""
    from passports import services
    from passports.models import Service

    passport_of(world.son, expires_on=today + timedelta(days=20))
    return services.service_order(service=Service.PASSPORT, actor=world.father, holder=world.son,
                                  params={"years": 5, "delivery": "collection", "office": "riyadh"},
                                  submission_key=uuid.uuid4())


@pytest.fixture
def passport_receipt(world, passport_bill, pay):
    """The receipt of the son's new passport (the bill paid and used)."""
    return pay(passport_bill, world.father)
