# ruff: noqa: F811  (the civil affairs fixtures are imported by name and requested as arguments)
"""The staff decision page (civil_affairs.admin.ServiceRequestAdmin): one page to read and decide a
request, its buttons calling the same services as the queue's actions, read-only once decided."""

import io
import json
import re
from datetime import timedelta
from pathlib import Path

import polib
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from PIL import Image

from absher.models import AuditEvent
from accounts.models import AccountState
from civil_affairs.models import PersonDataAccess, RequestStatus, RequestType
from tests.civil_affairs.conftest import citizen, inquiry_type, officer, png_file, staff_in, submit  # noqa: F401

pytestmark = pytest.mark.django_db
CHANGELIST = "/staff/civil_affairs/servicerequest/"
ROOT = Path(__file__).resolve().parents[1]


def one_page_pdf(name="letter.pdf"):
    buffer = io.BytesIO()
    Image.new("RGB", (200, 280), (250, 250, 250)).save(buffer, "PDF")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")


def page_url(request):
    return reverse("admin:civil_affairs_servicerequest_change", args=[request.pk])


def decide_url(request):
    return reverse("admin:civil_affairs_servicerequest_decide", args=[request.pk])


def english(client):
    client.cookies["absher_language"] = "en"


@pytest.fixture
def auditor(staff_in):
    return staff_in("Auditors", "Auditor2026x")


@pytest.fixture
def newborn(citizen, submit):
    return submit(
        citizen, request_type=RequestType.objects.get(code="register_newborn"),
        data={"child_name_ar": "سارة", "child_name_en": "Sara", "child_sex": "F", "child_birth_date": "2026-01-05"},
        files=[png_file(), one_page_pdf()],
    )


def test_the_page_shows_registry_summary_attachments_thread_and_timeline(client, officer, newborn, citizen):
    english(client)
    client.force_login(officer)
    response = client.get(page_url(newborn))
    assert response.status_code == 200
    text = response.content.decode()
    person = citizen.person
    assert person.national_id in text and person.name_en in text and person.name_ar in text  # registry data
    assert "Child&#x27;s name in English" in text and "Sara" in text and "Female" in text  # the summary in words
    assert "child_name_en" not in text and "{&quot;" not in text  # no raw JSON
    attachment_urls = [
        reverse("admin:civil_affairs_servicerequest_attachment_preview", args=[newborn.pk, a.pk]) for a in newborn.attachments.all()
    ]
    assert all(url in text for url in attachment_urls)
    assert reverse("admin:civil_affairs_servicerequest_attachment", args=[newborn.pk, newborn.attachments.first().pk]) in text
    assert "Times are Riyadh time." in text
    for label in ("Take into review", "Reject with a reason"):
        assert label in text
    assert "Approve" not in text.split('id="request-decide"')[1]  # not possible from "submitted"


def test_previews_are_pngs_drawn_by_the_server_and_recorded(client, officer, newborn):
    client.force_login(officer)
    for attachment in newborn.attachments.all():
        response = client.get(reverse("admin:civil_affairs_servicerequest_attachment_preview", args=[newborn.pk, attachment.pk]))
        assert response.status_code == 200 and response["Content-Type"] == "image/png"
        image = Image.open(io.BytesIO(response.content))
        assert image.format == "PNG" and image.width > 10
    pdf = newborn.attachments.get(content_type="application/pdf")
    picture = Image.open(io.BytesIO(client.get(
        reverse("admin:civil_affairs_servicerequest_attachment_preview", args=[newborn.pk, pdf.pk])).content))
    assert picture.size[0] < picture.size[1]  # the page's own portrait shape, not the placeholder
    assert PersonDataAccess.objects.filter(staff=officer, what="attachment").count() == 2  # each file once an hour


def test_a_preview_of_an_undrawable_file_is_a_placeholder(client, officer, citizen, submit):
    from tests.civil_affairs.conftest import pdf_file

    request = submit(citizen, files=[pdf_file()])  # a PDF with no page
    client.force_login(officer)
    attachment = request.attachments.get()
    response = client.get(reverse("admin:civil_affairs_servicerequest_attachment_preview", args=[request.pk, attachment.pk]))
    assert response.status_code == 200 and Image.open(io.BytesIO(response.content)).size == (320, 200)


def status_audits(request):
    return list(
        AuditEvent.objects.filter(action="request_status_changed", details__reference=request.reference)
        .order_by("at", "id").values_list("details__to_status", flat=True)
    )


def test_each_button_calls_the_service_and_records_the_audit_row(client, officer, citizen, submit):
    request = submit(citizen)
    client.force_login(officer)
    response = client.post(decide_url(request), {"decision": "take"})
    assert response.status_code == 302 and response.url == page_url(request)
    request.refresh_from_db()
    assert request.status == RequestStatus.IN_REVIEW and request.assigned_to == officer
    client.post(decide_url(request), {"decision": "ask_citizen", "ask_citizen-body": "Send the birth notification"})
    request.refresh_from_db()
    assert request.status == RequestStatus.WAITING_CITIZEN
    assert request.messages.get().body == "Send the birth notification"
    client.post(decide_url(request), {"decision": "take"})
    client.post(decide_url(request), {"decision": "approve"})
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED and request.decided_at is not None
    assert status_audits(request) == ["in_review", "waiting_citizen", "in_review", "approved"]
    assert AuditEvent.objects.filter(action="request_status_changed", actor=officer).count() == 4


def test_reject_needs_a_reason_then_the_citizen_reads_it(client, officer, citizen, submit):
    request = submit(citizen)
    client.force_login(officer)
    english(client)
    refused = client.post(decide_url(request), {"decision": "reject", "reject-reason": "  "})
    assert refused.status_code == 400 and b"This field is required." in refused.content
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED and status_audits(request) == []
    client.post(decide_url(request), {"decision": "reject", "reject-reason": "The record is unreadable"})
    request.refresh_from_db()
    assert request.status == RequestStatus.REJECTED and request.decision_reason == "The record is unreadable"
    assert status_audits(request) == ["rejected"]


def test_the_buttons_and_the_queue_actions_are_the_same_decisions(client, officer, citizen, submit, monkeypatch):
    from civil_affairs import admin as staff_admin
    from civil_affairs import services

    calls = []
    real = services.request_transition
    monkeypatch.setattr(services, "request_transition", lambda **kw: calls.append(kw["to_status"]) or real(**kw))
    first, second = submit(citizen), submit(citizen)
    client.force_login(officer)
    client.post(decide_url(first), {"decision": "take"})
    client.post(CHANGELIST, {"action": "take", "_selected_action": [second.pk]})
    assert calls == ["in_review", "in_review"]
    assert {name: d.to_status for name, d in staff_admin.DECISIONS.items()} == {
        "take": "in_review", "ask_citizen": "waiting_citizen", "approve": "approved", "reject": "rejected"}


def test_a_decided_request_is_read_only(client, officer, citizen, submit):
    request = submit(citizen)
    client.force_login(officer)
    english(client)
    client.post(decide_url(request), {"decision": "take"})
    client.post(decide_url(request), {"decision": "reject", "reject-reason": "Not readable"})
    text = client.get(page_url(request)).content.decode()
    decide_panel = text.split('id="request-decide"')[1]
    assert "<form" not in decide_panel and "it can only be read" in decide_panel
    assert "Write to the citizen" not in text
    response = client.post(decide_url(request), {"decision": "approve"}, follow=True)
    request.refresh_from_db()
    assert request.status == RequestStatus.REJECTED
    assert b"This decision is not possible now" in response.content
    assert client.post(page_url(request), {}).status_code == 405  # the old change form does not save


def test_an_unknown_status_is_read_only(client, officer, citizen, submit):
    from civil_affairs import admin as staff_admin
    from civil_affairs.models import ServiceRequest

    request = submit(citizen)
    ServiceRequest.objects.filter(pk=request.pk).update(status="some_new_status")
    assert staff_admin.decisions_open("some_new_status") == [] and staff_admin.is_decided("some_new_status")
    client.force_login(officer)
    response = client.get(page_url(request))
    assert response.status_code == 200 and "<form" not in response.content.decode().split('id="request-decide"')[1]
    client.post(decide_url(request), {"decision": "take"})
    request.refresh_from_db()
    assert request.status == "some_new_status"


def test_staff_without_the_change_permission_cannot_decide(client, auditor, citizen, submit):
    request = submit(citizen)
    client.force_login(auditor)
    page = client.get(page_url(request))
    assert page.status_code == 200 and "<form" not in page.content.decode().split('id="request-decide"')[1]
    assert client.post(decide_url(request), {"decision": "take"}).status_code == 403
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED


def test_staff_of_no_group_and_citizens_never_reach_it(client, user_factory, citizen, submit):
    request = submit(citizen)
    bare_staff = user_factory(is_staff=True, state=AccountState.ACTIVE, username="BareStaff2026")
    client.force_login(bare_staff)
    page = client.get(page_url(request))
    assert page.status_code == 302 and request.reference.encode() not in page.content  # back to the admin's index
    assert client.post(decide_url(request), {"decision": "take"}).status_code == 404
    client.force_login(citizen)
    assert client.get(page_url(request), follow=True).status_code == 404  # the admin does not exist for citizens
    assert client.post(decide_url(request), {"decision": "take"}, follow=True).status_code == 404
    client.logout()
    assert client.post(decide_url(request), {"decision": "take"}).status_code == 302  # to the portal's sign-in
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED


def test_another_departments_request_is_not_found(client, officer, citizen, submit):
    passports = RequestType.objects.create(code="passport_test", name_ar="ج", name_en="P", department="passports")
    request = submit(citizen, request_type=passports)
    client.force_login(officer)
    assert client.post(decide_url(request), {"decision": "take"}).status_code == 404
    preview = reverse("admin:civil_affairs_servicerequest_attachment_preview", args=[request.pk, 1])
    assert client.get(preview).status_code == 404


def test_the_page_reads_in_a_fixed_number_of_queries(client, officer, citizen, submit, committed):
    from civil_affairs import services

    small = submit(citizen, files=[png_file()])
    large = submit(citizen, files=[png_file(f"p{i}.png") for i in range(3)])
    with committed():
        services.request_take(request=large, actor=officer)
        for n in range(4):
            services.message_post(request=large, author=officer, body=f"note {n}")
    client.force_login(officer)

    def count(request):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page_url(request)).status_code == 200
        return len(queries)

    count(small)  # warm the caches (content types, permissions)
    assert count(small) == count(large) <= 20  # whatever the files, the thread and the timeline


def test_staff_wording_in_both_languages(client, officer, citizen, submit):
    from civil_affairs.admin import staff_status_label

    request = submit(citizen)
    client.force_login(officer)
    client.post(decide_url(request), {"decision": "take"})
    client.post(decide_url(request), {"decision": "ask_citizen", "ask_citizen-body": "Which hospital?"})
    english(client)
    text = client.get(page_url(request)).content.decode()
    assert "Waiting for the citizen" in text and "Waiting for you" not in text
    queue = client.get(CHANGELIST).content.decode()
    assert "Waiting for the citizen" in queue and "Waiting for you" not in queue
    client.cookies["absher_language"] = "ar"
    for url in (page_url(request), CHANGELIST):
        text = client.get(url).content.decode()
        visible = re.sub(r"<[^>]*>", " ", re.sub(r"<(script|style)\b.*?</\1>|<!--.*?-->", " ", text, flags=re.S))
        assert not re.search(r"in_review|waiting_citizen|submitted|-&gt;|->", visible), url
    with translation.override("en"):
        assert staff_status_label("in_review") == "In review"
        assert staff_status_label("no_such_status") == "no_such_status"


def catalogue_and_pending() -> tuple[dict, dict]:
    catalogue = {entry.msgid: entry.msgstr for entry in polib.pofile(str(ROOT / "locale/ar/LC_MESSAGES/django.po"))
                 if entry.translated()}
    pending = {}
    for path in (ROOT / "locale" / "pending").glob("*.json"):
        pending.update(json.loads(path.read_text(encoding="utf-8")))
    return catalogue, pending


def test_every_staff_label_has_arabic():
    """The queue's column headers, filters, statuses and decisions: translated (in the catalogue, or
    in locale/pending/ until scripts/apply_translations.py brings them in)."""
    from django.contrib import admin as django_admin

    from civil_affairs import admin as staff_admin
    from civil_affairs.models import ServiceRequest

    catalogue, pending = catalogue_and_pending()
    model_admin = django_admin.site._registry[ServiceRequest]
    labels = []
    for name in model_admin.list_display:
        attribute = getattr(model_admin, name, None)
        labels.append(getattr(attribute, "short_description", None) or ServiceRequest._meta.get_field(name).verbose_name)
    for filter_class in (staff_admin.QueueFilter, staff_admin.StaffStatusFilter, staff_admin.AgeFilter):
        labels.append(filter_class.title)
    labels += [decision.label for decision in staff_admin.DECISIONS.values()]
    labels += list(staff_admin.STAFF_STATUS_LABELS.values()) + [label for _, label in ServiceRequest._meta.get_field("status").choices]
    with translation.override(None):
        msgids = {str(label) for label in labels}
    missing = sorted(msgid for msgid in msgids if msgid not in catalogue and msgid not in pending)
    assert missing == []


def test_the_queue_reads_in_a_fixed_number_of_queries_and_opens_on_the_oldest(client, officer, citizen, submit, user_factory):
    from civil_affairs import services
    from civil_affairs.models import ServiceRequest

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(CHANGELIST)
            assert response.status_code == 200
        return len(queries), response

    first = submit(citizen)
    client.force_login(officer)
    client.get(CHANGELIST)
    few, _ = count()
    for n in range(5):
        request = submit(user_factory(state=AccountState.ACTIVE))
        if n % 2:
            services.request_take(request=request, actor=officer)
    ServiceRequest.objects.filter(pk=first.pk).update(created_at=first.created_at - timedelta(days=3))
    many, response = count()
    assert many == few
    references = [obj.reference for obj in response.context["cl"].result_list]
    assert references[0] == first.reference and len(references) == 6


def test_the_decision_address_opened_by_get_leads_to_the_page(client, officer, citizen, submit):
    request = submit(citizen)
    client.force_login(officer)
    response = client.get(decide_url(request))
    assert response.status_code == 302 and response.url == page_url(request)
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED
