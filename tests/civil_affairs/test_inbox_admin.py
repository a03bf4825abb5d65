"""Staff queues in the admin: department scoping, actions through the services, audit of views."""

import pytest
from django.urls import reverse

from civil_affairs.models import PersonDataAccess, RequestStatus
from tests.civil_affairs.conftest import png_file

pytestmark = pytest.mark.django_db
CHANGELIST = "/staff/civil_affairs/servicerequest/"


@pytest.fixture
def auditor(staff_in):
    return staff_in("Auditors", "Auditor2026x")


def test_officer_sees_the_departments_queue_and_searches_by_reference_and_id(client, officer, citizen, submit):
    request = submit(citizen)
    client.force_login(officer)
    assert request.reference.encode() in client.get(CHANGELIST).content
    assert request.reference.encode() in client.get(CHANGELIST, {"q": request.reference}).content
    assert request.reference.encode() in client.get(CHANGELIST, {"q": citizen.national_id}).content
    assert request.reference.encode() in client.get(CHANGELIST, {"status__exact": "submitted", "age": "7"}).content


def test_officer_takes_asks_and_approves_through_the_actions(client, officer, citizen, submit):
    request = submit(citizen)
    client.force_login(officer)
    client.post(CHANGELIST, {"action": "take", "_selected_action": [request.pk]})
    request.refresh_from_db()
    assert request.status == RequestStatus.IN_REVIEW and request.assigned_to == officer
    asked = client.post(CHANGELIST, {"action": "ask_citizen", "_selected_action": [request.pk]})
    assert asked.status_code == 200  # the form for the message
    client.post(CHANGELIST, {"action": "ask_citizen", "_selected_action": [request.pk], "apply": "1", "body": "Send the record"})
    request.refresh_from_db()
    assert request.status == RequestStatus.WAITING_CITIZEN
    assert request.messages.get().from_staff


def test_reject_needs_a_reason_the_citizen_sees(client, officer, citizen, submit):
    request = submit(citizen)
    client.force_login(officer)
    client.post(CHANGELIST, {"action": "take", "_selected_action": [request.pk]})
    client.post(CHANGELIST, {"action": "reject", "_selected_action": [request.pk], "apply": "1", "reason": ""})
    request.refresh_from_db()
    assert request.status == RequestStatus.IN_REVIEW
    client.post(CHANGELIST, {"action": "reject", "_selected_action": [request.pk], "apply": "1", "reason": "The record is unreadable"})
    request.refresh_from_db()
    assert request.status == RequestStatus.REJECTED
    client.force_login(citizen)
    page = client.get(reverse("civil_affairs:request-detail", args=[request.reference]))
    assert b"The record is unreadable" in page.content


def test_an_action_outside_the_status_table_is_refused(client, officer, citizen, submit):
    request = submit(citizen)
    client.force_login(officer)
    client.post(CHANGELIST, {"action": "approve", "_selected_action": [request.pk]})
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED


def test_staff_message_from_the_admin(client, officer, citizen, submit):
    request = submit(citizen)
    client.force_login(officer)
    url = reverse("admin:civil_affairs_servicerequest_message", args=[request.pk])
    assert client.get(url).status_code == 200
    client.post(url, {"body": "We are looking at it"})
    assert request.messages.get().body == "We are looking at it"


def test_every_staff_view_is_recorded_and_downloads_too(client, officer, citizen, submit):
    request = submit(citizen, files=[png_file()])
    attachment = request.attachments.get()
    client.force_login(officer)
    client.get(reverse("admin:civil_affairs_servicerequest_change", args=[request.pk]))
    response = client.get(reverse("admin:civil_affairs_servicerequest_attachment", args=[request.pk, attachment.pk]))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment;")
    client.get(reverse("admin:civil_affairs_person_change", args=[citizen.person.pk]))
    seen = list(PersonDataAccess.objects.filter(staff=officer).values_list("what", flat=True))
    assert sorted(seen) == ["attachment", "registry_record", "request"]


def test_auditors_read_but_cannot_act(client, auditor, citizen, submit):
    request = submit(citizen)
    client.force_login(auditor)
    assert client.get(CHANGELIST).status_code == 200
    client.post(CHANGELIST, {"action": "take", "_selected_action": [request.pk]})
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED


def test_passport_queue_is_not_seen_by_civil_affairs(client, officer, citizen, submit):
    from civil_affairs.models import RequestType

    passports = RequestType.objects.create(code="passport_test", name_ar="ج", name_en="P", department="passports")
    request = submit(citizen, request_type=passports)
    client.force_login(officer)
    assert request.reference.encode() not in client.get(CHANGELIST).content
    url = reverse("admin:civil_affairs_servicerequest_change", args=[request.pk])
    assert client.get(url).status_code in (302, 404)


def test_queue_counts_at_most_its_cap(citizen, submit, monkeypatch):
    from civil_affairs.admin import CappedCountPaginator
    from civil_affairs.models import ServiceRequest

    for _ in range(4):
        submit(citizen)
    monkeypatch.setattr(CappedCountPaginator, "CAP", 2)
    assert CappedCountPaginator(ServiceRequest.objects.order_by("pk"), 100).count == 3
    monkeypatch.setattr(CappedCountPaginator, "CAP", 10)
    assert CappedCountPaginator(ServiceRequest.objects.order_by("pk"), 100).count == 4
