"""The passports department's side: inbox request types, officers' queue, the admin and its records."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from absher.models import AuditEvent
from accounts.models import AccountState
from civil_affairs import services as inbox
from civil_affairs.inbox import RequestNotAllowed, behaviour_for
from civil_affairs.models import Department, PersonDataAccess, RequestStatus, RequestType
from passports import services
from passports.models import AbscondingReport, Fee, Service, TravelRecord, Visa

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(world, today):
    receipt = services.service_order(service=Service.ABSCONDING_REPORT, actor=world.father, holder=world.worker,
                                     params={"last_seen_on": today.isoformat()}, submission_key=None)
    return receipt.absconding_report


@pytest.fixture
def officer(user_factory):
    user = user_factory(state=AccountState.ACTIVE, is_staff=True, mobile="+966500008888")
    user.groups.add(Group.objects.get(name="Passport officers"))
    return user


def submit_cancel(user, worker, *, today=None):
    return inbox.request_submit(
        applicant=user, request_type=RequestType.objects.get(code="absconding_report_cancel"),
        data={"worker_national_id": worker.national_id}, description="She came back to work.",
        submission_key=uuid.uuid4(), today=today,
    )


def test_seeded_reference_data():
    assert Fee.objects.get(code="passport_5y").amount == Decimal("300")
    assert Fee.objects.get(code="iqama_late_repeat").amount == Decimal("1000")
    assert Fee.objects.count() == 10
    types = RequestType.objects.filter(department=Department.PASSPORTS)
    assert set(types.values_list("code", flat=True)) == {"absconding_report_cancel", "passports_inquiry"}
    officers = Group.objects.get(name="Passport officers")
    codenames = set(officers.permissions.values_list("codename", flat=True))
    assert {"view_servicerequest", "change_servicerequest", "view_passport", "add_travelrecord"} <= codenames
    assert "change_fee" not in codenames
    assert "change_fee" in Group.objects.get(name="Passport supervisors").permissions.values_list("codename", flat=True)
    from passports.seed import seed_reference_data

    Fee.objects.filter(code="iqama_year").update(amount=Decimal("700"))
    seed_reference_data()  # again: nothing staff changed is overwritten
    assert Fee.objects.get(code="iqama_year").amount == Decimal("700") and Fee.objects.count() == 10


def test_the_sponsor_asks_the_department_to_cancel_a_report(world, report, officer, today, sms_outbox, committed):
    with committed():
        request = submit_cancel(world.father, world.worker)
    assert request.department == Department.PASSPORTS and request.reference.startswith("PS-")
    assert request.subject == world.worker
    summary = dict(behaviour_for("absconding_report_cancel").summary(request=request))
    assert report.reference in summary.values()
    with pytest.raises(RequestNotAllowed) as caught:
        submit_cancel(world.father, world.worker)
    assert caught.value.refusal.reasons == ("pending_request",)
    with committed():
        inbox.request_take(request=request, actor=officer)
        inbox.request_transition(request=request, to_status=RequestStatus.APPROVED, actor=officer)
    report.refresh_from_db()
    assert report.status == AbscondingReport.Status.CANCELLED and report.cancelled_by == officer
    from absher.notifications.models import Notice

    assert Notice.objects.filter(source="passports", user=world.father, kind="report", params__event="cancelled").exists()
    # The decision (the inbox's own SMS) and the cancelled report (ours), both to the sponsor.
    assert request.reference in sms_outbox[-1].body and report.reference in sms_outbox[-2].body
    assert {message.to for message in sms_outbox[-2:]} == {world.father.mobile}


def test_a_cancellation_request_after_15_days_is_refused(world, report, today):
    with pytest.raises(RequestNotAllowed) as caught:
        submit_cancel(world.father, world.worker, today=today + timedelta(days=16))
    assert caught.value.refusal.reasons == ("cancel_window_closed",)


def test_no_one_else_asks_about_someone_elses_report(world, report):
    with pytest.raises(RequestNotAllowed) as caught:
        submit_cancel(world.stranger, world.worker)
    assert caught.value.refusal.reasons == ("no_report",)


def test_approval_checks_the_window_again(world, report, officer, today):
    request = submit_cancel(world.father, world.worker)
    inbox.request_take(request=request, actor=officer)
    with pytest.raises(RequestNotAllowed):
        inbox.request_transition(request=request, to_status=RequestStatus.APPROVED, actor=officer,
                                 today=today + timedelta(days=16))
    report.refresh_from_db()
    assert report.status == AbscondingReport.Status.ACTIVE


def test_officers_see_the_passports_queue_and_act_in_it(client, world, report, officer, user_factory):
    from civil_affairs.models import ServiceRequest

    request = submit_cancel(world.father, world.worker)
    civil = user_factory(state=AccountState.ACTIVE, is_staff=True, mobile="+966500007777")
    civil.groups.add(Group.objects.get(name="Civil affairs officers"))
    queue = reverse("admin:civil_affairs_servicerequest_changelist")
    client.force_login(civil)
    assert request.reference not in client.get(queue).content.decode()
    client.force_login(officer)
    assert request.reference in client.get(queue).content.decode()
    client.post(queue, {"action": "take", "_selected_action": [request.pk]})
    client.post(queue, {"action": "approve", "_selected_action": [request.pk]})
    assert ServiceRequest.objects.get(pk=request.pk).status == RequestStatus.APPROVED
    report.refresh_from_db()
    assert report.status == AbscondingReport.Status.CANCELLED


def test_admin_pages_open_and_record_each_view_of_a_person(client, world, staff, passport_of, today, report):
    passport = passport_of(world.son, expires_on=today + timedelta(days=20))
    visa = services.visa_record(holder=world.worker, kind=Visa.Kind.SINGLE, issued_on=today, months=2, actor=staff)
    client.force_login(staff)
    for model in ("fee", "passport", "iqamarecord", "visa", "travelrecord", "travelpermit", "abscondingreport",
                  "sponsorship", "fine", "bill", "paymentnotification", "receipt", "expiryreminder"):
        assert client.get(reverse(f"admin:passports_{model}_changelist")).status_code == 200, model
    before = PersonDataAccess.objects.count()
    assert client.get(reverse("admin:passports_passport_change", args=[passport.pk])).status_code == 200
    assert client.get(reverse("admin:passports_visa_change", args=[visa.pk])).status_code == 200
    assert client.get(reverse("admin:passports_abscondingreport_change", args=[report.pk])).status_code == 200
    seen = list(PersonDataAccess.objects.order_by("id")[before:].values_list("person_id", flat=True))
    assert seen == [world.son.pk, world.worker.pk, world.worker.pk]


def test_staff_change_a_fee_and_it_is_audited(client, staff):
    fee = Fee.objects.get(code="iqama_year")
    client.force_login(staff)
    url = reverse("admin:passports_fee_change", args=[fee.pk])
    client.post(url, {"name_ar": fee.name_ar, "name_en": fee.name_en, "amount": "500.00", "source": "checked"})
    fee.refresh_from_db()
    assert fee.amount == Decimal("500")
    assert AuditEvent.objects.filter(action="fee_changed", details__fee="iqama_year").exists()


def test_a_crossing_added_in_the_admin_uses_the_visa(client, world, staff, today):
    visa = services.visa_record(holder=world.worker, kind=Visa.Kind.SINGLE, issued_on=today, months=2, actor=staff)
    client.force_login(staff)
    client.post(reverse("admin:passports_travelrecord_add"), {
        "holder": world.worker.pk, "direction": "exit", "port": "JED", "on": today.isoformat(), "passport_number": "",
    })
    record = TravelRecord.objects.get(holder=world.worker)
    visa.refresh_from_db()
    assert record.visa == visa and visa.status == Visa.Status.USED and visa.holder_abroad_on_it


def test_the_admin_action_cancels_a_report_in_time(client, staff, report):
    client.force_login(staff)
    url = reverse("admin:passports_abscondingreport_changelist")
    client.post(url, {"action": "cancel_reports", "_selected_action": [report.pk]})
    report.refresh_from_db()
    assert report.status == AbscondingReport.Status.CANCELLED


def test_a_citizen_never_reaches_the_passports_admin(client, world):
    client.force_login(world.father)
    assert client.get(reverse("admin:passports_passport_changelist")).status_code in (302, 404)
