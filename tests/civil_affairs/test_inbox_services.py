"""The request inbox's services: all-or-nothing submission, the status table, the thread."""

import threading
import uuid

import pytest
from django.db import connection

from absher.notifications.models import Notice
from absher.sms.backends import locmem
from accounts.models import AccountState
from civil_affairs import services, storage
from civil_affairs.exceptions import ReasonRequired, ReplyNotExpected, TransitionNotAllowed
from civil_affairs.models import Attachment, RequestStatus, ServiceRequest
from tests.civil_affairs.conftest import pdf_file, png_file
from tests.conftest import require_postgres

pytestmark = pytest.mark.django_db


def stored_files():
    return storage.names_in(storage.STORE) + storage.names_in(storage.STAGING)


def test_submission_makes_a_request_with_reference_files_notice_and_sms(citizen, submit):
    request = submit(citizen, files=[pdf_file(), png_file()])
    assert request.reference.startswith("CA-") and request.status == RequestStatus.SUBMITTED
    assert list(request.events.values_list("to_status", flat=True)) == ["submitted"]
    names = list(request.attachments.values_list("stored_name", flat=True))
    assert len(names) == 2
    for name in names:
        assert storage.is_stored(name)  # moved to the store when the transaction committed
    assert Notice.objects.filter(user=citizen, source="civil_affairs", subject_id=request.pk).count() == 1
    assert request.reference in locmem.outbox[-1].body


def test_the_same_submission_key_gives_one_request(citizen, submit):
    key = uuid.uuid4()
    first = submit(citizen, key=key)
    second = submit(citizen, key=key)
    assert first.pk == second.pk and ServiceRequest.objects.count() == 1


@pytest.mark.parametrize("fault_at", ["after_request_row", "after_second_file", "at_the_audit_row"])
def test_a_fault_anywhere_leaves_no_request_and_no_file(citizen, submit, monkeypatch, fault_at):
    before = stored_files()
    if fault_at == "after_request_row":
        monkeypatch.setattr(services, "reference_for", lambda request: (_ for _ in ()).throw(RuntimeError("fault")))
    elif fault_at == "after_second_file":
        original = Attachment.objects.create
        calls = {"n": 0}

        def create(**kwargs):
            calls["n"] += 1
            row = original(**kwargs)
            if calls["n"] == 2:
                raise RuntimeError("fault")
            return row

        monkeypatch.setattr(Attachment.objects, "create", create)
    else:
        monkeypatch.setattr(services, "audit_record", lambda **kw: (_ for _ in ()).throw(RuntimeError("fault")))
    with pytest.raises(RuntimeError):
        submit(citizen, files=[pdf_file(), png_file(), png_file("two.png")])
    assert ServiceRequest.objects.count() == 0 and Attachment.objects.count() == 0
    assert stored_files() == before
    assert services.attachments_sweep(older_than_seconds=0) == {"promoted": 0, "deleted": 0}
    assert locmem.outbox == []


def test_status_table_is_enforced_by_the_service(citizen, submit, user_factory):
    staff = user_factory(is_staff=True, state=AccountState.ACTIVE)
    request = submit(citizen)
    with pytest.raises(TransitionNotAllowed):
        services.request_transition(request=request, to_status=RequestStatus.WAITING_CITIZEN, actor=staff)
    with pytest.raises(TransitionNotAllowed):
        services.request_transition(request=request, to_status=RequestStatus.APPROVED, actor=staff)
    services.request_take(request=request, actor=staff)
    with pytest.raises(ReasonRequired):
        services.request_transition(request=request, to_status=RequestStatus.REJECTED, actor=staff, note="  ")
    request = services.request_transition(request=request, to_status=RequestStatus.REJECTED, actor=staff, note="Missing record")
    assert request.decision_reason == "Missing record" and request.decided_at
    for status in (RequestStatus.IN_REVIEW, RequestStatus.APPROVED, RequestStatus.CLOSED):
        with pytest.raises(TransitionNotAllowed):
            services.request_transition(request=request, to_status=status, actor=staff)
    request.refresh_from_db()
    assert request.status == RequestStatus.REJECTED and request.assigned_to == staff


def test_thread_ask_reply_and_notices(citizen, submit, user_factory, committed):
    staff = user_factory(is_staff=True, state=AccountState.ACTIVE)
    request = submit(citizen)
    with pytest.raises(ReplyNotExpected):
        services.message_post(request=request, author=citizen, body="any news?")
    services.request_take(request=request, actor=staff)
    with committed():
        services.request_ask_citizen(request=request, actor=staff, body="Send the family record")
    request.refresh_from_db()
    assert request.status == RequestStatus.WAITING_CITIZEN
    assert any("message" in m.body.lower() or request.reference in m.body for m in locmem.outbox)
    services.message_post(request=request, author=citizen, body="Here it is", files=[pdf_file()])
    request.refresh_from_db()
    assert request.status == RequestStatus.IN_REVIEW
    assert [m.from_staff for m in request.messages.all()] == [True, False]
    assert request.attachments.filter(message__isnull=False).count() == 1
    kinds = list(Notice.objects.filter(user=citizen, source="civil_affairs").values_list("kind", flat=True))
    assert "message" in kinds and kinds.count("status") >= 3


def test_sms_in_the_citizens_language(user_factory, submit):
    english = user_factory(state=AccountState.ACTIVE, preferred_language="en")
    arabic = user_factory(state=AccountState.ACTIVE, preferred_language="ar")
    submit(english)
    submit(arabic)
    assert "request" in locmem.outbox[0].body and "request" not in locmem.outbox[1].body


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_identical_submissions_make_one_request(user_factory):
    require_postgres("concurrent inserts")
    from civil_affairs.models import RequestType

    citizen = user_factory(state=AccountState.ACTIVE)
    request_type = RequestType.objects.get(code="general_inquiry")
    key = uuid.uuid4()
    barrier = threading.Barrier(10)
    results = []

    def submit_once():
        try:
            barrier.wait()
            results.append(
                services.request_submit(
                    applicant=citizen, request_type=request_type, data={}, description="same",
                    files=[png_file()], submission_key=key,
                ).pk
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=submit_once) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 10 and len(set(results)) == 1
    assert ServiceRequest.objects.count() == 1 and Attachment.objects.count() == 1
    assert services.attachments_sweep(older_than_seconds=0)["deleted"] == 0


def test_sweep_command(citizen, submit):
    from io import StringIO

    from django.core.management import call_command

    submit(citizen, files=[png_file()])
    storage.stage(b"stray", ".pdf")
    out = StringIO()
    call_command("sweep_attachments", "--grace-seconds", "0", stdout=out)
    assert out.getvalue().strip() == "promoted 0, deleted 1"
    call_command("sweep_attachments", "--grace-seconds", "0", stdout=out)
    assert out.getvalue().strip().endswith("promoted 0, deleted 0")
