"""The passports routes of the API about people: the landing's people, a person's documents and
services (with what refuses each and the way forward), the travel record; both languages; the
SQL queries a person costs."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from accounts.models import AccountState
from civil_affairs.ages import to_hijri
from civil_affairs.templatetags.calendars import dual_date
from passports import services
from passports.models import Service, TravelRecord, Visa

from .fixtures_passports import *  # noqa: F403  (the fixtures)

pytestmark = pytest.mark.django_db


def people_url():
    return reverse("api:passports-people")


def person_url(person):
    return reverse("api:passports-person", args=[person.national_id])


def travel_url(person):
    return reverse("api:passports-person-travel", args=[person.national_id])


# --- the people ---------------------------------------------------------------------------------


def test_the_people_are_those_of_the_passports_landing(api_as, world, passport_of, today):
    passport = passport_of(world.son, expires_on=today + timedelta(days=20))
    response = api_as(world.father, "en").get(people_url())
    assert response.status_code == 200
    rows = {row["person"]["national_id"]: row for row in response.json()}
    # Himself, his children under 21 and his sponsored worker; not the adult son, nobody of another family.
    assert set(rows) == {world.father.person.national_id, world.son.national_id, world.daughter.national_id,
                         world.worker.national_id}
    assert [row["person"]["relation"] for row in response.json()] == ["self", "child", "child", "worker"]
    son = rows[world.son.national_id]
    assert son["person"]["relation_label"] == "Your son"
    assert son["passport"]["number"] == passport.number
    assert son["passport"]["expires_on"]["gregorian"] == passport.expires_on.isoformat()
    assert son["passport"]["days_left"] == 20 and son["passport"]["expired"] is False
    assert son["iqama"] is None
    worker = rows[world.worker.national_id]
    assert worker["iqama"] == {"number": world.worker.national_id, "days_left": 200, "expired": False,
                               "expires_on": worker["iqama"]["expires_on"]}
    assert worker["passport"]["country"] == "PH" and worker["passport"]["country_name"] == "Philippines"


def test_dates_come_in_both_calendars_in_the_readers_language(api_as, world, today):
    birth = world.son.birth_date
    hijri = to_hijri(birth)
    english = api_as(world.father, "en").get(person_url(world.son)).json()["person"]["birth_date"]
    arabic = api_as(world.father).get(person_url(world.son)).json()["person"]["birth_date"]
    assert english["gregorian"] == arabic["gregorian"] == birth.isoformat()
    assert english["hijri"] == arabic["hijri"] == f"{hijri.year:04d}-{hijri.month:02d}-{hijri.day:02d}"
    with translation.override("en"):
        assert english["text"] == dual_date(birth)
    with translation.override("ar"):
        assert arabic["text"] == dual_date(birth)


# --- a person's page ----------------------------------------------------------------------------


def test_a_workers_documents_and_services(api_as, world, staff, today):
    visa = services.visa_record(holder=world.worker, kind=Visa.Kind.SINGLE, issued_on=today, months=2, actor=staff)
    body = api_as(world.father, "en").get(person_url(world.worker)).json()
    assert body["person"]["relation"] == "worker" and body["person"]["is_citizen"] is False
    assert [p["number"] for p in body["passports"]] == ["P1234567"]
    assert body["iqama"]["sponsor_name"] == "Saad Harbi" and body["iqama"]["occupation"] == "Housemaid"
    assert body["iqama"]["days_left"] == 200
    assert [(v["number"], v["status"], v["kind"]) for v in body["visas"]] == [(visa.number, "issued", Visa.Kind.SINGLE)]
    assert body["travel_permits"] == [] and body["fines"] == [] and body["absence_report"] is None
    offered = {s["service"]: s for s in body["services"]}
    assert set(offered) == {Service.IQAMA, Service.EXIT_REENTRY, Service.FINAL_EXIT, Service.ABSCONDING_REPORT}
    # An open visa stands in the way of another exit/re-entry visa, whatever the answers (as on the page).
    assert offered[Service.EXIT_REENTRY]["allowed"] is False
    assert [r["code"] for r in offered[Service.EXIT_REENTRY]["reasons"]] == ["visa_open"]
    assert offered[Service.EXIT_REENTRY]["reasons"][0]["message"].startswith("The person already has a visa")
    assert offered[Service.ABSCONDING_REPORT]["allowed"] is True


def test_unpaid_fines_refuse_services_with_the_fines_to_pay(api_as, world, staff, today):
    fine = services.fine_record(person=world.worker, amount=Decimal("500"), reason_ar="مخالفة", reason_en="Violation",
                                issued_on=today - timedelta(days=3), actor=staff)
    body = api_as(world.father, "en").get(person_url(world.worker)).json()
    assert body["fines"] == [{"reference": fine.reference, "reason": "Violation", "amount": "500.00",
                              "issued_on": body["fines"][0]["issued_on"], "paid": False}]
    iqama = next(s for s in body["services"] if s["service"] == Service.IQAMA)
    assert iqama["allowed"] is False
    assert "unpaid_fines" in [r["code"] for r in iqama["reasons"]]
    assert iqama["ways_forward"] == ["pay_fines"]
    assert [f["reference"] for f in iqama["fines_to_pay"]] == [fine.reference]
    arabic = api_as(world.father).get(person_url(world.worker)).json()
    assert arabic["fines"][0]["reason"] == "مخالفة"


def test_a_child_citizens_services_and_permits(api_as, world, passport_of, today, staff):
    passport_of(world.son, expires_on=today + timedelta(days=20))
    services.travel_permit_record(holder=world.son, granted_by=world.father.person, valid_from=today,
                                  valid_until=today + timedelta(days=30), actor=staff)
    body = api_as(world.father, "en").get(person_url(world.son)).json()
    assert body["person"]["relation_label"] == "Your son"
    assert [p["status"] for p in body["travel_permits"]] == ["active"]
    assert body["travel_permits"][0]["active_today"] is True
    offered = {s["service"]: s for s in body["services"]}
    assert set(offered) == {Service.PASSPORT, Service.TRAVEL_PERMIT}
    assert offered[Service.PASSPORT]["allowed"] is True and offered[Service.PASSPORT]["reasons"] == []
    assert [r["code"] for r in offered[Service.TRAVEL_PERMIT]["reasons"]] == ["permit_active"]


def test_the_person_answers_in_arabic_unless_english_is_asked(api_as, world):
    arabic = api_as(world.father).get(person_url(world.son))
    assert arabic["Content-Language"] == "ar"
    assert arabic.json()["person"]["relation_label"] == "ابنك"
    assert arabic.json()["person"]["name"] == "عمر الحربي"
    english = api_as(world.father, "en-GB,en;q=0.9").get(person_url(world.son))
    assert english["Content-Language"] == "en"
    assert english.json()["person"]["name"] == "Omar Harbi"


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_a_persons_queries_are_few_and_the_same_for_a_family_of_one_or_ten(api_as, person_factory, user_factory,
                                                                         today, django_assert_max_num_queries):
    parent = person_factory(sex="M", birth_date=today - timedelta(days=365 * 40))
    user = user_factory(state=AccountState.ACTIVE, person=parent)
    client = api_as(user)
    urls = [person_url(parent), people_url()]
    client.get(people_url())  # the device's first touch is not the route's cost
    alone = {url: _queries(client, url) for url in urls}
    for i in range(9):
        person_factory(birth_date=today - timedelta(days=365 * (i + 2)), father=parent, national_id_issued=False)
    family = {url: _queries(client, url) for url in urls}
    assert alone == family
    child = reverse("api:passports-person", args=[parent.__class__.objects.filter(father=parent).first().national_id])
    with django_assert_max_num_queries(8):
        client.get(child)
    with django_assert_max_num_queries(8):
        client.get(person_url(parent))


# --- the travel record --------------------------------------------------------------------------


def _crossings(world, staff, today):
    services.crossing_record(holder=world.son, direction=TravelRecord.Direction.EXIT, port="RUH",
                             on=today - timedelta(days=40), actor=staff)
    services.crossing_record(holder=world.son, direction=TravelRecord.Direction.ENTRY, port="JED",
                             on=today - timedelta(days=10), actor=staff)
    services.crossing_record(holder=world.daughter, direction=TravelRecord.Direction.EXIT, port="DMM",
                             on=today - timedelta(days=5), actor=staff)


def test_the_travel_record_of_a_person_newest_first_and_between_dates(api_as, world, staff, today):
    _crossings(world, staff, today)
    client = api_as(world.father, "en")
    body = client.get(travel_url(world.son)).json()
    assert body["count"] == 2
    assert [(r["direction"], r["port"]) for r in body["results"]] == [("entry", "JED"), ("exit", "RUH")]
    assert body["results"][0]["port_label"] == "King Abdulaziz International Airport, Jeddah"
    assert body["results"][0]["on"]["gregorian"] == (today - timedelta(days=10)).isoformat()
    since = (today - timedelta(days=20)).isoformat()
    assert [r["direction"] for r in client.get(travel_url(world.son), {"date_from": since}).json()["results"]] == ["entry"]
    # A Hijri date works as on the page.
    hijri = to_hijri(today - timedelta(days=20))
    hijri_since = f"{hijri.year:04d}-{hijri.month:02d}-{hijri.day:02d}"
    assert client.get(travel_url(world.son), {"date_from": hijri_since}).json()["count"] == 1


@pytest.mark.parametrize(("query", "field", "code"), [
    ({"date_from": "31-01-2027"}, "date_from", "invalid"),
    ({"date_from": "\x00"}, "date_from", "invalid"),
    ({"date_to": "9" * 300}, "date_to", "invalid"),
    ({"date_from": "2027-02-01", "date_to": "2027-01-31"}, "date_to", "dates_order"),
])
def test_a_bad_travel_filter_is_a_400_with_the_fields_code(api_as, world, query, field, code):
    response = api_as(world.father, "en").get(travel_url(world.son), query)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert [e["code"] for e in error["fields"][field]] == [code]


def test_a_page_past_the_end_is_a_404(api_as, world):
    response = api_as(world.father).get(travel_url(world.son), {"page": "99"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
