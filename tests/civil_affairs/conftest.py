import io
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.models import AccountState


def png_file(name="photo.png", size=(40, 30)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 120, 60)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def pdf_file(name="record.pdf", extra=b""):
    body = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        + extra
        + b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )
    return SimpleUploadedFile(name, body, content_type="application/pdf")


@pytest.fixture
def citizen(user_factory):
    return user_factory(state=AccountState.ACTIVE)


@pytest.fixture
def inquiry_type(db):
    from civil_affairs.models import RequestType

    return RequestType.objects.get(code="general_inquiry")


@pytest.fixture
def submit(inquiry_type, committed):
    from civil_affairs import services

    def call(applicant, *, files=(), key=None, request_type=None, data=None, description="Please help"):
        with committed():
            return services.request_submit(
                applicant=applicant,
                request_type=request_type or inquiry_type,
                data=data or {},
                description=description,
                files=list(files),
                submission_key=key or uuid.uuid4(),
                client_address="192.0.2.1",
            )

    return call


@pytest.fixture
def staff_in(user_factory):
    """`staff_in("Civil affairs officers", "Officer2026x")`: an active staff account in that group."""
    from django.contrib.auth.models import Group

    from accounts.models import AccountState

    def create(group: str, username: str):
        user = user_factory(is_staff=True, state=AccountState.ACTIVE, username=username)
        user.groups.add(Group.objects.get(name=group))
        return user

    return create


@pytest.fixture
def officer(staff_in):
    return staff_in("Civil affairs officers", "Officer2026x")
