"""Fixtures of the citizen's API tests (import them: `from tests.api.fixtures_citizen import *`).

A client signs in as the app does: a device of the account and a real token pair (devices.tokens).
"""

import io
import uuid
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from accounts.models import AccountState

__all__ = [
    "api", "as_user", "citizen", "other_citizen", "registered", "staff", "file_request", "png_file", "pdf_file",
    "error_of",
]


def as_user(client: APIClient, user) -> APIClient:
    """Authenticate `client` as `user` with a real access token of a new app device."""
    from devices import tokens
    from devices.models import Device

    now = timezone.now()
    device = Device.objects.create(user=user, kind="app", name="Test", signed_in_at=now, last_seen_at=now)
    pair = tokens.issue_pair(device)
    client.credentials(HTTP_AUTHORIZATION="Bearer " + pair.access_token)
    return client


def error_of(response) -> dict:
    """The one error shape: {"error": {"code", "message", "fields"?}}."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert {"code", "message"} <= set(body["error"]), body
    return body["error"]


def png_file(name="photo.png", size=(40, 30)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 120, 60)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def pdf_file(name="record.pdf"):
    body = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )
    return SimpleUploadedFile(name, body, content_type="application/pdf")


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def citizen(person_factory, user_factory):
    """An active father born in 1975."""
    return user_factory(state=AccountState.ACTIVE, person=person_factory(sex="M", birth_date=date(1975, 1, 1)))


@pytest.fixture
def other_citizen(user_factory):
    return user_factory(state=AccountState.ACTIVE)


@pytest.fixture
def registered(user_factory):
    """Signed in, not activated: e-services wait for a kiosk."""
    return user_factory(state=AccountState.REGISTERED)


@pytest.fixture
def staff(user_factory):
    return user_factory(state=AccountState.ACTIVE, is_staff=True)


@pytest.fixture
def file_request(db, committed):
    """`file_request(user, files=[...], code="general_inquiry")`: a request filed through the service."""
    from civil_affairs import services
    from civil_affairs.models import RequestType

    def create(user, *, files=(), code="general_inquiry", data=None, description="Please help"):
        with committed():
            return services.request_submit(
                applicant=user, request_type=RequestType.objects.get(code=code), data=data or {},
                description=description, files=list(files), submission_key=uuid.uuid4(), client_address="192.0.2.1",
            )

    return create
