"""The passports services end to end (no HTTP): bills, documents, the registry, notices and SMS."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import translation

from absher.models import AuditEvent
from absher.notifications.models import Notice
from passports import billing, selectors, services
from passports.exceptions import BillAlreadyPaid, BillAlreadyUsed, BillNotPaid, BillRefunded, ServiceRefused
from passports.models import (
    AbscondingReport,
    Bill,
    ExpiryReminder,
    IqamaRenewal,
    Passport,
    Receipt,
    Service,
    TravelPermit,
    TravelRecord,
    Visa,
)
from passports.notifications import Kind
from passports.rules import absconding, add_years, fines, iqama, passport, travel_permit, visas

pytestmark = pytest.mark.django_db


def order(user, holder, service, params, *, today=None, key=None):
    return services.service_order(service=service, actor=user, holder=holder, params=params,
                                  submission_key=key or uuid.uuid4(), today=today)


def refused(call) -> tuple[str, ...]:
    with pytest.raises(ServiceRefused) as caught:
        call()
    return caught.value.decision.reasons


# --- passports -----------------------------------------------------------------------------


def test_a_parent_renews_a_childs_passport_after_paying(world, passport_of, pay, today, sms_outbox, committed):
    father = world.father
    father.preferred_language = "en"
    father.save(update_fields=["preferred_language"])
    old = passport_of(world.son, expires_on=today + timedelta(days=20))
    with committed():
        bill = order(father, world.son, Service.PASSPORT, {"years": 5, "delivery": "post", "office": ""})
    assert isinstance(bill, Bill) and bill.status == Bill.Status.UNPAID and bill.amount == Decimal("300")
    assert len(bill.number) == 12 and bill.number.isdigit()
    assert not Passport.objects.filter(holder=world.son).exclude(pk=old.pk).exists()  # nothing before payment

    receipt = pay(bill, father)
    old.refresh_from_db()
    new = receipt.passport
    assert old.status == Passport.Status.REPLACED
    assert new.status == Passport.Status.VALID and new.validity_years == 5 and new.delivery == "post"
    assert new.expires_on == add_years(today, 5)  # 29 February + 5 years: 28 February
    bill.refresh_from_db()
    assert bill.status == Bill.Status.USED and receipt.bill == bill and receipt.amount == Decimal("300")
    assert receipt.reference.startswith("PR-")
    assert AuditEvent.objects.filter(action="passport_issued", details__receipt=receipt.reference).exists()
    kinds = list(Notice.objects.filter(source="passports", user=father).order_by("id").values_list("kind", flat=True))
    assert kinds == [Kind.BILL, Kind.PAID, Kind.DOCUMENT]
    bodies = [message.body for message in sms_outbox]
    assert len(bodies) == 3 and all(message.to == father.mobile for message in sms_outbox)
    assert bill.number in bodies[0] and "300" in bodies[0]
    assert new.number in bodies[2] and "Omar Harbi" in bodies[2]


def test_the_same_submission_twice_makes_one_bill(world, passport_of, today):
    passport_of(world.son, expires_on=today + timedelta(days=20))
    key = uuid.uuid4()
    first = order(world.father, world.son, Service.PASSPORT, {"years": 5}, key=key)
    second = order(world.father, world.son, Service.PASSPORT, {"years": 5}, key=key)
    assert first.pk == second.pk and Bill.objects.count() == 1


def test_a_refusal_leaves_no_bill(world, passport_of, today):
    passport_of(world.son, expires_on=today + timedelta(days=400))
    assert refused(lambda: order(world.father, world.son, Service.PASSPORT, {"years": 5})) == (passport.TOO_EARLY,)
    assert refused(lambda: order(world.father, world.daughter, Service.PASSPORT, {"years": 5})) == (passport.NEEDS_ID_CARD,)
    assert not Bill.objects.exists()


# --- bills ---------------------------------------------------------------------------------


@pytest.fixture
def paid_bill(world, passport_of, today):
    passport_of(world.son, expires_on=today + timedelta(days=20))
    bill = order(world.father, world.son, Service.PASSPORT, {"years": 5})
    return billing.bill_pay(bill=bill, payment_reference="SIM-1", actor=world.father)


def test_a_bill_paid_twice_is_refused(paid_bill, world):
    with pytest.raises(BillAlreadyPaid) as caught:
        billing.bill_pay(bill=paid_bill, payment_reference="SIM-2", actor=world.father)
    with translation.override("en"):
        assert "cannot be paid twice" in caught.value.message()
    paid_bill.refresh_from_db()
    assert paid_bill.payment_reference == "SIM-1"


def test_a_refund_after_use_is_refused(paid_bill, world):
    receipt = services.bill_fulfil(bill=paid_bill, actor=world.father)
    with pytest.raises(BillAlreadyUsed) as caught:
        billing.bill_refund(bill=paid_bill, actor=world.father)
    with translation.override("en"):
        assert "cannot be refunded" in caught.value.message()
    # Completing it again gives the same receipt, never a second passport.
    assert services.bill_fulfil(bill=paid_bill, actor=world.father) == receipt
    assert Passport.objects.filter(holder=world.son, status=Passport.Status.VALID).count() == 1


def test_an_unused_paid_bill_is_refunded_once(paid_bill, world):
    refunded = billing.bill_refund(bill=paid_bill, actor=world.father)
    assert refunded.status == Bill.Status.REFUNDED and refunded.refund_reference.startswith("SIMREF-")
    with pytest.raises(BillRefunded):
        billing.bill_refund(bill=paid_bill, actor=world.father)
    with pytest.raises(BillRefunded):
        services.bill_fulfil(bill=paid_bill, actor=world.father)
    with pytest.raises(BillRefunded):
        billing.bill_pay(bill=paid_bill, payment_reference="again", actor=world.father)
    assert AuditEvent.objects.filter(action="passport_bill_refunded").count() == 1


def test_an_unpaid_bill_carries_out_nothing_and_cannot_be_refunded(world, passport_of, today):
    passport_of(world.son, expires_on=today + timedelta(days=20))
    bill = order(world.father, world.son, Service.PASSPORT, {"years": 5})
    with pytest.raises(BillNotPaid):
        services.bill_fulfil(bill=bill, actor=world.father)
    with pytest.raises(BillNotPaid):
        billing.bill_refund(bill=bill, actor=world.father)
    assert not Receipt.objects.exists()


def test_the_rule_is_asked_again_when_the_paid_bill_is_used(paid_bill, world, staff, sms_outbox, committed, today):
    services.fine_record(person=world.son, amount=Decimal("150"), reason_ar="مخالفة", reason_en="Violation",
                         issued_on=today, actor=staff)
    sent = len(sms_outbox)
    with committed(), pytest.raises(ServiceRefused) as caught:
        services.bill_fulfil(bill=paid_bill, actor=world.father)
    assert caught.value.decision.reasons == (passport.UNPAID_FINES,)
    paid_bill.refresh_from_db()
    assert paid_bill.status == Bill.Status.PAID  # still refundable
    assert len(sms_outbox) == sent  # no SMS for work that did not happen
    assert billing.bill_refund(bill=paid_bill, actor=world.father).status == Bill.Status.REFUNDED


def test_bill_numbers_carry_a_check_digit():
    from civil_affairs.identity import luhn_valid

    numbers = {billing.bill_number() for _ in range(200)}
    assert all(len(n) == 12 and n[0] != "0" and luhn_valid(n) for n in numbers)
    assert len(numbers) > 195


# --- fines ---------------------------------------------------------------------------------


def test_a_fine_is_paid_through_a_bill_and_then_no_longer_blocks(world, staff, pay, today):
    world.worker.iqama_expiry = today + timedelta(days=100)
    world.worker.save()
    fine = services.fine_record(person=world.worker, amount=Decimal("300"), reason_ar="مخالفة مرورية",
                                reason_en="Traffic violation", issued_on=today, actor=staff)
    assert refused(lambda: order(world.father, world.worker, Service.IQAMA, {"years": 1})) == (iqama.UNPAID_FINES,)
    bill = order(world.father, world.worker, Service.FINE, {"fine": fine.reference})
    assert bill.amount == Decimal("300") and [(line["code"], Decimal(line["amount"])) for line in bill.lines] == [("fine", Decimal("300"))]
    pay(bill, world.father)
    fine.refresh_from_db()
    assert fine.paid_at is not None
    assert refused(lambda: order(world.father, world.worker, Service.FINE, {"fine": fine.reference})) == (fines.FINE_PAID,)
    assert isinstance(order(world.father, world.worker, Service.IQAMA, {"years": 1}), Bill)


# --- iqamas --------------------------------------------------------------------------------


def test_iqama_renewal_extends_the_registry_expiry(world, pay, today):
    world.worker.iqama_expiry = today + timedelta(days=20)
    world.worker.save()
    bill = order(world.father, world.worker, Service.IQAMA, {"years": 2})
    assert bill.amount == Decimal("1300")
    receipt = pay(bill, world.father)
    world.worker.refresh_from_db()
    # Renewed before it expired: two years from the current expiry (clamped at a month's end).
    assert world.worker.iqama_expiry == receipt.iqama_renewal.new_expiry == add_years(today + timedelta(days=20), 2)
    renewal = receipt.iqama_renewal
    assert renewal.previous_expiry == today + timedelta(days=20) and not renewal.late and renewal.amount == Decimal("1300")
    assert AuditEvent.objects.filter(action="iqama_expiry_changed", subject_label=world.worker.national_id).exists()


def test_late_renewals_cost_500_then_1000(world, pay, today):
    for expected_fee in (Decimal("1150"), Decimal("1650")):
        world.worker.refresh_from_db()
        world.worker.iqama_expiry = today - timedelta(days=10)
        world.worker.save()
        bill = order(world.father, world.worker, Service.IQAMA, {"years": 1})
        assert bill.amount == expected_fee
        pay(bill, world.father)
    assert list(IqamaRenewal.objects.values_list("late", flat=True)) == [True, True]


def test_first_iqama_issue_for_a_residents_child(world, pay, staff, fingerprint, today):
    from passports.models import IqamaRecord

    child = world.resident_child
    assert refused(lambda: order(world.resident, child, Service.IQAMA, {"years": 1})) == (
        iqama.NO_VALID_PASSPORT, iqama.NEEDS_FINGERPRINT)
    services.passport_record(holder=child, number="E7654321", country="EG", issued_on=today - timedelta(days=30),
                             expires_on=today + timedelta(days=1800), actor=staff)
    fingerprint(child)
    receipt = pay(order(world.resident, child, Service.IQAMA, {"years": 1}), world.resident)
    record = IqamaRecord.objects.get(holder=child)
    assert record.sponsor == world.resident.person and record.occupation_en == "Family member"
    assert receipt.iqama_renewal.previous_expiry is None
    child.refresh_from_db()
    assert child.iqama_expiry == receipt.iqama_renewal.new_expiry


def test_a_resident_cannot_renew_their_own_iqama(world):
    assert iqama.SPONSOR_MUST_APPLY in refused(lambda: order(world.resident, world.resident.person, Service.IQAMA,
                                                             {"years": 1}))


# --- visas ---------------------------------------------------------------------------------


def test_exit_reentry_life_cycle(world, pay, staff, today):
    bill = order(world.father, world.worker, Service.EXIT_REENTRY, {"kind": visas.SINGLE, "months": 3})
    assert bill.amount == Decimal("300")
    visa = pay(bill, world.father).visa
    assert visa.status == Visa.Status.ISSUED and visa.travel_by == today + timedelta(days=90)
    # A second visa while this one is open is refused.
    assert refused(lambda: order(world.father, world.worker, Service.EXIT_REENTRY, {"kind": visas.SINGLE, "months": 1})) == (
        visas.VISA_OPEN,)
    services.crossing_record(holder=world.worker, direction="exit", port="RUH", on=today, actor=staff)
    visa.refresh_from_db()
    assert visa.status == Visa.Status.USED and visa.holder_abroad_on_it
    assert visa.return_by == visas.return_by_for(months=3, exit_on=today)
    # A used visa cannot be cancelled: refused with a message.
    with pytest.raises(ServiceRefused) as caught:
        order(world.father, world.worker, Service.VISA_CANCELLATION, {"visa": visa.number})
    assert caught.value.decision.reasons == (visas.VISA_USED,)
    with translation.override("en"):
        assert "cannot be cancelled" in caught.value.message()
    # Extended while abroad.
    extension = order(world.father, world.worker, Service.VISA_EXTENSION, {"visa": visa.number, "months": 2})
    assert extension.amount == Decimal("200")
    pay(extension, world.father)
    visa.refresh_from_db()
    assert visa.extended_months == 2
    # The duration counts from the day of travel: 3 + 2 months from it, clamped once at a month's end.
    assert visa.return_by == visas.return_by_for(months=5, exit_on=today)
    services.crossing_record(holder=world.worker, direction="entry", port="RUH", on=today + timedelta(days=3), actor=staff)
    visa.refresh_from_db()
    assert not visa.holder_abroad_on_it and visa.status_on(today + timedelta(days=3)) == Visa.Status.USED
    assert TravelRecord.objects.filter(holder=world.worker, visa=visa).count() == 2


def test_an_unused_visa_is_cancelled_and_its_fee_kept(world, pay, sms_outbox, committed):
    bill = order(world.father, world.worker, Service.EXIT_REENTRY, {"kind": visas.MULTIPLE, "months": 4})
    assert bill.amount == Decimal("700")
    visa = pay(bill, world.father).visa
    with committed():
        receipt = order(world.father, world.worker, Service.VISA_CANCELLATION, {"visa": visa.number})
    assert isinstance(receipt, Receipt) and receipt.amount == 0 and receipt.bill is None
    visa.refresh_from_db()
    assert visa.status == Visa.Status.CANCELLED
    with pytest.raises(BillAlreadyUsed):
        billing.bill_refund(bill=bill, actor=world.father)
    assert Notice.objects.filter(source="passports", kind=Kind.CANCELLED).count() == 1
    assert visa.number in sms_outbox[-1].body
    assert refused(lambda: order(world.father, world.worker, Service.VISA_CANCELLATION, {"visa": visa.number})) == (
        visas.VISA_CANCELLED,)


def test_final_exit_is_free_and_closes_the_other_services(world, today):
    receipt = order(world.father, world.worker, Service.FINAL_EXIT, {})
    assert isinstance(receipt, Receipt) and receipt.visa.kind == Visa.Kind.FINAL_EXIT
    assert receipt.visa.travel_by == today + timedelta(days=60)
    assert refused(lambda: order(world.father, world.worker, Service.EXIT_REENTRY, {"kind": visas.SINGLE, "months": 2})) == (
        visas.VISA_OPEN,)
    assert refused(lambda: order(world.father, world.worker, Service.ABSCONDING_REPORT,
                                 {"last_seen_on": today.isoformat()})) == (absconding.FINAL_EXIT_ISSUED,)


# --- travel permits ------------------------------------------------------------------------


def test_travel_permit_for_a_child(world, passport_of, today):
    passport_of(world.son, expires_on=today + timedelta(days=1000))
    until = (today + timedelta(days=60)).isoformat()
    receipt = order(world.father, world.son, Service.TRAVEL_PERMIT, {"valid_until": until, "destination": "all"})
    permit = receipt.travel_permit
    assert permit.status == TravelPermit.Status.ACTIVE and permit.granted_by == world.father.person
    assert refused(lambda: order(world.father, world.son, Service.TRAVEL_PERMIT, {"valid_until": until})) == (
        travel_permit.PERMIT_ACTIVE,)
    order(world.father, world.son, Service.TRAVEL_PERMIT_CANCELLATION, {"permit": permit.number})
    permit.refresh_from_db()
    assert permit.status == TravelPermit.Status.CANCELLED
    assert isinstance(order(world.father, world.son, Service.TRAVEL_PERMIT, {"valid_until": until}), Receipt)


def test_no_one_acts_for_an_adult_child_or_anothers_family(world):
    for holder in (world.adult_son, world.stranger_child, world.stranger_worker):
        assert refused(lambda holder=holder: order(world.father, holder, Service.PASSPORT, {"years": 5})) == (
            services.NOT_ACTING,)


# --- absence reports -----------------------------------------------------------------------


def test_absence_report_stops_the_workers_services_and_is_cancelled_in_time(world, staff, today, sms_outbox, committed):
    with committed():
        receipt = order(world.father, world.worker, Service.ABSCONDING_REPORT,
                        {"last_seen_on": (today - timedelta(days=2)).isoformat()})
    report = receipt.absconding_report
    assert report.status == AbscondingReport.Status.ACTIVE and report.reference.startswith("AB-")
    assert report.cancellable_until.isoformat().replace("-", "") != ""
    assert report.reference in sms_outbox[-1].body
    for service, params, reason in (
        (Service.IQAMA, {"years": 1}, iqama.REPORTED_ABSENT),
        (Service.EXIT_REENTRY, {"kind": visas.SINGLE, "months": 2}, visas.REPORTED_ABSENT),
        (Service.FINAL_EXIT, {}, visas.REPORTED_ABSENT),
    ):
        assert reason in refused(lambda service=service, params=params: order(world.father, world.worker, service, params))
    assert refused(lambda: order(world.father, world.worker, Service.ABSCONDING_REPORT,
                                 {"last_seen_on": today.isoformat()})) == (absconding.ALREADY_REPORTED,)
    # After 15 days it can no longer be cancelled; within them an officer cancels it.
    with pytest.raises(ServiceRefused):
        services.absconding_report_cancel(report=report, actor=staff, today=today + timedelta(days=16))
    services.absconding_report_cancel(report=report, actor=staff, today=today + timedelta(days=15))
    report.refresh_from_db()
    assert report.status == AbscondingReport.Status.CANCELLED and report.cancelled_by == staff
    assert isinstance(order(world.father, world.worker, Service.EXIT_REENTRY, {"kind": visas.SINGLE, "months": 2}), Bill)
    # Once per worker, even after a cancellation.
    assert refused(lambda: order(world.father, world.worker, Service.ABSCONDING_REPORT,
                                 {"last_seen_on": today.isoformat()})) == (absconding.ALREADY_REPORTED,)


def test_no_absence_report_while_abroad_on_a_valid_visa(world, pay, staff, today):
    visa = pay(order(world.father, world.worker, Service.EXIT_REENTRY, {"kind": visas.SINGLE, "months": 2}), world.father).visa
    services.crossing_record(holder=world.worker, direction="exit", port="JED", on=today, actor=staff)
    assert refused(lambda: order(world.father, world.worker, Service.ABSCONDING_REPORT,
                                 {"last_seen_on": today.isoformat()})) == (absconding.ABROAD_ON_VISA,)
    visa.refresh_from_db()
    assert visa.holder_abroad_on_it


# --- who may act, and reminders ------------------------------------------------------------


def test_acting_people(world, today):
    father = {acting.person.pk: acting.relation for acting in selectors.acting_people(world.father, today=today)}
    assert father == {world.father.person.pk: "self", world.son.pk: "child", world.daughter.pk: "child",
                      world.worker.pk: "worker"}
    resident = {acting.person.pk: acting.relation for acting in selectors.acting_people(world.resident, today=today)}
    assert resident == {world.resident.person.pk: "self", world.resident_child.pk: "child"}


def test_a_transferred_worker_is_no_longer_the_old_sponsors(world, staff, today):
    services.sponsorship_start(sponsor=world.stranger.person, worker=world.worker, occupation_ar="سائق",
                               occupation_en="Driver", started_on=today, actor=staff)
    assert selectors.acting_person(world.father, world.worker.national_id, today=today) is None
    assert selectors.acting_person(world.stranger, world.worker.national_id, today=today).relation == "worker"


def test_expiry_reminders_reach_whoever_acts_for_the_person_once(world, passport_of, today, sms_outbox, committed):
    passport_of(world.son, expires_on=today + timedelta(days=30))
    passport_of(world.daughter, expires_on=today + timedelta(days=45))  # outside the 30 days
    passport_of(world.father.person, expires_on=today)  # its last day
    world.worker.iqama_expiry = today + timedelta(days=10)
    world.worker.save()
    with committed():
        sent = services.expiry_reminders_send(today=today)
    assert sent == 4
    assert ExpiryReminder.objects.filter(user=world.father).count() == 3
    assert ExpiryReminder.objects.filter(user=world.resident).count() == 1  # their child's iqama (20 days)
    assert len(sms_outbox) == 4
    with committed():
        assert services.expiry_reminders_send(today=today) == 0
        assert services.expiry_reminders_send(today=today + timedelta(days=1)) == 0
    assert len(sms_outbox) == 4
    assert not ExpiryReminder.objects.filter(user=world.stranger).exists()


def test_reminder_command_is_idempotent(world, passport_of, today):
    from io import StringIO

    from django.core.management import call_command

    passport_of(world.son, expires_on=today + timedelta(days=5))
    out = StringIO()
    call_command("send_expiry_reminders", "--today", today.isoformat(), stdout=out)
    call_command("send_expiry_reminders", "--today", today.isoformat(), stdout=out)
    assert out.getvalue().splitlines() == ["expiry reminders sent: 2", "expiry reminders sent: 0"]
