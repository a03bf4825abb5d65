"""The passports pages through the test client: forms, refusals, payment, receipts, the public
inquiry, both languages, and the SQL queries each page costs."""

import re
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from civil_affairs.templatetags.calendars import dual_date
from passports import billing, services
from passports.models import Bill, Passport, Receipt, Service, TravelRecord, Visa

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.passports.urls")]
#: ../shared/QUALITY.md: every page, those that ask the rules before any form (a person's page asks
#: them for each of the person's services) included: the facts the rules read are read once for the
#: page, with the person and the documents it lists (passports.selectors.HolderFacts).
MAX_QUERIES = 8


def signed_in(client, user, language="en"):
    client.force_login(user)
    client.cookies["absher_language"] = language
    client.get(reverse("passports:home"))  # the session's first touch is not the page's cost
    return client


def form_key(response):
    return str(response.context["form"].initial["submission_key"])


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


# --- the service pages ----------------------------------------------------------------------


@pytest.mark.parametrize("language", ["ar", "en"])
def test_pages_in_both_languages(client, world, passport_of, today, language):
    passport_of(world.son, expires_on=today + timedelta(days=20))
    signed_in(client, world.father, language)
    for name, args in [
        ("passports:home", []), ("passports:person-detail", [world.son.national_id]),
        ("passports:person-detail", [world.worker.national_id]), ("passports:passport-apply", [world.son.national_id]),
        ("passports:iqama-apply", [world.worker.national_id]), ("passports:exit-reentry-apply", [world.worker.national_id]),
        ("passports:final-exit-apply", [world.worker.national_id]),
        ("passports:travel-permit-apply", [world.son.national_id]),
        ("passports:absconding-report", [world.worker.national_id]), ("passports:travel-record", []),
        ("passports:visa-inquiry", []), ("passports:iqama-validity", []),
    ]:
        response = client.get(reverse(name, args=args))
        assert response.status_code == 200, name
        html = response.content.decode()
        assert f'<html lang="{language}" dir="{"rtl" if language == "ar" else "ltr"}">' in html, name


def test_renew_a_dependents_passport_with_payment(client, world, passport_of, today, committed, sms_outbox):
    old = passport_of(world.son, expires_on=today - timedelta(days=3))
    signed_in(client, world.father)
    url = reverse("passports:passport-apply", args=[world.son.national_id])
    page = client.get(url)
    assert "300" in page.content.decode() and "600" in page.content.decode()
    with committed():
        response = client.post(url, {"years": "5", "delivery": "collection", "office": "riyadh",
                                     "submission_key": form_key(page)})
    bill = Bill.objects.get()
    assert response.url == reverse("passports:bill-detail", args=[bill.number])
    detail = client.get(response.url).content.decode()
    assert bill.number in detail and "300" in detail
    gateway = client.post(reverse("passports:bill-pay", args=[bill.number]))
    assert gateway.url == reverse("passports:payment-simulated", args=[bill.number])
    assert client.get(gateway.url).status_code == 200
    with committed():
        done = client.post(gateway.url, {"outcome": "pay"}, follow=True)
    receipt = Receipt.objects.get()
    assert done.redirect_chain[-1][0] == reverse("passports:receipt-detail", args=[receipt.reference])
    html = done.content.decode()
    assert receipt.passport.number in html and escape(dual_date(receipt.passport.expires_on)) in html
    assert receipt.reference in messages_of(done)[0]
    old.refresh_from_db()
    assert old.status == Passport.Status.REPLACED and receipt.passport.office == "riyadh"
    # Coming back from the gateway again (a reload) shows the same receipt and does nothing twice.
    again = client.get(reverse("passports:payment-return", args=[bill.number]), follow=True)
    assert again.redirect_chain[-1][0] == reverse("passports:receipt-detail", args=[receipt.reference])
    assert Receipt.objects.count() == 1
    # A bill paid twice: refused with a message.
    twice = client.post(reverse("passports:bill-pay", args=[bill.number]), follow=True)
    assert messages_of(twice) == ["This bill is already paid: it cannot be paid twice."]
    # A refund after use: refused with a message.
    refund = client.post(reverse("passports:bill-refund", args=[bill.number]), follow=True)
    assert messages_of(refund) == ["This bill paid for a service that was carried out: it cannot be refunded."]
    assert Passport.objects.filter(holder=world.son, status=Passport.Status.VALID).count() == 1


def test_a_declined_payment_leaves_the_bill_unpaid(client, world, passport_of, today):
    passport_of(world.son, expires_on=today + timedelta(days=10))
    signed_in(client, world.father)
    bill = services.service_order(service=Service.PASSPORT, actor=world.father, holder=world.son, params={"years": 5},
                                  submission_key=uuid.uuid4())
    response = client.post(reverse("passports:payment-simulated", args=[bill.number]), {"outcome": "decline"}, follow=True)
    assert messages_of(response) == ["The payment was declined. The bill is still waiting for payment."]
    bill.refresh_from_db()
    assert bill.status == Bill.Status.UNPAID and not Receipt.objects.exists()


def test_an_unused_paid_bill_is_refunded_from_its_page(client, world, passport_of, today,
                                                     django_capture_on_commit_callbacks):
    passport_of(world.son, expires_on=today + timedelta(days=10))
    bill = services.service_order(service=Service.PASSPORT, actor=world.father, holder=world.son, params={"years": 5},
                                  submission_key=uuid.uuid4())
    billing.bill_pay(bill=bill, payment_reference="SIM", actor=world.father)
    signed_in(client, world.father)
    page = client.get(reverse("passports:bill-detail", args=[bill.number])).content.decode()
    assert reverse("passports:bill-refund", args=[bill.number]) in page
    with django_capture_on_commit_callbacks() as enqueued:
        response = client.post(reverse("passports:bill-refund", args=[bill.number]), follow=True)
    # The page asked for it and answered; the gateway is a task's business, after the commit.
    assert messages_of(response) == [
        "The refund was asked for. The payment service has not answered yet: the refund completes on its own."]
    bill.refresh_from_db()
    assert bill.status == Bill.Status.REFUND_PENDING and not bill.refund_reference
    assert len(enqueued) == 1
    enqueued[0]()
    bill.refresh_from_db()
    assert bill.status == Bill.Status.REFUNDED and bill.refund_reference.startswith("SIMREF-")


def test_a_bill_with_a_refund_under_way_stays_on_the_passports_page(client, world, passport_of, today):
    passport_of(world.son, expires_on=today + timedelta(days=10))
    bill = services.service_order(service=Service.PASSPORT, actor=world.father, holder=world.son, params={"years": 5},
                                  submission_key=uuid.uuid4())
    billing.bill_pay(bill=bill, payment_reference="SIM", actor=world.father)
    billing.bill_refund_start(bill=bill, actor=world.father)  # the gateway has not answered yet
    signed_in(client, world.father)
    assert [b.number for b in client.get(reverse("passports:home")).context["bills"]] == [bill.number]


def test_a_refusal_is_a_page_that_says_why(client, world, passport_of, today):
    passport_of(world.son, expires_on=today + timedelta(days=100))  # the renewal window is open
    signed_in(client, world.father)
    url = reverse("passports:passport-apply", args=[world.son.national_id])
    response = client.post(url, {"years": "10", "delivery": "post", "submission_key": form_key(client.get(url))})
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "passports/refusal.html"
    html = response.content.decode()
    assert "Under 21, a passport is issued for 5 years only." in html
    assert "It is too early" not in html
    assert not Bill.objects.exists()


def test_what_refuses_whatever_the_answers_comes_before_the_form(client, world, passport_of, today):
    # Issue 11: too early to renew whatever validity is chosen: said before the form, which is not shown.
    passport_of(world.son, expires_on=today + timedelta(days=400))
    signed_in(client, world.father)
    url = reverse("passports:passport-apply", args=[world.son.national_id])
    page = client.get(url)
    assert [t.name for t in page.templates][0] == "passports/refusal.html"
    assert "form" not in page.context
    assert "It is too early: you can apply from" in page.content.decode()
    posted = client.post(url, {"years": "5", "delivery": "post", "submission_key": str(uuid.uuid4())})
    assert [t.name for t in posted.templates][0] == "passports/refusal.html"
    assert not Bill.objects.exists()


def test_form_errors_keep_what_was_typed(client, world):
    signed_in(client, world.father)
    url = reverse("passports:passport-apply", args=[world.son.national_id])
    response = client.post(url, {"years": "5", "delivery": "collection", "office": "", "submission_key": str(uuid.uuid4())})
    assert response.status_code == 200
    assert response.context["form"].errors.as_data()["office"][0].code == "office_required"
    assert 'class="alert alert-danger error-summary"' in response.content.decode()


def test_issue_an_exit_reentry_visa_for_a_worker_then_cancel_it(client, world, committed):
    signed_in(client, world.father)
    url = reverse("passports:exit-reentry-apply", args=[world.worker.national_id])
    response = client.post(url, {"kind": "exit_reentry_multiple", "months": "4", "submission_key": form_key(client.get(url))})
    bill = Bill.objects.get()
    assert bill.amount == Decimal("700")
    with committed():
        client.post(reverse("passports:payment-simulated", args=[bill.number]), {"outcome": "pay"})
    visa = Visa.objects.get(holder=world.worker)
    detail = client.get(reverse("passports:visa-detail", args=[visa.number])).content.decode()
    assert reverse("passports:visa-cancel", args=[visa.number]) in detail
    response = client.post(reverse("passports:visa-cancel", args=[visa.number]), follow=True)
    visa.refresh_from_db()
    assert visa.status == Visa.Status.CANCELLED
    assert "Done." in messages_of(response)[0]


def test_a_visa_cancelled_after_use_is_refused_with_a_message(client, world, staff, today):
    visa = services.visa_record(holder=world.worker, kind=Visa.Kind.SINGLE, issued_on=today, months=2, actor=staff)
    services.crossing_record(holder=world.worker, direction="exit", port="RUH", on=today, actor=staff)
    signed_in(client, world.father)
    response = client.post(reverse("passports:visa-cancel", args=[visa.number]))
    assert response.status_code == 200
    assert "This visa was used for travel: a used visa cannot be cancelled." in response.content.decode()
    visa.refresh_from_db()
    assert visa.status == Visa.Status.USED


def test_extend_a_visa_while_abroad(client, world, staff, today, committed):
    visa = services.visa_record(holder=world.worker, kind=Visa.Kind.SINGLE, issued_on=today - timedelta(days=20), months=2,
                                actor=staff)
    services.crossing_record(holder=world.worker, direction="exit", port="RUH", on=today - timedelta(days=10), actor=staff)
    signed_in(client, world.father)
    detail = client.get(reverse("passports:visa-detail", args=[visa.number])).content.decode()
    assert reverse("passports:visa-extend", args=[visa.number]) in detail
    url = reverse("passports:visa-extend", args=[visa.number])
    client.post(url, {"months": "1", "submission_key": form_key(client.get(url))})
    bill = Bill.objects.get()
    assert bill.amount == Decimal("100") and bill.service == Service.VISA_EXTENSION
    with committed():
        client.post(reverse("passports:payment-simulated", args=[bill.number]), {"outcome": "pay"})
    visa.refresh_from_db()
    assert visa.extended_months == 1


def test_final_exit_travel_permit_and_absence_report_pages(client, world, passport_of, today):
    passport_of(world.son, expires_on=today + timedelta(days=900))
    signed_in(client, world.father)
    url = reverse("passports:travel-permit-apply", args=[world.son.national_id])
    response = client.post(url, {"destination": "gcc", "valid_until": (today + timedelta(days=40)).isoformat(),
                                 "submission_key": form_key(client.get(url))})
    receipt = Receipt.objects.get(service=Service.TRAVEL_PERMIT)
    assert response.url == reverse("passports:receipt-detail", args=[receipt.reference])
    permit = receipt.travel_permit
    client.post(reverse("passports:travel-permit-cancel", args=[permit.number]))
    permit.refresh_from_db()
    assert permit.status == "cancelled"

    url = reverse("passports:absconding-report", args=[world.worker.national_id])
    response = client.post(url, {"last_seen_on": (today + timedelta(days=1)).isoformat(), "confirm": "on",
                                 "submission_key": form_key(client.get(url))})
    assert response.context["form"].errors.as_data()["last_seen_on"][0].code == "future"
    client.post(url, {"last_seen_on": today.isoformat(), "confirm": "on", "submission_key": str(uuid.uuid4())})
    assert Receipt.objects.filter(service=Service.ABSCONDING_REPORT).exists()
    page = client.get(reverse("passports:person-detail", args=[world.worker.national_id])).content.decode()
    assert "The worker's iqama, visa and final exit services are stopped." in page

    url = reverse("passports:final-exit-apply", args=[world.worker.national_id])
    response = client.post(url, {"confirm": "on", "submission_key": str(uuid.uuid4())})
    assert "The person is reported absent from work" in response.content.decode()


def test_pay_a_fine_from_the_persons_page(client, world, staff, today):
    fine = services.fine_record(person=world.worker, amount=Decimal("250"), reason_ar="مخالفة", reason_en="Violation",
                                issued_on=today, actor=staff)
    signed_in(client, world.father)
    first = client.post(reverse("passports:fine-pay", args=[fine.reference]))
    second = client.post(reverse("passports:fine-pay", args=[fine.reference]))
    assert first.url == second.url  # one bill per fine
    bill = Bill.objects.get()
    assert bill.amount == Decimal("250") and bill.service == Service.FINE


# --- travel record and visa inquiry ----------------------------------------------------------


def test_travel_record_filtered_by_date_and_person(client, world, staff, today):
    for days, person in ((100, world.father.person), (50, world.son), (10, world.worker), (5, world.stranger.person)):
        services.crossing_record(holder=person, direction="exit", port="RUH", on=today - timedelta(days=days), actor=staff)
    signed_in(client, world.father)
    url = reverse("passports:travel-record")
    everyone = client.get(url).context["page"].object_list
    assert [record.holder for record in everyone] == [world.worker, world.son, world.father.person]
    recent = client.get(url, {"date_from": (today - timedelta(days=60)).isoformat()}).context["page"].object_list
    assert [record.holder for record in recent] == [world.worker, world.son]
    window = client.get(url, {"date_from": (today - timedelta(days=60)).isoformat(),
                              "date_to": (today - timedelta(days=20)).isoformat()}).context["page"].object_list
    assert [record.holder for record in window] == [world.son]
    only_son = client.get(url, {"person": world.son.national_id}).context["page"].object_list
    assert [record.holder for record in only_son] == [world.son]
    # Someone else's number is not a choice: an error, and no one's record.
    other = client.get(url, {"person": world.stranger.person.national_id})
    assert other.context["form"].errors and not other.context["page"].object_list
    wrong_order = client.get(url, {"date_from": today.isoformat(), "date_to": (today - timedelta(days=1)).isoformat()})
    assert wrong_order.context["form"].errors.as_data()["date_to"][0].code == "dates_order"


@pytest.mark.parametrize("language", ["ar", "en"])
def test_travel_record_rows_read_in_the_readers_language(client, world, staff, today, language):
    from django.utils import translation

    on = today - timedelta(days=30)
    services.crossing_record(holder=world.son, direction="exit", port="RUH", on=on, actor=staff)
    signed_in(client, world.father, language=language)
    html = client.get(reverse("passports:travel-record")).content.decode()
    with translation.override(language):
        port, direction = str(TravelRecord.Port.RUH.label), str(TravelRecord.Direction.EXIT.label)
        day = dual_date(on)
    assert f">{escape(day)}</td>" in html
    assert re.search(rf'<td[^>]*>{re.escape(escape(direction))}</td><td[^>]*>{re.escape(escape(port))}</td>', html)
    assert (language == "en") == ("King Khalid International Airport, Riyadh" in html)


def test_visa_inquiry_finds_only_visas_of_people_one_acts_for(client, world, staff, today):
    mine = services.visa_record(holder=world.worker, kind=Visa.Kind.SINGLE, issued_on=today, months=2, actor=staff)
    theirs = services.visa_record(holder=world.stranger_worker, kind=Visa.Kind.SINGLE, issued_on=today, months=2,
                                  actor=staff)
    signed_in(client, world.father)
    url = reverse("passports:visa-inquiry")
    found = client.get(url, {"number": mine.number})
    assert found.context["visa"] == mine and world.worker.name_en in found.content.decode()
    hidden = client.get(url, {"number": theirs.number})
    assert hidden.context["visa"] is None
    assert "No visa with this number among the people you act for." in hidden.content.decode()
    assert world.stranger_worker.name_en not in hidden.content.decode()


# --- the public iqama validity inquiry ----------------------------------------------------


@pytest.mark.parametrize("language", ["ar", "en"])
def test_iqama_validity_inquiry_is_public_and_says_nothing_else(client, world, today, language):
    client.cookies["absher_language"] = language
    url = reverse("passports:iqama-validity")
    page = client.get(url)
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    response = client.post(url, {"iqama_number": world.worker.national_id, "captcha_0": "x", "captcha_1": "PASSED"})
    answer = response.context["answer"]
    assert answer == {"found": True, "expiry": world.worker.iqama_expiry, "valid": True}
    html = response.content.decode()
    assert escape(dual_date(world.worker.iqama_expiry)) in html
    for secret in (world.worker.name_en, world.worker.name_ar, world.father.person.name_en, world.father.person.name_ar,
                   escape(dual_date(world.worker.birth_date)), "P1234567"):
        assert secret not in html


def test_iqama_validity_expired_unknown_and_captcha(client, world, today):
    world.worker.iqama_expiry = today - timedelta(days=1)
    world.worker.save()
    url = reverse("passports:iqama-validity")
    client.cookies["absher_language"] = "en"
    expired = client.post(url, {"iqama_number": world.worker.national_id, "captcha_0": "x", "captcha_1": "PASSED"})
    assert expired.context["answer"]["valid"] is False and "The iqama has expired." in expired.content.decode()
    from tests.conftest import make_id

    unknown = client.post(url, {"iqama_number": make_id("2", 99999), "captcha_0": "x", "captcha_1": "PASSED"})
    assert unknown.context["answer"] == {"found": False, "expiry": None, "valid": False}
    citizen = client.post(url, {"iqama_number": world.son.national_id, "captcha_0": "x", "captcha_1": "PASSED"})
    assert citizen.context["form"].errors.as_data()["iqama_number"][0].code == "not_iqama"
    no_captcha = client.post(url, {"iqama_number": world.worker.national_id, "captcha_0": "x", "captcha_1": "WRONG"})
    assert no_captcha.context["answer"] is None and "captcha" in no_captcha.context["form"].errors


# --- SQL queries per page: at most 8, the same with more rows --------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def _add_rows(world, staff, today, n):
    from absher.notifications.models import Notice
    from passports.notifications import Kind

    for i in range(n):
        services.crossing_record(holder=world.worker, direction="exit" if i % 2 == 0 else "entry", port="RUH",
                                 on=today - timedelta(days=300 - i), actor=staff)
        services.visa_record(holder=world.worker, kind=Visa.Kind.SINGLE, issued_on=today - timedelta(days=400 + i),
                             months=1, actor=staff)
        services.fine_record(person=world.worker, amount=Decimal("10"), reason_ar="م", reason_en="f",
                             issued_on=today - timedelta(days=i), actor=staff)
        Notice.objects.create(source="passports", user=world.father, kind=Kind.PAID, params={"bill": str(i), "amount": "1"})


def test_queries_per_page_are_few_and_constant(client, world, staff, passport_of, pay, today, person_factory):
    passport_of(world.son, expires_on=today + timedelta(days=20))
    receipt = pay(services.service_order(service=Service.PASSPORT, actor=world.father, holder=world.son,
                                         params={"years": 5}, submission_key=uuid.uuid4()), world.father)
    visa = services.visa_record(holder=world.worker, kind=Visa.Kind.SINGLE, issued_on=today, months=2, actor=staff)
    _add_rows(world, staff, today, 1)  # one row or many: the same queries (an empty page skips one)
    signed_in(client, world.father)
    urls = [
        reverse("passports:home"), reverse("passports:person-detail", args=[world.worker.national_id]),
        reverse("passports:person-detail", args=[world.son.national_id]), reverse("passports:travel-record"),
        reverse("passports:passport-apply", args=[world.son.national_id]),
        reverse("passports:iqama-apply", args=[world.worker.national_id]),
        reverse("passports:exit-reentry-apply", args=[world.worker.national_id]),
        reverse("passports:final-exit-apply", args=[world.worker.national_id]),
        reverse("passports:travel-permit-apply", args=[world.son.national_id]),
        reverse("passports:absconding-report", args=[world.worker.national_id]),
        reverse("passports:visa-detail", args=[visa.number]),
        reverse("passports:visa-extend", args=[visa.number]),
        reverse("passports:bill-detail", args=[receipt.bill.number]),
        reverse("passports:receipt-detail", args=[receipt.reference]),
        reverse("passports:visa-inquiry") + f"?number={visa.number}",
    ]
    before = {url: _queries(client, url) for url in urls}
    _add_rows(world, staff, today, 30)
    for i in range(5):  # more children and workers behind the pages
        person_factory(birth_date=today - timedelta(days=365 * (i + 2)), father=world.father.person,
                       national_id_issued=False)
    after = {url: _queries(client, url) for url in urls}
    assert max(before.values()) <= MAX_QUERIES, before
    assert max(after.values()) <= MAX_QUERIES, after
    # The travel record counts its rows only once they outgrow its first page (absher.pagination).
    travel_record = reverse("passports:travel-record")
    assert after.pop(travel_record) == before.pop(travel_record) + 1
    # The visa issued today is open before the crossings and used after them: the exit/re-entry page is a
    # refusal (before the form) first and the form then; each is constant (test_before_the_form.py).
    exit_reentry = reverse("passports:exit-reentry-apply", args=[world.worker.national_id])
    assert abs(after.pop(exit_reentry) - before.pop(exit_reentry)) <= 1
    assert before == after


def test_the_passports_page_shows_the_notices_in_the_readers_language_and_marks_them_read(client, world, pay,
                                                                                         passport_of, today):
    from absher.notifications.models import Notice

    passport_of(world.son, expires_on=today + timedelta(days=20))
    bill = services.service_order(service=Service.PASSPORT, actor=world.father, holder=world.son, params={"years": 5},
                                  submission_key=uuid.uuid4())
    pay(bill, world.father)
    signed_in(client, world.father)
    page = client.get(reverse("passports:home")).content.decode()
    # One notice model for every app: the bill's notices are about the bill, rendered when read.
    notice = Notice.objects.get(source="passports", kind="bill")
    assert notice.subject == bill and notice.read_at is None
    # The portal shows a notice without the SMS's "Absher:" prefix (issue 11); the SMS keeps it.
    # Its numbers are isolated left to right (notice.html).
    assert f'Bill <bdi dir="ltr">{bill.number}</bdi> of SAR <bdi dir="ltr">300</bdi>' in page
    assert f"Absher: bill {bill.number}" not in page and "Omar Harbi" in page
    arabic = signed_in(client, world.father, language="ar").get(reverse("passports:home")).content.decode()
    assert "عمر الحربي" in arabic and "Omar Harbi" not in arabic
    assert client.post(reverse("passports:notices-read")).status_code == 302
    assert not Notice.objects.filter(user=world.father, source="passports", read_at=None).exists()
