"""Shared fixtures of the API's tests: clients, bearer tokens, and citizens with a family and data.

    def test_x(bearer, family):
        client = bearer(family.father)          # an APIClient sending "Authorization: Bearer aat_..."
        client.get("/api/v1/profile/")

`family` is citizen A (the father, active, with a wife, two minor children, a sponsored worker,
a civil affairs request with a PDF attachment and a notice); `family.stranger` is citizen B, an
active account with a family and data of its own (the object-access test asks for A's objects as B).
"""

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AccountState
from civil_affairs.ages import anniversary

API = "/api/v1/"


def generated_schema() -> dict:
    """The OpenAPI document the code describes (what /api/v1/schema/ serves), as plain JSON data."""
    import json

    from django.core.serializers.json import DjangoJSONEncoder
    from django.utils import translation
    from drf_spectacular.generators import SchemaGenerator

    with translation.override("en"):
        document = SchemaGenerator().get_schema(request=None, public=True)
        return json.loads(json.dumps(document, cls=DjangoJSONEncoder))


@pytest.fixture
def api_client():
    """An API client with no credentials (and no session: the API reads only bearer tokens)."""
    return APIClient()


def device_for(user, *, name="T"):
    from devices.models import Device

    now = timezone.now()
    return Device.objects.create(user=user, kind="app", name=name, signed_in_at=now, last_seen_at=now)


def bearer_client(user, *, language: str | None = None):
    """(client, device, pair): an APIClient signed in as `user` on a new app device."""
    from devices import tokens

    device = device_for(user)
    pair = tokens.issue_pair(device)
    client = APIClient()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {pair.access_token}"}
    if language:
        headers["HTTP_ACCEPT_LANGUAGE"] = language
    client.credentials(**headers)
    client.device, client.pair = device, pair
    return client


@pytest.fixture
def bearer(db):
    """`bearer(user) -> APIClient` with a live access token of a new app device of `user`
    (`client.device`, `client.pair` hold the device and its tokens)."""

    def make(user, *, language: str | None = None) -> APIClient:
        return bearer_client(user, language=language)

    return make


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The API's one error shape ({"error": {"code", "message"[, "fields"]}}) with this status."""
    assert response.status_code == status, (response.status_code, getattr(response, "content", b"")[:500])
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) <= {"code", "message", "fields"} and {"code", "message"} <= set(error), error
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code, error
    return error


@dataclass
class Household:
    """One citizen's account and what the registry and the portal hold for it."""

    user: object
    person: object
    wife: object = None
    son: object = None
    daughter: object = None
    worker: object = None
    requests: list = field(default_factory=list)
    #: The run's date in Riyadh (the `today` fixture): what the household's dates were made from.
    today: object = None
    notices: list = field(default_factory=list)


def _pdf(name="record.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    body = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )
    return SimpleUploadedFile(name, body, content_type="application/pdf")


@pytest.fixture
def household_factory(db, person_factory, user_factory, django_capture_on_commit_callbacks, today):
    """`household_factory(surname)`: an active citizen with a wife, a son (10), a daughter (17),
    a sponsored worker, a filed civil affairs request with a PDF attachment, and a notice."""
    from civil_affairs import notifications as civil_affairs_notices
    from civil_affairs import services as civil_affairs
    from civil_affairs.models import RequestType
    from passports import services as passports

    serial = {"n": 0}

    def make(surname: str = "Harbi") -> Household:
        serial["n"] += 1
        person = person_factory(sex="M", birth_date=date(1980, 3, 1), name_en=f"Saad {surname}", name_ar="سعد")
        wife = person_factory(sex="F", birth_date=date(1984, 5, 1), name_en=f"Haya {surname}", name_ar="هيا")
        son = person_factory(sex="M", birth_date=anniversary(today, years=-10), father=person, mother=wife,
                             national_id_issued=False, name_en=f"Omar {surname}", name_ar="عمر")
        daughter = person_factory(sex="F", birth_date=anniversary(today, years=-17), father=person, mother=wife,
                                  national_id_issued=False, name_en=f"Reem {surname}", name_ar="ريم")
        worker = person_factory(prefix="2", sex="F", birth_date=date(1992, 2, 2), nationality="PH",
                                iqama_expiry=today + timedelta(days=200), name_en="Maria Cruz", name_ar="ماريا")
        user = user_factory(state=AccountState.ACTIVE, person=person, username=f"{surname}{serial['n']:04d}x")
        home = Household(user=user, person=person, wife=wife, son=son, daughter=daughter, worker=worker, today=today)
        staff = user_factory(state=AccountState.ACTIVE, is_staff=True)
        passports.sponsorship_start(sponsor=person, worker=worker, occupation_ar="عاملة منزلية",
                                    occupation_en="Housemaid", started_on=today - timedelta(days=400), actor=staff)
        with django_capture_on_commit_callbacks(execute=True):
            home.requests.append(
                civil_affairs.request_submit(
                    applicant=user, request_type=RequestType.objects.get(code="general_inquiry"), data={},
                    description="Please update my address", files=[_pdf()], submission_key=uuid.uuid4(),
                    client_address="192.0.2.1",
                )
            )
        home.notices = list(user.notices.all())  # the request's "submitted" notice
        if not home.notices:
            with django_capture_on_commit_callbacks(execute=True):
                civil_affairs_notices.notify_status(home.requests[0])
            home.notices = list(user.notices.all())
        return home

    return make


@pytest.fixture
def family(household_factory):
    """Citizen A's household; `family.stranger` is citizen B's (another active account)."""
    home = household_factory("Harbi")
    home.father = home.user
    home.stranger = household_factory("Otaibi")
    return home
