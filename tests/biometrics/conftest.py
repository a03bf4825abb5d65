"""Kiosks, a provisioned kiosk device (its credential cookie), citizens with reference fingerprints.

References are real: NBIS templates the matcher enrols from synthetic enrolment images
(biometrics.synthetic), through libfprint, as every match in these tests is.
"""

import functools

import pytest

from accounts.models import AccountState
from biometrics import synthetic
from biometrics.credentials import cookie_name, credential_issue
from biometrics.matching import get_matcher
from biometrics.models import Kiosk, Region
from biometrics.readers import fake
from biometrics.readers.simulated import reset_counts
from civil_affairs.services_registry import person_fingerprint_reference_set

SIMULATED = "biometrics.readers.simulated.SimulatedReader"
FAKE = "biometrics.readers.fake.FakeReader"


@pytest.fixture(autouse=True)
def fingerprint_settings(settings):
    # Until absher/urls.py mounts biometrics.urls, this urlconf does (as tests/dependents/urls.py).
    settings.ROOT_URLCONF = "tests.biometrics.urls"
    settings.FINGERPRINT_READER = SIMULATED
    settings.FINGERPRINT_SIMULATOR_ALLOWED = True
    # Repeatable captures: the same finger gives the same capture in every run.
    settings.FINGERPRINT_SIMULATOR_SEED = "tests"
    settings.FINGERPRINT_KEY = ""
    fake.outcomes.clear()
    fake.log.clear()
    reset_counts()  # the n-th capture of a finger is the same in every run, whatever ran before
    yield settings
    fake.outcomes.clear()
    fake.log.clear()


_serials = iter(range(1, 10_000))


@pytest.fixture
def kiosk_factory(db):
    def create(**fields):
        n = next(_serials)
        values = {
            "serial": f"KSK-T-{n:04d}",
            "region": Region.RIYADH,
            "city_ar": "الرياض",
            "city_en": "Riyadh",
            "site_name_ar": f"مكتب الأحوال المدنية {n}",
            "site_name_en": f"Civil Affairs Office {n}",
            "address_ar": "حي الملز",
            "address_en": "Al Malaz district",
            "opening_hours_ar": "الأحد إلى الخميس",
            "opening_hours_en": "Sunday to Thursday, 7:30 am - 2:30 pm",
        }
        values.update(fields)
        return Kiosk.objects.create(**values)

    return create


@pytest.fixture
def operator(user_factory):
    from django.contrib.auth.models import Group

    user = user_factory(state=AccountState.ACTIVE, is_staff=True, username="Operator2026x")
    user.groups.add(Group.objects.get(name="Kiosk operators"))
    return user


@pytest.fixture
def provision(operator):
    """`provision(kiosk, client)`: bind the kiosk to a device and give the client its credential."""
    from biometrics.services import kiosk_provision

    def bind(kiosk, client=None):
        kiosk = kiosk_provision(kiosk=kiosk, actor=operator, client_address="192.0.2.10")
        if client is not None:
            client.cookies[cookie_name()] = credential_issue(kiosk)
        return kiosk

    return bind


@pytest.fixture
def kiosk(kiosk_factory, provision, client):
    """A kiosk in service, bound to the test client's device."""
    return provision(kiosk_factory(), client)


@functools.lru_cache(maxsize=256)
def reference_of(national_id: str) -> bytes:
    """The registry's reference of the ID's right index finger (enrolment takes ~0.5 s: once per ID)."""
    return get_matcher().enrol(synthetic.enrolment_images(national_id))


@pytest.fixture
def with_reference():
    def give(person):
        person_fingerprint_reference_set(person=person, template=reference_of(person.national_id), actor=None)
        person.refresh_from_db()
        return person

    return give


@pytest.fixture
def citizen(user_factory, person_factory, with_reference):
    """A `registered` account whose person has a reference fingerprint."""
    person = with_reference(person_factory(name_en="Fahad Alqahtani", name_ar="فهد القحطاني"))
    return user_factory(state=AccountState.REGISTERED, person=person, preferred_language="ar")


@pytest.fixture
def active_citizen(user_factory, person_factory, with_reference):
    """An `active` account (activated with its owner's finger) whose person has a reference fingerprint."""
    person = with_reference(person_factory(name_en="Sara Alharbi", name_ar="سارة الحربي", sex="F"))
    return user_factory(state=AccountState.ACTIVE, person=person, preferred_language="ar")
