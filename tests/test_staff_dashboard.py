# ruff: noqa: F811  (the civil affairs fixtures are imported by name and requested as arguments)
"""The supervisors' dashboard (absher/staff_dashboard.py): open requests by department and status,
the oldest, those past the target time, decisions per day; for supervisors only; bounded queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from absher import staff_dashboard
from accounts.models import AccountState
from civil_affairs.models import RequestEvent, RequestStatus, RequestType, ServiceRequest
from tests.civil_affairs.conftest import citizen, inquiry_type, officer, staff_in, submit  # noqa: F401

pytestmark = pytest.mark.django_db
URL = "/staff/dashboard/"


@pytest.fixture
def supervisor(staff_in):
    return staff_in("Civil affairs supervisors", "Supervisor2026x")


def age(request, days: float):
    ServiceRequest.objects.filter(pk=request.pk).update(created_at=timezone.now() - timedelta(days=days))


def test_supervisors_see_it_officers_auditors_and_citizens_do_not(client, supervisor, officer, staff_in, citizen):
    assert reverse("admin:staff_dashboard") == URL
    client.force_login(supervisor)
    assert client.get(URL).status_code == 200
    assert URL.encode() in client.get("/staff/").content  # the link in the admin's header
    client.force_login(officer)
    assert client.get(URL).status_code == 403
    assert URL.encode() not in client.get("/staff/").content
    client.force_login(staff_in("Auditors", "Auditor2026x"))
    assert client.get(URL).status_code == 403
    client.force_login(citizen)
    assert client.get(URL, follow=True).status_code == 404


def test_open_requests_by_department_and_status_with_the_oldest_and_the_late(client, supervisor, citizen, submit, settings):
    from civil_affairs import services

    settings.STAFF_REQUEST_TARGET_DAYS = 5
    fresh, late, waiting = submit(citizen), submit(citizen), submit(citizen)
    services.request_take(request=waiting, actor=supervisor)
    age(late, 6)
    age(waiting, 10)
    passports = RequestType.objects.create(code="passport_test", name_ar="ج", name_en="P", department="passports")
    other = submit(citizen, request_type=passports)
    age(other, 40)
    rows = staff_dashboard.open_rows(staff_dashboard.supervised_departments(supervisor), now=timezone.now())
    assert [(r.department, r.status, r.count, r.late) for r in rows] == [
        ("civil_affairs", "submitted", 2, 1), ("civil_affairs", "in_review", 1, 1)]
    assert rows[0].oldest == ServiceRequest.objects.get(pk=late.pk).created_at
    everything = staff_dashboard.open_rows(None, now=timezone.now())
    assert sum(r.count for r in everything) == 4 and sum(r.late for r in everything) == 3
    client.cookies["absher_language"] = "en"
    client.force_login(supervisor)
    text = client.get(URL).content.decode()
    assert "past the target of 5 days" in text and "1\xa0week" in text  # the oldest: 10 days
    assert fresh.reference not in text  # numbers, not rows
    link = "/staff/civil_affairs/servicerequest/?queue=all&amp;department__exact=civil_affairs&amp;status__exact=in_review"
    assert link in text
    queue = client.get(link.replace("&amp;", "&"))
    assert queue.status_code == 200 and waiting.reference in queue.content.decode()
    assert late.reference not in queue.content.decode()


def test_a_target_per_type(citizen, submit, settings):
    settings.STAFF_REQUEST_TARGET_DAYS = {"default": 10, "general_inquiry": 2}
    inquiry = submit(citizen)
    newborn = submit(citizen, request_type=RequestType.objects.get(code="register_newborn"),
                     data={"child_name_ar": "س", "child_name_en": "S", "child_sex": "F", "child_birth_date": "2026-01-05"})
    age(inquiry, 3)
    age(newborn, 3)
    rows = staff_dashboard.open_rows(None, now=timezone.now())
    assert [(r.count, r.late) for r in rows] == [(2, 1)]
    assert staff_dashboard.target_days() == {"default": 10, "general_inquiry": 2}


def test_decisions_per_day_over_thirty_local_days(supervisor, citizen, submit, today):
    from civil_affairs import services

    requests = [submit(citizen) for _ in range(4)]
    for request in requests:
        services.request_take(request=request, actor=supervisor)
    services.request_transition(request=requests[0], to_status=RequestStatus.APPROVED, actor=supervisor)
    services.request_transition(request=requests[1], to_status=RequestStatus.REJECTED, actor=supervisor, note="no")
    services.request_transition(request=requests[2], to_status=RequestStatus.APPROVED, actor=supervisor)
    services.request_withdraw(request=requests[3], applicant=citizen)  # the citizen's, not a decision
    # one approval 29 local days ago (the first day shown), one 30 days ago (not shown)
    RequestEvent.objects.filter(request=requests[2], to_status="approved").update(at=timezone.now() - timedelta(days=29))
    old = RequestEvent.objects.create(request=requests[0], from_status="in_review", to_status="approved", actor=supervisor)
    RequestEvent.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=31))
    data = staff_dashboard.decisions_by_day(None, today=today)
    assert len(data["days"]) == 30 and data["days"][-1] == today.isoformat()
    by_status = {item["status"]: item["values"] for item in data["series"]}
    assert set(by_status) == {"approved", "rejected"}
    assert by_status["approved"][-1] == 1 and by_status["rejected"][-1] == 1
    assert by_status["approved"][0] == 1 and sum(by_status["approved"]) == 2
    assert data["total"] == 3


def test_the_chart_is_a_vendored_same_origin_script_with_its_licence(client, supervisor):
    from django.conf import settings
    from django.contrib.staticfiles import finders

    client.force_login(supervisor)
    text = client.get(URL).content.decode()
    assert "vendor/uplot/uPlot.iife.min.js" in text and "js/staff-dashboard.js" in text
    assert 'id="staff-decisions-data" type="application/json"' in text
    assert "<script>" not in text and "http" not in "".join(
        part.split('"')[0] for part in text.split('src="')[1:])  # no inline script, nothing from another origin
    assert finders.find("vendor/uplot/LICENSE") and finders.find("vendor/uplot/uPlot.iife.min.js")
    assert settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["script-src"] == ["'self'"]


def test_the_dashboard_reads_in_a_fixed_number_of_queries(client, supervisor, citizen, submit, user_factory):
    from civil_affairs import services

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL).status_code == 200
        return len(queries)

    client.force_login(supervisor)
    client.get(URL)
    few = count()
    for n in range(6):
        applicant = user_factory(state=AccountState.ACTIVE)
        request = submit(applicant)
        services.request_take(request=request, actor=supervisor)
        if n % 2:
            services.request_transition(request=request, to_status=RequestStatus.APPROVED, actor=supervisor)
    assert count() == few <= 8
