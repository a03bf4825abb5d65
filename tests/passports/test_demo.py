"""load_demo_passports is idempotent, and every service works end to end on the demo data."""

import uuid
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User
from civil_affairs.demo import demo_people_by_key
from civil_affairs.models import Person
from passports import billing, selectors, services
from passports.demo import WORKERS
from passports.exceptions import ServiceRefused
from passports.models import (
    AbscondingReport,
    Bill,
    Fine,
    IqamaRecord,
    Passport,
    Receipt,
    Service,
    Sponsorship,
    TravelPermit,
    TravelRecord,
    Visa,
)
from passports.rules import absconding, iqama, passport, visas

pytestmark = pytest.mark.django_db


def counts():
    return {model.__name__: model.objects.count() for model in (Person, Passport, IqamaRecord, Sponsorship, Visa,
                                                                TravelRecord, TravelPermit, AbscondingReport, Fine)}


@pytest.fixture
def demo(today):
    call_command("load_demo_data", stdout=StringIO())
    out = StringIO()
    call_command("load_demo_passports", stdout=out)
    people = {key: Person.objects.get(national_id=p.national_id) for key, p in demo_people_by_key(today=today).items()}
    workers = {w.key: Person.objects.get(national_id=w.national_id) for w in WORKERS}
    return {"people": people, "workers": workers, "out": out.getvalue(),
            "parent": User.objects.get(username="DemoParent1"), "active": User.objects.get(username="DemoActive1")}


def order(user, holder, service, params):
    return services.service_order(service=service, actor=user, holder=holder, params=params, submission_key=uuid.uuid4())


def paid(user, bill):
    billing.bill_pay(bill=bill, payment_reference="SIM-DEMO", actor=user)
    return services.bill_fulfil(bill=bill, actor=user)


def reasons(call):
    with pytest.raises(ServiceRefused) as caught:
        call()
    return caught.value.decision.reasons


def test_loading_twice_changes_nothing(demo):
    before = counts()
    out = StringIO()
    call_command("load_demo_passports", stdout=out)
    assert counts() == before
    assert "created 0, updated 0, unchanged 6" in out.getvalue()
    assert "Siti Rahayu" in demo["out"]


def test_demo_documents_are_realistic(demo, today):
    people, workers = demo["people"], demo["workers"]
    yasser = selectors.valid_passport(people["account_active"])
    assert 0 < (yasser.expires_on - today).days <= 30  # expiring
    assert selectors.valid_passport(people["harbi_daughter_adult"]).expires_on < today  # expired
    assert workers["ramesh"].iqama_expiry < today and Fine.objects.filter(person=workers["ramesh"], paid_at=None).exists()
    assert selectors.is_abroad(workers["joy"])
    assert AbscondingReport.objects.get(worker=workers["nirmala"]).blocks_services
    sponsored = {a.person.pk for a in selectors.acting_people(demo["parent"], today=today) if a.relation == "worker"}
    assert sponsored == {workers["joy"].pk, workers["karim"].pk}


def test_every_service_works_on_the_demo_data(demo, today):
    people, workers, parent, active = demo["people"], demo["workers"], demo["parent"], demo["active"]

    # Passports: a dependent under 15 (family rules), an adult daughter under 21 (5 years only), a son without an ID card.
    omar = people["harbi_son_14y10m_tomorrow"]
    receipt = paid(parent, order(parent, omar, Service.PASSPORT, {"years": 5, "delivery": "post"}))
    assert receipt.passport.expires_on > today and receipt.amount == Decimal("300")
    reem = people["harbi_daughter_adult"]
    assert reasons(lambda: order(parent, reem, Service.PASSPORT, {"years": 10})) == (passport.TEN_YEARS_FROM_21,)
    assert paid(parent, order(parent, reem, Service.PASSPORT, {"years": 5})).passport.validity_years == 5
    assert reasons(lambda: order(parent, people["harbi_son_under_18"], Service.PASSPORT, {"years": 5})) == (
        passport.NEEDS_ID_CARD,)
    assert reasons(lambda: order(parent, parent.person, Service.PASSPORT, {"years": 10})) == (passport.TOO_EARLY,)
    assert order(active, active.person, Service.PASSPORT, {"years": 10}).amount == Decimal("600")

    # Travel permit for Omar, now that his passport is valid.
    permit = order(parent, omar, Service.TRAVEL_PERMIT, {"valid_until": (today + timedelta(days=60)).isoformat()})
    assert permit.travel_permit.status == TravelPermit.Status.ACTIVE

    # Exit/re-entry for Karim (in the Kingdom), cancelled unused; then an absence report stops his services.
    karim = workers["karim"]
    visa = paid(parent, order(parent, karim, Service.EXIT_REENTRY, {"kind": visas.SINGLE, "months": 2})).visa
    assert visa.status == Visa.Status.ISSUED
    order(parent, karim, Service.VISA_CANCELLATION, {"visa": visa.number})
    report = order(parent, karim, Service.ABSCONDING_REPORT, {"last_seen_on": today.isoformat()}).absconding_report
    assert report.status == AbscondingReport.Status.ACTIVE
    assert visas.REPORTED_ABSENT in reasons(lambda: order(parent, karim, Service.FINAL_EXIT, {}))

    # Joy is abroad on her visa: extended; she cannot be reported absent.
    joy = workers["joy"]
    joy_visa = Visa.objects.get(holder=joy)
    extended = paid(parent, order(parent, joy, Service.VISA_EXTENSION, {"visa": joy_visa.number, "months": 1}))
    assert extended.visa.extended_months == 1
    assert reasons(lambda: order(parent, joy, Service.ABSCONDING_REPORT, {"last_seen_on": today.isoformat()})) == (
        absconding.ABROAD_ON_VISA,)

    # DemoActive1's driver: the fine first, then the late renewal (SAR 650 + 500).
    ramesh = workers["ramesh"]
    assert iqama.UNPAID_FINES in reasons(lambda: order(active, ramesh, Service.IQAMA, {"years": 1}))
    fine = Fine.objects.get(person=ramesh)
    paid(active, order(active, ramesh, Service.FINE, {"fine": fine.reference}))
    late = paid(active, order(active, ramesh, Service.IQAMA, {"years": 1}))
    assert late.amount == Decimal("1150") and late.iqama_renewal.late
    # The housemaid's iqama (expiring in 25 days); then a final exit visa, free and immediate.
    siti = workers["siti"]
    assert paid(active, order(active, siti, Service.IQAMA, {"years": 1})).amount == Decimal("650")
    final = order(active, siti, Service.FINAL_EXIT, {})
    assert isinstance(final, Receipt) and final.visa.kind == Visa.Kind.FINAL_EXIT
    assert Bill.objects.filter(status=Bill.Status.USED).count() == 7


@pytest.mark.urls("tests.passports.urls")
def test_reminders_and_the_public_inquiry_on_the_demo_data(client, demo, today, sms_outbox, committed):
    from django.urls import reverse

    out = StringIO()
    sms_outbox.clear()
    with committed():
        call_command("send_expiry_reminders", stdout=out)
    assert out.getvalue().strip() == "expiry reminders sent: 2"
    assert [m.to for m in sms_outbox] == ["+966500000903", "+966500000903"]  # DemoActive1: his passport, Siti's iqama
    client.cookies["absher_language"] = "en"
    siti = demo["workers"]["siti"]
    url = reverse("passports:iqama-validity")
    response = client.post(url, {"iqama_number": siti.national_id, "captcha_0": "x", "captcha_1": "PASSED"})
    assert response.context["answer"]["valid"] is True
    ramesh = demo["workers"]["ramesh"]
    response = client.post(url, {"iqama_number": ramesh.national_id, "captcha_0": "x", "captcha_1": "PASSED"})
    assert response.context["answer"]["valid"] is False

