"""Attachments through the storage API: the same tests on the local disk and on a real S3 server
(fixture `attachment_storage`): upload, the move on commit (none on rollback), the checked download,
the sweep of orphans, and moves repeated after a crash."""

import hashlib
import subprocess
import sys

import pytest
from django.db import transaction
from django.urls import reverse

from civil_affairs import checks, services, storage
from civil_affairs.models import Attachment
from tests.civil_affairs.conftest import pdf_file, png_file
from tests.test_security import ROOT, production_env

pytestmark = pytest.mark.django_db


def everything():
    return {"staged": storage.names_in(storage.STAGING), "stored": storage.names_in(storage.STORE)}


def read(name: str) -> bytes:
    handle, _ = storage.open_stored(name)
    try:
        return b"".join(iter(lambda: handle.read(8192), b""))
    finally:
        handle.close()


def back_to_staging(name: str) -> None:
    """What a crash between the commit and the move leaves: the row's file still in staging."""
    store = storage.backend()
    with store.open(f"{storage.STORE}/{name}", "rb") as handle:
        content = handle.read()
    store.delete(f"{storage.STORE}/{name}")
    store.save(f"{storage.STAGING}/{name}", _content(content))


def _content(data: bytes):
    from django.core.files.base import ContentFile

    return ContentFile(data)


def test_upload_lands_in_the_store_under_a_server_chosen_name(attachment_storage, citizen, submit):
    request = submit(citizen, files=[pdf_file("../record.pdf"), png_file()])
    rows = list(request.attachments.order_by("pk"))
    assert len(rows) == 2
    assert everything() == {"staged": [], "stored": sorted(row.stored_name for row in rows)}
    for row in rows:
        assert "record" not in row.stored_name and "/" not in row.stored_name
        assert hashlib.sha256(read(row.stored_name)).hexdigest() == row.sha256


def test_the_move_waits_for_the_commit(attachment_storage, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        name = storage.stage(b"%PDF-1.4 waiting", ".pdf")
        storage.commit_on_success([name])
    assert storage.is_staged(name) and not storage.is_stored(name)  # not committed yet
    assert len(callbacks) == 1
    callbacks[0]()  # the commit
    assert storage.is_stored(name) and not storage.is_staged(name)
    assert read(name) == b"%PDF-1.4 waiting"


def test_no_move_on_rollback(attachment_storage, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        name = storage.stage(b"%PDF-1.4 rolled back", ".pdf")
        storage.commit_on_success([name])
        raise RuntimeError("fault")
    assert callbacks == [] and not storage.is_stored(name)
    # No row points to it: the sweeper takes it once past its grace time, not before.
    assert services.attachments_sweep(older_than_seconds=3600) == {"promoted": 0, "deleted": 0}
    assert services.attachments_sweep(older_than_seconds=0) == {"promoted": 0, "deleted": 1}
    assert everything() == {"staged": [], "stored": []}


def test_a_failed_submission_keeps_no_file(attachment_storage, citizen, submit, monkeypatch):
    monkeypatch.setattr(services, "audit_record", lambda **kw: (_ for _ in ()).throw(RuntimeError("fault")))
    with pytest.raises(RuntimeError):
        submit(citizen, files=[pdf_file(), png_file()])
    assert Attachment.objects.count() == 0
    assert everything() == {"staged": [], "stored": []}


def test_checked_download_through_the_view(attachment_storage, client, citizen, submit, user_factory):
    from accounts.models import AccountState

    request = submit(citizen, files=[png_file("my photo.png")])
    attachment = request.attachments.get()
    url = reverse("civil_affairs:attachment-download", args=[request.reference, attachment.pk])
    client.force_login(user_factory(state=AccountState.ACTIVE))
    assert client.get(url).status_code == 404  # someone else's file
    client.force_login(citizen)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;") and "my photo.png" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff" and response["Cache-Control"] == "private, no-store"
    body = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(body) == attachment.size
    assert hashlib.sha256(body).hexdigest() == attachment.sha256
    # A move a crash interrupted: the committed row's file is served from staging meanwhile.
    back_to_staging(attachment.stored_name)
    assert b"".join(client.get(url).streaming_content) == body
    storage.discard([attachment.stored_name])
    assert client.get(url).status_code == 404  # gone from both folders


def test_sweep_finishes_moves_and_removes_orphans(attachment_storage, citizen, submit):
    kept = submit(citizen, files=[png_file()]).attachments.get().stored_name
    interrupted = submit(citizen, files=[pdf_file()]).attachments.get().stored_name
    back_to_staging(interrupted)
    staged_orphan = storage.stage(b"%PDF-1.4 orphan", ".pdf")
    stored_orphan = storage.stage(b"%PDF-1.4 row deleted", ".pdf")
    storage.promote([stored_orphan])
    # Young orphans are left alone: an upload may be on its way to its request.
    assert services.attachments_sweep(older_than_seconds=3600) == {"promoted": 1, "deleted": 0}
    assert storage.is_stored(interrupted) and storage.is_staged(staged_orphan)
    assert services.attachments_sweep(older_than_seconds=0) == {"promoted": 0, "deleted": 2}
    assert everything() == {"staged": [], "stored": sorted([kept, interrupted])}
    assert services.attachments_sweep(older_than_seconds=0) == {"promoted": 0, "deleted": 0}


def test_the_sweep_pages_through_a_large_store(attachment_storage, monkeypatch):
    monkeypatch.setattr(storage, "SWEEP_BATCH", 2)
    names = [storage.stage(b"x", ".pdf") for _ in range(5)]
    asked = []

    def referenced(batch):
        asked.append(len(batch))
        return set(batch) & set(names[:2])

    assert storage.sweep(referenced=referenced, older_than_seconds=0) == {"promoted": 2, "deleted": 3}
    assert asked == [2, 2, 1, 2]  # staging in pages of two, then the store
    assert everything() == {"staged": [], "stored": sorted(names[:2])}


def test_moves_are_safe_to_repeat(attachment_storage):
    name = storage.stage(b"%PDF-1.4 twice", ".pdf")
    storage.promote([name])
    storage.promote([name])  # already moved: nothing to do
    assert everything() == {"staged": [], "stored": [name]}
    # On S3 a crash between the copy and the delete leaves the file in both folders.
    storage.backend().save(f"{storage.STAGING}/{name}", _content(b"%PDF-1.4 twice"))
    storage.promote([name])
    assert everything() == {"staged": [], "stored": [name]} and read(name) == b"%PDF-1.4 twice"


def test_stored_names_are_one_path_segment(attachment_storage):
    for name in ("", "../etc/passwd", "a/b.pdf", "a\\b.pdf", ".hidden"):
        with pytest.raises(ValueError):
            storage.open_stored(name)


def test_files_have_no_url(attachment_storage):
    name = storage.stage(b"%PDF-1.4 private", ".pdf")
    store = storage.backend()
    if attachment_storage == "filesystem":
        with pytest.raises(ValueError):
            store.url(f"{storage.STAGING}/{name}")
    else:
        # An unsigned link to a private object: the bucket refuses it.
        assert "Signature" not in store.url(f"{storage.STAGING}/{name}")


@pytest.mark.parametrize("attachment_storage", ["s3"], indirect=True)
def test_s3_objects_are_private_and_encrypted(attachment_storage):
    name = storage.stage(b"%PDF-1.4 secret", ".pdf")
    storage.promote([name])
    store = storage.backend()
    s3 = store.connection.meta.client
    key = f"portal/{storage.STORE}/{name}"
    assert s3.head_object(Bucket=store.bucket_name, Key=key)["ServerSideEncryption"] == "AES256"
    grants = s3.get_object_acl(Bucket=store.bucket_name, Key=key)["Grants"]
    assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]
    assert all(grant["Grantee"].get("Type") == "CanonicalUser" for grant in grants)


def test_deploy_check_warns_of_attachments_on_one_machines_disk(attachment_storage, settings):
    settings.DEBUG = False
    found = [message.id for message in checks.check_attachments_are_shared(None)]
    assert found == (["civil_affairs.W001"] if attachment_storage == "filesystem" else [])
    assert checks.check_attachment_storage(None) == []


def test_missing_attachment_storage_is_an_error(settings):
    settings.STORAGES = {k: v for k, v in settings.STORAGES.items() if k != "attachments"}
    assert [message.id for message in checks.check_attachment_storage(None)] == ["civil_affairs.E001"]


def test_production_without_a_bucket_warns_but_starts():
    env = {k: v for k, v in production_env().items() if k != "ATTACHMENTS_S3_BUCKET"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "civil_affairs.W001" in result.stdout + result.stderr


def test_a_move_that_fails_at_commit_is_finished_by_the_sweeper(attachment_storage, client, citizen, submit,
                                                                 monkeypatch, caplog):
    def store_down(self, source, target):
        raise OSError("store down")

    with monkeypatch.context() as patch:
        for kind in (storage._FileSystem, storage._S3):
            patch.setattr(kind, "move", store_down)
        request = submit(citizen, files=[png_file()])  # filed all the same
        attachment = request.attachments.get()
        assert storage.is_staged(attachment.stored_name) and "stays in staging" in caplog.text
        client.force_login(citizen)
        url = reverse("civil_affairs:attachment-download", args=[request.reference, attachment.pk])
        assert client.get(url).status_code == 200  # from staging meanwhile
    assert services.attachments_sweep() == {"promoted": 1, "deleted": 0}
    assert storage.is_stored(attachment.stored_name) and not storage.is_staged(attachment.stored_name)
