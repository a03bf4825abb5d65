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


from tests.s3server import s3_endpoint  # noqa: E402, F401 - the session's S3 server, started on first use


@pytest.fixture(params=["filesystem", "s3"])
def attachment_storage(request, settings):
    """Runs a test once on the local disk (PRIVATE_FILES_ROOT, the autouse `private_files`) and once on
    a real S3 server, in a bucket of its own, with the options production sets. Gives the backend's name."""
    if request.param == "filesystem":
        yield "filesystem"
        return
    from tests import s3server

    endpoint = request.getfixturevalue("s3_endpoint")
    bucket = f"absher-test-{uuid.uuid4().hex[:16]}"
    s3 = s3server.client(endpoint)
    s3.create_bucket(Bucket=bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "location": "portal",
                "endpoint_url": endpoint,
                "region_name": s3server.REGION,
                "access_key": s3server.ACCESS_KEY,
                "secret_key": s3server.SECRET_KEY,
                "default_acl": "private",
                "object_parameters": {"ServerSideEncryption": "AES256"},
                "querystring_auth": False,
                "file_overwrite": True,
            },
        },
    }
    try:
        yield "s3"
    finally:
        s3server.empty_and_delete(s3, bucket)
