"""Issue 11, no dead ends: what refuses a service whatever the answers is said before its form, on the
person's page and on the service's page, with the way forward (pay the fine, then back to the renewal).
The rule is still asked on submission. And the travel record's dates in either calendar, the office
of a passport collected from an office, the steps of a paid service."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from civil_affairs import ages
from civil_affairs.models import Person
from passports import services
from passports.models import Bill, Passport, Service

from .test_views import form_key, signed_in

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.passports.urls")]


@pytest.fixture
def renewable(world, today):
    """The worker's iqama in its renewal window (the world's is too far from expiry)."""
    Person.objects.filter(pk=world.worker.pk).update(iqama_expiry=today + timedelta(days=100))
    world.worker.refresh_from_db()
    return world.worker


@pytest.fixture
def fined(world, staff, today, renewable):
    return services.fine_record(person=renewable, amount=Decimal("300"), reason_ar="مخالفة نظام الإقامة",
                                reason_en="Residence violation", issued_on=today - timedelta(days=3), actor=staff)


# --- the services --------------------------------------------------------------------------------------


def test_an_unpaid_fine_refuses_the_renewal_before_the_form(world, fined):
    standing = services.service_precheck(service=Service.IQAMA, actor=world.father, holder=world.worker)
    assert standing.reasons == ("unpaid_fines",)


def test_a_renewal_is_open_when_nothing_stands_whatever_the_years(world, renewable):
    assert services.service_precheck(service=Service.IQAMA, actor=world.father, holder=renewable).allowed


def test_an_iqama_shorter_than_any_visa_refuses_the_visa_before_the_form(world, today):
    Person.objects.filter(pk=world.worker.pk).update(iqama_expiry=today + timedelta(days=10))
    worker = Person.objects.get(pk=world.worker.pk)
    standing = services.service_precheck(service=Service.EXIT_REENTRY, actor=world.father, holder=worker)
    assert standing.reasons == ("iqama_does_not_cover",)


def test_an_iqama_long_enough_for_a_short_visa_lets_the_form_show_and_the_rule_answers_on_submission(world, today):
    Person.objects.filter(pk=world.worker.pk).update(iqama_expiry=today + timedelta(days=45))
    worker = Person.objects.get(pk=world.worker.pk)
    assert services.service_precheck(service=Service.EXIT_REENTRY, actor=world.father, holder=worker).allowed
    decision = services.service_decide(service=Service.EXIT_REENTRY, actor=world.father, holder=worker,
                                       params={"kind": "exit_reentry_single", "months": 3})
    assert decision.reasons == ("iqama_does_not_cover",)


def test_too_early_for_a_passport_says_from_when(world, passport_of, today):
    passport = passport_of(world.son, expires_on=today + timedelta(days=400))
    standing = services.service_precheck(service=Service.PASSPORT, actor=world.father, holder=world.son)
    assert standing.reasons == ("too_early",)
    assert standing.allowed_from == passport.expires_on - timedelta(days=180)


def test_a_permit_beyond_a_passport_that_ends_today_is_refused_before_the_form(world, passport_of, today):
    passport_of(world.son, expires_on=today)
    standing = services.service_precheck(service=Service.TRAVEL_PERMIT, actor=world.father, holder=world.son)
    assert standing.reasons == ("beyond_passport",)


def test_a_service_without_precheck_is_left_to_its_submission(world):
    assert services.service_precheck(service=Service.VISA_EXTENSION, actor=world.father, holder=world.worker).allowed


def test_no_one_acts_for_a_stranger_before_the_form_either(world):
    standing = services.service_precheck(service=Service.IQAMA, actor=world.father, holder=world.stranger_worker)
    assert standing.reasons == ("not_acting_for",)


# --- the person's page ----------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_persons_page_marks_a_blocked_service_with_the_reason_and_the_way_forward(client, world, fined, language):
    signed_in(client, world.father, language)
    response = client.get(reverse("passports:person-detail", args=[world.worker.national_id]))
    items = {item["service"]: item for item in response.context["services"]}
    assert not items[Service.IQAMA]["allowed"]
    assert items[Service.IQAMA]["ways"]["fines"] == [fined]
    assert items[Service.ABSCONDING_REPORT]["allowed"]
    html = response.content.decode()
    renewal = reverse("passports:iqama-apply", args=[world.worker.national_id])
    assert 'class="person-service person-service-iqama person-service-blocked' in html
    assert f'action="{reverse("passports:fine-pay", args=[fined.reference])}"' in html
    assert f'name="next" value="{renewal}"' in html


def test_the_persons_page_names_the_nationality(client, world):
    signed_in(client, world.father, "en")
    html = client.get(reverse("passports:person-detail", args=[world.worker.national_id])).content.decode()
    assert "Philippines" in html
    assert ">PH<" not in html


def test_the_persons_page_reads_the_facts_once_whatever_the_fines(client, world, staff, fined, today):
    signed_in(client, world.father)
    url = reverse("passports:person-detail", args=[world.worker.national_id])
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    for i in range(10):
        services.fine_record(person=world.worker, amount=Decimal("10"), reason_ar="م", reason_en="f",
                             issued_on=today - timedelta(days=i), actor=staff)
    with CaptureQueriesContext(connection) as after:
        client.get(url)
    assert len(after) == len(before)


# --- the service's page ---------------------------------------------------------------------------------


def test_the_form_of_a_blocked_service_is_not_shown(client, world, fined):
    signed_in(client, world.father)
    url = reverse("passports:iqama-apply", args=[world.worker.national_id])
    response = client.get(url)
    assert [t.name for t in response.templates][0] == "passports/refusal.html"
    assert "form" not in response.context
    assert response.context["before_form"]
    html = response.content.decode()
    assert "There are unpaid fines recorded: pay them first." in html
    assert f'name="next" value="{url}"' in html
    # A submission all the same is refused too, and makes no bill.
    client.post(url, {"years": "1", "submission_key": str(uuid.uuid4())})
    assert not Bill.objects.filter(service=Service.IQAMA).exists()


def test_pay_the_fine_then_back_to_the_renewal(client, world, fined, committed):
    signed_in(client, world.father)
    renewal = reverse("passports:iqama-apply", args=[world.worker.national_id])
    ordered = client.post(reverse("passports:fine-pay", args=[fined.reference]), {"next": renewal})
    bill = Bill.objects.get(service=Service.FINE)
    assert ordered.url == reverse("passports:bill-detail", args=[bill.number])
    with committed():
        paid = client.post(reverse("passports:payment-simulated", args=[bill.number]), {"outcome": "pay"}, follow=True)
    assert paid.redirect_chain[-1][0] == renewal
    assert "form" in paid.context  # the renewal's form, now open
    assert any("You can now continue" in str(message) for message in paid.context["messages"])


@pytest.mark.parametrize("elsewhere", ["https://evil.example/", "//evil.example/", "/no-such-page/"])
def test_a_way_back_out_of_the_portal_is_ignored(client, world, fined, committed, elsewhere):
    signed_in(client, world.father)
    client.post(reverse("passports:fine-pay", args=[fined.reference]), {"next": elsewhere})
    bill = Bill.objects.get(service=Service.FINE)
    with committed():
        paid = client.post(reverse("passports:payment-simulated", args=[bill.number]), {"outcome": "pay"})
    follow = client.get(paid.url)
    assert follow.url.startswith("/services/passports/receipts/")


def test_a_short_iqama_refuses_the_visa_before_the_form_with_the_renewal_as_the_way(client, world, today):
    Person.objects.filter(pk=world.worker.pk).update(iqama_expiry=today + timedelta(days=10))
    signed_in(client, world.father)
    response = client.get(reverse("passports:exit-reentry-apply", args=[world.worker.national_id]))
    assert "form" not in response.context
    assert reverse("passports:iqama-apply", args=[world.worker.national_id]) in response.content.decode()


# --- the steps of a paid service ----------------------------------------------------------------------------


def test_the_steps_of_a_paid_service(client, world, renewable):
    signed_in(client, world.father)
    url = reverse("passports:iqama-apply", args=[world.worker.national_id])
    form_page = client.get(url).content.decode()
    assert 'class="steps-item steps-current" aria-current="step"' in form_page
    client.post(url, {"years": "1", "submission_key": form_key(client.get(url))})
    bill = Bill.objects.get()
    bill_page = client.get(reverse("passports:bill-detail", args=[bill.number]))
    assert [step.state for step in bill_page.context["steps"]] == ["done", "current", "todo", "todo"]
    gateway = client.get(reverse("passports:payment-simulated", args=[bill.number]))
    assert [step.state for step in gateway.context["steps"]] == ["done", "done", "current", "todo"]


def test_a_free_service_shows_no_paid_steps(client, world, passport_of, today):
    passport_of(world.son, expires_on=today + timedelta(days=900))
    signed_in(client, world.father)
    page = client.get(reverse("passports:travel-permit-apply", args=[world.son.national_id]))
    assert "steps-item" not in page.content.decode()


# --- the passport's office --------------------------------------------------------------------------------------


def test_the_office_is_required_with_collection_and_dropped_with_the_post(client, world, pay, passport_of, today):
    passport_of(world.son, expires_on=today + timedelta(days=20))
    signed_in(client, world.father)
    url = reverse("passports:passport-apply", args=[world.son.national_id])
    page = client.get(url).content.decode()
    assert "js/passport-delivery" in page
    missing = client.post(url, {"years": "5", "delivery": "collection", "office": "", "submission_key": form_key(client.get(url))})
    assert missing.context["form"].errors.as_data()["office"][0].code == "office_required"
    client.post(url, {"years": "5", "delivery": "post", "office": "jeddah", "submission_key": form_key(client.get(url))})
    bill = Bill.objects.get()
    assert bill.params["office"] == ""
    pay(bill, world.father)
    assert Passport.objects.get(holder=world.son, status=Passport.Status.VALID).office == ""


# --- the travel record's dates --------------------------------------------------------------------------------


def test_the_travel_record_filters_by_a_hijri_date(client, world, staff, today):
    services.crossing_record(holder=world.son, direction="exit", port="RUH", on=today - timedelta(days=50), actor=staff)
    services.crossing_record(holder=world.son, direction="entry", port="RUH", on=today - timedelta(days=10), actor=staff)
    signed_in(client, world.father)
    start = ages.to_hijri(today - timedelta(days=20))
    typed = f"{start.year}-{start.month:02d}-{start.day:02d}"
    rows = client.get(reverse("passports:travel-record"), {"date_from": typed}).context["page"].object_list
    assert [row.on for row in rows] == [today - timedelta(days=10)]


@pytest.mark.parametrize("language", ["ar", "en"])
@pytest.mark.parametrize("typed", ["1447-13-01", "2027-02-30", "tomorrow", "1200-01-01"])
def test_a_date_not_understood_is_a_message_not_a_500(client, world, typed, language):
    signed_in(client, world.father, language)
    response = client.get(reverse("passports:travel-record"), {"date_from": typed})
    assert response.status_code == 200
    codes = [error.code for error in response.context["form"].errors.as_data()["date_from"]]
    assert codes in (["invalid"], ["hijri_out_of_range"])
    assert response.context["page"].object_list == []
